//! The real `vidpush-server` binary as a child process, for tests that must kill it for real.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The server as a child process on a given data folder; killed when dropped.
pub struct Process {
    child: Child,
    /// `http://127.0.0.1:PORT`, read from the line the server prints once it listens.
    pub url: String,
}

impl Process {
    /// Starts the binary on `listen` (`127.0.0.1:0` for a free port) with `extra` flags and
    /// waits for its listening line.
    pub fn start(data: &Path, listen: &str, extra: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vidpush-server"))
            .args(["--listen", listen, "--static-dir", "/nonexistent"])
            .args(extra)
            .arg("--data-dir")
            .arg(data)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let line = BufReader::new(stdout)
            .lines()
            .next()
            .expect("a listening line")
            .unwrap();
        let url = line
            .strip_prefix("vidpush listening on ")
            .expect("the listening line")
            .trim_end_matches('/')
            .to_owned();
        Self { child, url }
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> &str {
        self.url.strip_prefix("http://").unwrap()
    }

    /// SIGKILL: no shutdown code runs, as in a crash.
    pub fn kill_9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
