use clap::Parser;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = releasegate::cli::Cli::parse();
    releasegate::cli::init_logging();
    std::process::exit(releasegate::cli::run(cli));
}
