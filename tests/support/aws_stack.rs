//! The simulated AWS stack for one test or benchmark: `vidpush-aws-local` (moto, the local
//! gateway playing API Gateway with the real Lambda function binaries, the worker, the page on
//! its own origin) on free ports, stopped on drop; its log is printed when a test fails.
//!
//! Shared by the end-to-end tests and `cargo xtask bench app` (which includes this file).

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// moto, four functions and the worker start in a few seconds; the margin is for a busy machine.
const START_TIMEOUT: Duration = Duration::from_secs(90);

/// How the stack delivers the worker's pushes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// As the gateway delivers them.
    Faithful,
    /// Some twice, some after the push that followed them (as AWS may).
    Unruly,
}

/// A running stack.
pub struct AwsStack {
    child: Child,
    /// The outputs it printed (`PageUrl`, `WebSocketUrl`, `ApiUrl`, `GatewayDataDir`, …).
    outputs: HashMap<String, String>,
    log: tempfile::NamedTempFile,
}

impl AwsStack {
    /// Starts `binary` serving the built app in `page`; waits until it says `ready`.
    pub fn start(binary: &Path, page: &Path, delivery: Delivery) -> Result<AwsStack, String> {
        let log = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
        let mut command = Command::new(binary);
        command
            .arg("--page")
            .arg(page)
            .args(["--page-port", "0", "--api-port", "0"])
            .args(["--websocket-port", "0"])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log.reopen().map_err(|e| e.to_string())?);
        if delivery == Delivery::Unruly {
            command.arg("--unruly-delivery");
        }
        let mut child = command.spawn().map_err(|error| {
            format!(
                "could not start {} ({error}): build it with `cargo build -p vidpush-lambda \
                 --bins --features local-stack` or run `cargo xtask test`",
                binary.display()
            )
        })?;
        let stdout = child.stdout.take().ok_or("stdout is not piped")?;
        let (lines_tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut outputs = HashMap::new();
        loop {
            match lines.recv_timeout(START_TIMEOUT) {
                Ok(line) if line == "ready" => break,
                Ok(line) => {
                    if let Some((key, value)) = line.split_once('=') {
                        outputs.insert(key.to_owned(), value.to_owned());
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    return Err(format!(
                        "the simulated AWS stack did not get ready within {START_TIMEOUT:?}:\n{}",
                        std::fs::read_to_string(log.path()).unwrap_or_default()
                    ));
                }
            }
        }
        Ok(AwsStack {
            child,
            outputs,
            log,
        })
    }

    /// One of the outputs it printed.
    pub fn output(&self, key: &str) -> &str {
        self.outputs
            .get(key)
            .unwrap_or_else(|| panic!("the stack printed no {key}: {:?}", self.outputs))
    }

    /// The page's URL (its own origin, as CloudFront's on AWS).
    pub fn page_url(&self) -> String {
        format!("{}/", self.output("PageUrl"))
    }

    /// The WebSocket API's address.
    pub fn websocket_addr(&self) -> SocketAddr {
        let url = self.output("WebSocketUrl");
        url.trim_start_matches("ws://")
            .trim_end_matches("/ws")
            .parse()
            .unwrap_or_else(|_| panic!("WebSocketUrl {url} is not ws://host:port/ws"))
    }

    /// Where the WebSocket API keeps its connections and management key (see `connections`).
    pub fn gateway_data_dir(&self) -> PathBuf {
        PathBuf::from(self.output("GatewayDataDir"))
    }
}

impl Drop for AwsStack {
    fn drop(&mut self) {
        // SIGTERM first: the stack stops its worker and functions, and moto with them.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log = std::fs::read_to_string(self.log.path()).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(60).collect();
            eprintln!(
                "--- the simulated AWS stack's log (last lines) ---\n{}",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
    }
}
