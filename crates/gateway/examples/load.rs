//! Load generator for the standalone gateway, loopback only, every loop bounded in count and
//! time. Measures: idle connections held and the server's RSS per connection, connects per
//! second, and `@connections` POSTs delivered end to end per second with p50/p99 latency and the
//! count of lost messages.
//!
//! Usage: `load --addr 127.0.0.1:P --pid PID [--connections N] [--messages M] [--http K]
//! [--concurrency C] [--max-seconds T]`; the management key comes from `VIDPUSH_GATEWAY_KEY`.

#[path = "support/rlimit.rs"]
mod rlimit;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Latency histogram resolution.
const BUCKET_MICROS: u64 = 10;
/// Histogram range: 2 s; slower deliveries land in the last bucket.
const BUCKETS: usize = 200_000;
/// How long to wait for in-flight messages after the last post before counting the rest lost.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// Bound on any single connect or request, so a stuck peer cannot hang the run.
const STEP_TIMEOUT: Duration = Duration::from_secs(20);

type Error = Box<dyn std::error::Error + Send + Sync>;

struct Stats {
    base: Instant,
    delivered: AtomicU64,
    last_delivery_ns: AtomicU64,
    histogram: Vec<AtomicU64>,
}

impl Stats {
    fn record(&self, sent_ns: u64) {
        let now = self.base.elapsed().as_nanos() as u64;
        let micros = now.saturating_sub(sent_ns) / 1000;
        let bucket = ((micros / BUCKET_MICROS) as usize).min(BUCKETS - 1);
        self.histogram[bucket].fetch_add(1, Ordering::Relaxed);
        self.delivered.fetch_add(1, Ordering::Relaxed);
        self.last_delivery_ns.fetch_max(now, Ordering::Relaxed);
    }

    fn percentile_ms(&self, p: f64) -> f64 {
        let total: u64 = self
            .histogram
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .sum();
        let wanted = ((total as f64) * p).ceil() as u64;
        let mut seen = 0;
        for (i, bucket) in self.histogram.iter().enumerate() {
            seen += bucket.load(Ordering::Relaxed);
            if seen >= wanted.max(1) {
                return ((i as u64 + 1) * BUCKET_MICROS) as f64 / 1000.0;
            }
        }
        f64::NAN
    }
}

fn arg<T: std::str::FromStr>(name: &str, default: Option<T>) -> Result<T, Error> {
    let args: Vec<String> = std::env::args().collect();
    match args
        .iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
    {
        Some(v) => v
            .parse()
            .map_err(|_| format!("{name}: cannot parse {v:?}").into()),
        None => default.ok_or_else(|| format!("{name} is required").into()),
    }
}

/// VmRSS of `pid` in KiB.
fn rss_kib(pid: u32) -> Result<u64, Error> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .ok_or("no VmRSS line")?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .ok_or("no VmRSS value")?
        .parse()?)
}

