use clap::Parser;
use tracing_subscriber::EnvFilter;
use wilayah_server::cli::Cli;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .init();
    // A .env file in the working folder sets defaults; real environment variables win.
    let _ = dotenvy::dotenv();
    match wilayah_server::cli::run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wilayah: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
