//! `vidpush-worker`: the AWS home's worker process (an ECS Fargate task). Reads where things are
//! from the environment the SAM template sets, takes jobs from SQS until SIGTERM, then leaves
//! any interrupted job with the queue for another worker.

use std::process::ExitCode;
use vidpush_aws::sdk::Endpoint;
use vidpush_aws::settings::Resources;
use vidpush_aws::worker::{Worker, WorkerOptions};

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let resources = match Resources::from_env() {
        Ok(resources) => resources,
        Err(error) => {
            eprintln!("vidpush-worker: {error}");
            return ExitCode::FAILURE;
        }
    };
    let scratch = std::env::var("VIDPUSH_SCRATCH_DIR").unwrap_or_else(|_| "/tmp/vidpush".into());
    let mut options = WorkerOptions::new(scratch);
    if let Some(workers) = std::env::var("VIDPUSH_WORKERS")
        .ok()
        .and_then(|n| n.parse().ok())
    {
        options.workers = workers;
    }
    let worker = Worker::start(&Endpoint::from_env(), resources, options).await;
    tracing::info!("taking jobs");
    shutdown_signal().await;
    tracing::info!("stopping: interrupted jobs go back to the queue");
    worker.stop().await;
    ExitCode::SUCCESS
}

/// SIGTERM (what ECS sends before stopping a task) or Ctrl-C.
async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("a SIGTERM handler can be installed");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