/// One keep-alive HTTP/1.1 POST; returns the status.
async fn post(
    stream: &mut BufReader<TcpStream>,
    key: &str,
    id: &str,
    body: &str,
) -> Result<u16, Error> {
    let request = format!(
        "POST /@connections/{id} HTTP/1.1\r\nhost: gw\r\nauthorization: Bearer {key}\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.get_mut().write_all(request.as_bytes()).await?;
    let mut line = String::new();
    stream.read_line(&mut line).await?;
    let status: u16 = line.split(' ').nth(1).ok_or("no status")?.parse()?;
    let mut length = 0usize;
    loop {
        line.clear();
        stream.read_line(&mut line).await?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse()?;
        }
    }
    let mut body = vec![0; length];
    stream.read_exact(&mut body).await?;
    Ok(status)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    rlimit::raise_nofile_limit();
    let addr: SocketAddr = arg("--addr", None)?;
    let pid: u32 = arg("--pid", None)?;
    let connections: usize = arg("--connections", Some(1000))?;
    let messages: u64 = arg("--messages", Some(100_000))?;
    let http: u64 = arg("--http", Some(32))?;
    // Handshakes in flight: more than a few dozen overflow the loopback accept backlog and turn
    // into SYN retransmits, which measures the kernel rather than the gateway.
    let concurrency: usize = arg("--concurrency", Some(32))?;
    let max_seconds: u64 = arg("--max-seconds", Some(60))?;
    let key = std::env::var("VIDPUSH_GATEWAY_KEY").unwrap_or_else(|_| "bench-key".into());
    let deadline = Instant::now() + Duration::from_secs(max_seconds);

    // Phase 1: idle connections, connect rate, RSS per connection.
    let rss_before = rss_kib(pid)?;
    let gate = Arc::new(Semaphore::new(concurrency));
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let url = format!("ws://{addr}/ws");
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(connections);
    for _ in 0..connections {
        let gate = Arc::clone(&gate);
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.map_err(|e| e.to_string())?;
            let connect = tokio_tungstenite::connect_async_with_config(url, Some(config), true);
            match tokio::time::timeout(STEP_TIMEOUT, connect).await {
                Ok(Ok((socket, _))) => Ok(socket),
                Ok(Err(e)) => Err(e.to_string()),
                Err(_) => Err("connect timed out".to_owned()),
            }
        }));
    }
    let mut sockets = Vec::with_capacity(connections);
    let mut failed = 0;
    for task in tasks {
        match task.await? {
            Ok(socket) => sockets.push(socket),
            Err(e) => {
                failed += 1;
                if failed <= 3 {
                    eprintln!("connect failed: {e}");
                }
            }
        }
    }
    let connect_secs = started.elapsed().as_secs_f64();
    // Let the server finish its per-connection setup before reading its RSS.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_after = rss_kib(pid)?;
    let held = sockets.len();
    println!("connections_held: {held} (failed {failed})");
    println!("connects_per_second: {:.0}", held as f64 / connect_secs);
    println!("server_rss_before_kib: {rss_before}");
    println!("server_rss_after_kib: {rss_after}");
    println!(
        "server_rss_per_connection_kib: {:.2}",
        rss_after.saturating_sub(rss_before) as f64 / held.max(1) as f64
    );

    // Phase 2: learn ids, start a reader per connection.
    let stats = Arc::new(Stats {
        base: Instant::now(),
        delivered: AtomicU64::new(0),
        last_delivery_ns: AtomicU64::new(0),
        histogram: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
    });
    let mut ids = Vec::with_capacity(held);
    let mut holders = Vec::with_capacity(held);
    for mut socket in sockets {
        if Instant::now() > deadline {
            break;
        }
        socket.send(Message::text(r#"{"action":"whoami"}"#)).await?;
        let id = match tokio::time::timeout(STEP_TIMEOUT, socket.next()).await {
            Ok(Some(Ok(Message::Text(id)))) => id.to_string(),
            other => return Err(format!("no whoami reply: {other:?}").into()),
        };
        ids.push(id);
        let (sink, mut stream) = socket.split();
        holders.push(sink);
        let stats = Arc::clone(&stats);
        tokio::spawn(async move {
            while let Some(Ok(message)) = stream.next().await {
                if let Message::Text(text) = message
                    && let Some(sent) = text.split(' ').nth(1).and_then(|s| s.parse().ok())
                {
                    stats.record(sent);
                }
            }
        });
    }
    let rss_ids = rss_kib(pid)?;
    println!("server_rss_after_one_message_each_kib: {rss_ids}");
    let ids = Arc::new(ids);

    // Phase 3: POST messages over `http` keep-alive connections, round-robin over connections.
    let posted_ok = Arc::new(AtomicU64::new(0));
    let post_failed = Arc::new(AtomicU64::new(0));
    let post_started = Instant::now();
    let mut posters = Vec::new();
    for worker in 0..http {
        let (ids, key, stats) = (Arc::clone(&ids), key.clone(), Arc::clone(&stats));
        let (ok, bad) = (Arc::clone(&posted_ok), Arc::clone(&post_failed));
        posters.push(tokio::spawn(async move {
            let mut stream = BufReader::new(TcpStream::connect(addr).await?);
            stream.get_mut().set_nodelay(true)?;
            let mut seq = worker;
            while seq < messages && Instant::now() < deadline {
                let id = &ids[(seq as usize) % ids.len()];
                let body = format!("{seq} {}", stats.base.elapsed().as_nanos());
                match tokio::time::timeout(STEP_TIMEOUT, post(&mut stream, &key, id, &body)).await {
                    Ok(Ok(200)) => ok.fetch_add(1, Ordering::Relaxed),
                    _ => bad.fetch_add(1, Ordering::Relaxed),
                };
                seq += http;
            }
            Ok::<(), Error>(())
        }));
    }
    for poster in posters {
        if let Err(e) = poster.await? {
            eprintln!("poster failed: {e}");
        }
    }
    let post_secs = post_started.elapsed().as_secs_f64();
    let posted = posted_ok.load(Ordering::Relaxed);
    let drain_until = Instant::now() + DRAIN_TIMEOUT;
    while stats.delivered.load(Ordering::Relaxed) < posted && Instant::now() < drain_until {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let delivered = stats.delivered.load(Ordering::Relaxed);
    let first_post_ns = post_started.duration_since(stats.base).as_nanos() as u64;
    let span = (stats
        .last_delivery_ns
        .load(Ordering::Relaxed)
        .saturating_sub(first_post_ns)) as f64
        / 1e9;
    println!(
        "posts_accepted: {posted} (refused or failed {})",
        post_failed.load(Ordering::Relaxed)
    );
    println!("posts_per_second: {:.0}", posted as f64 / post_secs);
    println!("delivered: {delivered}");
    println!(
        "delivered_per_second: {:.0}",
        delivered as f64 / span.max(1e-9)
    );
    println!("latency_p50_ms: {:.2}", stats.percentile_ms(0.50));
    println!("latency_p99_ms: {:.2}", stats.percentile_ms(0.99));
    println!("lost: {}", posted.saturating_sub(delivered));
    drop(holders);
    Ok(())
}
