//! `vidpush-server`: parses flags and runs the library's server until Ctrl-C.

use clap::Parser;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;
use vidpush_server::config::ServerConfig;
use vidpush_server::{Server, shutdown_signal};

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let config = ServerConfig::parse();
    let server = match Server::bind(config).await {
        Ok(server) => server,
        Err(error) => {
            eprintln!("vidpush-server: {error}");
            return ExitCode::FAILURE;
        }
    };
    // Tests and scripts read this exact line from stdout to learn the port.
    println!("vidpush listening on http://{}/", server.addr);
    if let Err(error) = server.serve(shutdown_signal()).await {
        eprintln!("vidpush-server: {error}");
        return ExitCode::FAILURE;
    }
    tracing::info!("stopped cleanly");
    ExitCode::SUCCESS
}
