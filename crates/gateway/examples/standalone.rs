//! A gateway alone on loopback, for benchmarks: `whoami` replies with the connection id, limits
//! are AWS's except that rate and cap are opened up for a load generator on one IP.
//!
//! Usage: `standalone [--port N] [--db PATH]`; the management key comes from
//! `VIDPUSH_GATEWAY_KEY`. Prints `listening <addr>` when ready and shuts down gracefully when
//! stdin closes (the parent process owns its lifetime).

#[path = "support/rlimit.rs"]
mod rlimit;

use std::net::SocketAddr;
use std::time::Instant;

use tokio::io::AsyncReadExt;
use vidpush_gateway::{ConnectRate, Gateway, GatewayConfig, RouteRequest, RouteResponse};

/// Connections the benchmark may hold; above its 20,000 target.
const BENCH_MAX_CONNECTIONS: usize = 60_000;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let nofile = rlimit::raise_nofile_limit();
    let port: u16 = arg("--port").map(|p| p.parse()).transpose()?.unwrap_or(0);
    let db = arg("--db")
        .unwrap_or_else(|| format!("/tmp/vidpush-gateway-bench-{}.db", std::process::id()));
    let key = std::env::var("VIDPUSH_GATEWAY_KEY").unwrap_or_else(|_| "bench-key".into());
    let mut config = GatewayConfig::new(&db, key);
    config.max_connections = BENCH_MAX_CONNECTIONS;
    config.connect_rate = ConnectRate {
        per_second: 1_000_000,
        burst: 1_000_000,
    };
    let gateway = Gateway::builder(config)
        .route("whoami", |r: RouteRequest| async move {
            RouteResponse::reply(r.connection_id.to_string())
        })
        .build()?;
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    let addr = listener.local_addr()?;
    let app = gateway
        .router()
        .into_make_service_with_connect_info::<SocketAddr>();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    println!(
        "listening {addr} pid {} nofile {nofile}",
        std::process::id()
    );
    let mut sink = Vec::new();
    let _ = tokio::io::stdin().read_to_end(&mut sink).await;
    let open = gateway.connections().count();
    let started = Instant::now();
    gateway.shutdown().await;
    println!(
        "shutdown closed {open} connections in {} ms",
        started.elapsed().as_millis()
    );
    server.abort();
    let _ = std::fs::remove_file(&db);
    let _ = std::fs::remove_file(format!("{db}-wal"));
    let _ = std::fs::remove_file(format!("{db}-shm"));
    Ok(())
}
