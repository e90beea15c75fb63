//! A real `vidpush-server` process for one test: its own data dir, a free port, a log file.
//!
//! The server prints `vidpush listening on http://127.0.0.1:PORT/` on stdout once it is bound;
//! [`Server::start`] waits for that line (with a deadline) instead of guessing with sleeps. Its
//! stderr and stdout go to `server.log` in the test's temporary directory, and when a test panics
//! while a `Server` is alive, the end of that log is printed.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// How long a server may take to bind after it was spawned. A debug build opens its SQLite
/// store and binds in well under a second; the margin is for a machine busy compiling.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a graceful shutdown may take before the test calls it a hang.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(15);

/// The prefix of the stdout line that says the server is ready.
const LISTENING_PREFIX: &str = "vidpush listening on ";

/// How many log lines a failing test prints.
const LOG_TAIL_LINES: usize = 60;

/// Server settings beyond what every test needs.
#[derive(Clone, Debug, Default)]
pub struct ServerOptions {
    /// Tokens the gateway accepts on `?token=`; empty means the server's default (no token needed).
    pub tokens: Vec<String>,
    /// Any other command-line arguments, e.g. `["--management-key", "k"]`.
    pub extra_args: Vec<String>,
    /// The app folder to serve instead of the build (e.g. a
    /// [`StaticSite`](super::static_site::StaticSite) with its own `config.json`).
    pub static_dir: Option<PathBuf>,
}

/// A running (or deliberately stopped) server process.
pub struct Server {
    /// The process; `None` between [`Server::kill`] and [`Server::start_again`].
    child: Option<Child>,
    /// Where it listens; kept across restarts so clients can reconnect to the same address.
    addr: SocketAddr,
    /// Holds the data dir and the log; deleted when the test ends.
    dir: TempDir,
    /// What the server was started with, reused on restart.
    options: ServerOptions,
    /// How many times the process was started, to label the log.
    starts: u32,
}

impl Server {
    /// Starts the server on a free port with a fresh data dir. Panics with the log if it does
    /// not come up.
    pub fn start(options: ServerOptions) -> Server {
        let dir = tempfile::Builder::new()
            .prefix("vidpush-e2e-")
            .tempdir()
            .expect("the system temp dir is writable");
        std::fs::create_dir(dir.path().join("data")).expect("the temp dir is writable");
        let mut server = Server {
            child: None,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            dir,
            options,
            starts: 0,
        };
        server.spawn();
        server
    }

