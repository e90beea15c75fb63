//! `@connections` delivery, the local way beside the AWS way, in one run on loopback: the same
//! gateway and the same WebSocket clients receive messages posted (1) in process, as the local
//! server pushes, and (2) through `aws-sdk-apigatewaymanagement` — SigV4-signed HTTP to
//! `/{stage}/@connections/{id}` — as the AWS functions and worker push. Prints messages per
//! second and post→receive latency p50/p99 for each. Run by `cargo xtask bench push`.
//!
//! Bounded: a fixed number of messages, and every wait has a deadline.

use futures_util::StreamExt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use vidpush_aws::ApiGatewayPush;
use vidpush_aws::testing::gateway::{AwsGateway, SECRET, signing_config};
use vidpush_gateway::ConnectRate;
use vidpush_server::ports::Push;

/// Receiving clients.
const CLIENTS: usize = 50;
/// Concurrent posters on the SDK path (the functions and workers of a busy stack).
const POSTERS: usize = 16;
/// How long a run may take before it is called failed.
const DEADLINE: Duration = Duration::from_secs(120);

fn option(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).copied().unwrap_or_default()
}

#[tokio::main]
async fn main() {
    let messages = option("--messages", 20_000);
    // Every client connects from 127.0.0.1 at once: lift the per-IP connect rate.
    let gateway = AwsGateway::start_configured(|config| {
        config.connect_rate = ConnectRate {
            per_second: 10_000,
            burst: 10_000,
        }
    })
    .await;
    let epoch = Instant::now();
    let (latencies, mut received) = mpsc::unbounded_channel::<Duration>();
    let mut ids = Vec::new();
    for _ in 0..CLIENTS {
        let (mut socket, id) = gateway.connect().await;
        ids.push(id);
        let latencies = latencies.clone();
        tokio::spawn(async move {
            while let Some(Ok(frame)) = socket.next().await {
                if let Message::Text(text) = frame
                    && let Ok(sent_nanos) = text.parse::<u64>()
                {
                    let sent = epoch + Duration::from_nanos(sent_nanos);
                    let _ = latencies.send(sent.elapsed());
                }
            }
        });
    }
    let stamp = move || (epoch.elapsed().as_nanos() as u64).to_string();
    let sdk = Arc::new(ApiGatewayPush::new(
        &signing_config(SECRET).await,
        &gateway.endpoint(),
    ));
    let ids = Arc::new(ids);
    let one_by_one = option("--one-by-one", 1_000);

    // Latency: one message at a time, each awaited at its client before the next is posted.
    let mut local = Vec::new();
    for i in 0..one_by_one {
        gateway
            .connections
            .post(&ids[i % CLIENTS], stamp())
            .expect("the client is connected");
        local.push(next(&mut received).await);
    }
    print_latency("local, in-process @connections", &mut local);
    let mut aws = Vec::new();
    for i in 0..one_by_one {
        sdk.post(&ids[i % CLIENTS], stamp())
            .await
            .expect("the post is accepted");
        aws.push(next(&mut received).await);
    }
    print_latency(
        "AWS, SDK with SigV4 over HTTP to /{stage}/@connections",
        &mut aws,
    );

    // Throughput: many posters at once, every message counted at its client.
    for (name, through_sdk) in [("local, in-process", false), ("AWS, SDK with SigV4", true)] {
        let started = Instant::now();
        let mut posters = Vec::new();
        for poster in 0..POSTERS {
            let (sdk, ids, stamp, connections) =
                (sdk.clone(), ids.clone(), stamp, gateway.connections.clone());
            posters.push(tokio::spawn(async move {
                for i in (poster..messages).step_by(POSTERS) {
                    let id = &ids[i % CLIENTS];
                    if through_sdk {
                        sdk.post(id, stamp()).await.expect("the post is accepted");
                    } else {
                        connections
                            .post(id, stamp())
                            .expect("the client is connected");
                        tokio::task::yield_now().await;
                    }
                }
            }));
        }
        for poster in posters {
            poster.await.expect("a poster finished");
        }
        report(name, messages, started, &mut received).await;
    }
}

/// The next delivery's latency, within the deadline.
async fn next(received: &mut mpsc::UnboundedReceiver<Duration>) -> Duration {
    tokio::time::timeout(DEADLINE, received.recv())
        .await
        .ok()
        .flatten()
        .expect("a message posted to a connected client arrives")
}

fn print_latency(name: &str, latencies: &mut [Duration]) {
    latencies.sort();
    println!(
        "{name}: one message at a time ({}): post→receive p50 {:.3} ms, p99 {:.3} ms",
        latencies.len(),
        percentile(latencies, 0.50).as_secs_f64() * 1000.0,
        percentile(latencies, 0.99).as_secs_f64() * 1000.0,
    );
}

/// Waits for every message of a run and prints its figures.
async fn report(
    name: &str,
    messages: usize,
    started: Instant,
    received: &mut mpsc::UnboundedReceiver<Duration>,
) {
    let mut latencies = Vec::with_capacity(messages);
    while latencies.len() < messages {
        match tokio::time::timeout_at((started + DEADLINE).into(), received.recv()).await {
            Ok(Some(latency)) => latencies.push(latency),
            _ => panic!(
                "{name}: {} of {messages} messages arrived in time",
                latencies.len()
            ),
        }
    }
    let elapsed = started.elapsed();
    latencies.sort();
    println!(
        "{name}, {POSTERS} posters at once: {messages} messages to {CLIENTS} clients in {:.2} s = {:.0}/s, none lost",
        elapsed.as_secs_f64(),
        messages as f64 / elapsed.as_secs_f64(),
    );
}
