//! `cargo xtask bench gateway [--connections N] [--messages M] [--http K]`: builds the gateway's
//! standalone server and load generator (profile `native-release`), runs them on loopback and
//! prints the figures: idle connections held, server RSS per connection, connects per second,
//! `@connections` messages delivered per second with p50/p99 latency, and lost messages.
//!
//! Every wait is bounded: the server must say it listens within a minute, the load generator
//! stops itself (`--max-seconds`), and the server must finish its graceful shutdown in a minute.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::process::{run as run_command, tool};

/// Connections held by default: the target of issue 3.
const DEFAULT_CONNECTIONS: &str = "20000";
/// Messages posted by default: enough for a steady rate, few enough to finish in seconds.
const DEFAULT_MESSAGES: &str = "200000";
/// Keep-alive HTTP connections the load generator posts over.
const DEFAULT_HTTP: &str = "32";
/// The load generator's own time bound, in seconds.
const LOAD_MAX_SECONDS: &str = "120";
/// How long the server may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the server may take to shut down after its stdin closes.
const STOP_TIMEOUT: Duration = Duration::from_secs(60);
/// The key both programs use; loopback only, never a real secret.
const BENCH_KEY: &str = "bench-management-key";

/// Runs the benchmark.
pub fn run(root: &Path, args: &[&str]) -> crate::Result {
    let option = |name: &str, default: &'static str| -> String {
        args.iter()
            .position(|a| *a == name)
            .and_then(|i| args.get(i + 1))
            .map_or_else(|| default.to_owned(), |v| (*v).to_owned())
    };
    let connections = option("--connections", DEFAULT_CONNECTIONS);
    let messages = option("--messages", DEFAULT_MESSAGES);
    let http = option("--http", DEFAULT_HTTP);

    run_command(
        tool("cargo").current_dir(root).args([
            "build",
            "--profile",
            "native-release",
            "-p",
            "vidpush-gateway",
            "--examples",
        ]),
        "building the gateway benchmark programs",
    )?;
    let examples = target_dir(root).join("native-release").join("examples");

    let mut server = Command::new(examples.join("standalone"))
        .env("VIDPUSH_GATEWAY_KEY", BENCH_KEY)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start the standalone gateway: {e}"))?;
    let outcome = measure(&mut server, &examples, &connections, &messages, &http);
    stop(&mut server)?;
    outcome
}

/// Waits for the server to listen, then runs the load generator against it.
fn measure(
    server: &mut Child,
    examples: &Path,
    connections: &str,
    messages: &str,
    http: &str,
) -> crate::Result {
    let stdout = server.stdout.take().ok_or("the server's stdout is piped")?;
    let (lines, receive) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            println!("server: {line}");
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let ready = receive
        .recv_timeout(START_TIMEOUT)
        .map_err(|_| "the standalone gateway did not start listening within a minute")?;
    // "listening <addr> pid <pid> nofile <n>"
    let words: Vec<&str> = ready.split_whitespace().collect();
    let (Some(addr), Some(pid)) = (words.get(1), words.get(3)) else {
        return Err(format!("unexpected first line from the server: {ready:?}").into());
    };
    run_command(
        Command::new(examples.join("load"))
            .env("VIDPUSH_GATEWAY_KEY", BENCH_KEY)
            .args(["--addr", addr, "--pid", pid])
            .args([
                "--connections",
                connections,
                "--messages",
                messages,
                "--http",
                http,
            ])
            .args(["--max-seconds", LOAD_MAX_SECONDS]),
        "running the gateway load generator",
    )
}

/// Closes the server's stdin (its signal to shut down gracefully) and waits, bounded.
fn stop(server: &mut Child) -> crate::Result {
    drop(server.stdin.take());
    let started = Instant::now();
    while started.elapsed() < STOP_TIMEOUT {
        if let Some(status) = server.try_wait()? {
            let mut rest = String::new();
            if let Some(mut out) = server.stdout.take() {
                let _ = out.read_to_string(&mut rest);
            }
            return if status.success() {
                Ok(())
            } else {
                Err(format!("the standalone gateway exited with {status}").into())
            };
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    server.kill()?;
    Err("the standalone gateway did not shut down within a minute".into())
}

/// Where cargo puts build output: `CARGO_TARGET_DIR`, else `<root>/target`.
fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}
