use clap::Parser;

fn main() {
    let cli = releasegate::cli::Cli::parse();
    releasegate::cli::init_logging();
    std::process::exit(releasegate::cli::run(cli));
}
