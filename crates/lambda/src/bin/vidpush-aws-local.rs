//! `vidpush-aws-local`: the whole AWS home on this machine, for a developer (`cargo xtask dev
//! --aws`) and the page's tests — moto for DynamoDB, S3 and SQS, the local gateway playing API
//! Gateway (WebSocket and HTTP APIs) with the real function binaries beside this one, the
//! worker, and the page on its own origin with `config.json` written from the stack's outputs.
//!
//! Prints the outputs as `Key=Value` lines, then `ready`, and runs until Ctrl-C or SIGTERM.

use clap::Parser;
use std::path::PathBuf;
use vidpush_aws::testing::stack::{FunctionBinaries, SimulatedStack, StackOptions};

/// Runs the simulated AWS stack.
#[derive(Parser)]
#[command(name = "vidpush-aws-local", about)]
struct Args {
    /// The built page (`dist/`).
    #[arg(long)]
    page: Option<PathBuf>,
    /// Accepted tokens, comma separated (none: anyone).
    #[arg(long, value_delimiter = ',')]
    tokens: Vec<String>,
    /// The page's port (0: any free one).
    #[arg(long, default_value_t = 8080)]
    page_port: u16,
    /// The HTTP API's port.
    #[arg(long, default_value_t = 8081)]
    api_port: u16,
    /// The WebSocket API's port.
    #[arg(long, default_value_t = 8082)]
    websocket_port: u16,
    /// Jobs the worker analyses at once.
    #[arg(long, default_value_t = 1)]
    workers: usize,
    /// The worker's pushes arrive duplicated and reordered, as AWS may deliver them.
    #[arg(long)]
    unruly_delivery: bool,
}

#[tokio::main]
async fn main() -> Result<(), String> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    let here = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut options = StackOptions::new(FunctionBinaries::in_dir(
        here.parent().ok_or("this binary has no folder")?,
    ));
    options.page = args.page;
    options.tokens = args.tokens;
    options.ports = [args.page_port, args.api_port, args.websocket_port];
    options.workers = args.workers;
    options.unruly_delivery = args.unruly_delivery;
    let stack = SimulatedStack::start(options).await?;
    for (key, value) in stack.outputs.pairs() {
        println!("{key}={value}");
    }
    // Where the WebSocket API keeps its connections and the key of its bearer `@connections`,
    // and the test credentials (never real ones) it verifies SigV4-signed calls against.
    println!("GatewayDataDir={}", stack.gateway.data_dir().display());
    println!("Region={}", vidpush_aws::sdk::LOCAL_REGION);
    println!("TestAccessKeyId={}", vidpush_aws::testing::gateway::KEY_ID);
    println!(
        "TestSecretAccessKey={}",
        vidpush_aws::testing::gateway::SECRET
    );
    println!("ready");
    shutdown().await;
    stack.stop().await;
    Ok(())
}

/// Ctrl-C or SIGTERM.
async fn shutdown() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("a SIGTERM handler can be installed");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
