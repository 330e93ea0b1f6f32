// embed_migrations! does not watch the migration files itself.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