    /// `http://127.0.0.1:PORT/`, where the app is served.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// `ws://127.0.0.1:PORT/ws`, the gateway's WebSocket endpoint.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server's data dir (SQLite store, uploads, results).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The path of the combined stdout and stderr log.
    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    /// Everything the server logged so far, across restarts.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// The last `lines` lines of the log.
    pub fn log_tail(&self, lines: usize) -> String {
        let log = self.log();
        let all: Vec<&str> = log.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Whether the process is running.
    pub fn is_running(&mut self) -> bool {
        match &mut self.child {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Kills the process with SIGKILL, as a crash or power cut would, and waits for it to go.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // An error here means it already exited, which is what we want.
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends SIGINT (Ctrl-C) and waits for a clean exit. Panics if the server takes longer than
    /// the shutdown deadline.
    pub fn shut_down(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("shut_down needs a running server");
        let sent = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .expect("the kill command exists");
        assert!(sent.success(), "could not send SIGINT to the server");
        let deadline = Instant::now() + SHUTDOWN_TIMEOUT;
        loop {
            if let Some(status) = child
                .try_wait()
                .expect("the server process can be waited on")
            {
                return status;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "the server did not exit within {SHUTDOWN_TIMEOUT:?} of SIGINT; log:\n{}",
                    self.log_tail(LOG_TAIL_LINES)
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Starts the server again on the same data dir and port, after [`Server::kill`] or
    /// [`Server::shut_down`].
    pub fn start_again(&mut self) {
        assert!(
            self.child.is_none(),
            "start_again needs the server to be stopped first"
        );
        self.spawn();
    }

    /// Kills the server with SIGKILL and starts it again on the same data dir and port.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// Spawns the binary and waits for its listening line.
    fn spawn(&mut self) {
        self.starts += 1;
        let log_path = self.log_path();
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .expect("the temp dir is writable");
        writeln!(log, "===== start {} on {} =====", self.starts, self.addr)
            .expect("the log file is writable");

        let binary = server_binary();
        let static_dir = match &self.options.static_dir {
            Some(dir) => dir.clone(),
            None => static_dir(),
        };
        let mut command = Command::new(&binary);
        command
            .arg("--listen")
            .arg(self.addr.to_string())
            .arg("--data-dir")
            .arg(self.data_dir())
            .arg("--static-dir")
            .arg(&static_dir);
        if !self.options.tokens.is_empty() {
            command.arg("--tokens").arg(self.options.tokens.join(","));
        }
        command.args(&self.options.extra_args);
        // The developer's own settings must not leak into a test's server.
        for name in [
            "VIDPUSH_LISTEN",
            "VIDPUSH_DATA_DIR",
            "VIDPUSH_STATIC_DIR",
            "VIDPUSH_TOKENS",
            "VIDPUSH_ALLOWED_ORIGINS",
            "VIDPUSH_MANAGEMENT_KEY",
        ] {
            command.env_remove(name);
        }
        // The log is read as plain text, in failure messages and by tests.
        command.env("NO_COLOR", "1");
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(
                log.try_clone().expect("the log file handle can be cloned"),
            ));
        let mut child = command.spawn().unwrap_or_else(|error| {
            panic!(
                "could not start the server binary {} ({error}); build it with `cargo build -p \
                 vidpush-server` or run `cargo xtask test e2e`",
                binary.display()
            )
        });

        let stdout = child.stdout.take().expect("stdout was piped");
        let (ready_tx, ready_rx) = mpsc::channel::<String>();
        std::thread::spawn(move || copy_stdout(stdout, log, ready_tx));

        match ready_rx.recv_timeout(START_TIMEOUT) {
            Ok(url) => {
                self.addr = parse_listening_url(&url).unwrap_or_else(|| {
                    panic!("the server announced an address this harness cannot read: {url:?}")
                });
                self.child = Some(child);
            }
            Err(_) => {
                let state = match child.try_wait() {
                    Ok(Some(status)) => format!("it exited ({status})"),
                    _ => format!("it did not say it was listening within {START_TIMEOUT:?}"),
                };
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "the server {} did not start: {state}; log {}:\n{}",
                    binary.display(),
                    log_path.display(),
                    self.log_tail(LOG_TAIL_LINES)
                );
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            eprintln!(
                "---- server log (last {LOG_TAIL_LINES} lines of {}) ----\n{}\n---- end of server log ----",
                self.log_path().display(),
                self.log_tail(LOG_TAIL_LINES)
            );
        }
    }
}

/// Copies the server's stdout into the log, sending the listening URL once it appears. Runs until
/// the process closes its stdout.
fn copy_stdout(stdout: std::process::ChildStdout, mut log: File, ready: mpsc::Sender<String>) {
    let mut announced = false;
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        let _ = writeln!(log, "{line}");
        if !announced && let Some(url) = line.trim().strip_prefix(LISTENING_PREFIX) {
            announced = true;
            // The test may have given up waiting already; then nobody needs the URL.
            let _ = ready.send(url.to_string());
        }
    }
}

/// `http://127.0.0.1:PORT/` → `127.0.0.1:PORT`.
fn parse_listening_url(url: &str) -> Option<SocketAddr> {
    let rest = url.trim().strip_prefix("http://")?;
    rest.trim_end_matches('/').parse().ok()
}

/// `VIDPUSH_SERVER_BIN`, or `vidpush-server` in the profile directory this test was built in.
fn server_binary() -> PathBuf {
    match std::env::var_os("VIDPUSH_SERVER_BIN") {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => super::profile_dir().join("vidpush-server"),
    }
}

/// `VIDPUSH_DIST`, or `<root>/dist`; checked so a missing trunk build fails with a clear reason.
pub(super) fn static_dir() -> PathBuf {
    let dir = match std::env::var_os("VIDPUSH_DIST") {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => super::workspace_root().join("dist"),
    };
    assert!(
        Path::new(&dir).join("index.html").is_file(),
        "{} has no index.html: build the app first with `trunk build --release` (or run `cargo \
         xtask test e2e`)",
        dir.display()
    );
    dir
}
