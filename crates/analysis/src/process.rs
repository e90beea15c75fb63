//! ffmpeg and ffprobe as bounded child processes. Owns spawning, the address-space limit every
//! child runs under, the watchdog that enforces the wall-clock limit and cancellation, bounded
//! stderr capture, and killing plus reaping the child whenever its owner lets go, so no path
//! leaves a zombie, a runaway decoder or a decoder that eats the machine's memory behind.

use crate::error::AnalysisError;
use crate::options::CancelFlag;
use std::collections::VecDeque;
use std::io::Read;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often the watchdog looks at the cancel flag: cancellation kills ffmpeg within this.
const WATCHDOG_TICK: Duration = Duration::from_millis(10);

/// How often `wait` checks whether a child that closed its stdout has exited.
const EXIT_POLL: Duration = Duration::from_millis(2);

/// Most stderr kept per child (16 KiB): enough for ffmpeg's complaint, bounded against a decoder
/// that prints one warning per frame for hours. The rest is read and dropped so ffmpeg never
/// blocks on a full pipe, except for the last [`STDERR_TAIL`] bytes.
const STDERR_LIMIT: usize = 16 * 1024;

/// Last stderr bytes kept when the output passes [`STDERR_LIMIT`] (1 KiB): ffmpeg prints its
/// final report, which says how far decoding got, after everything it complained about.
const STDERR_TAIL: usize = 1024;

/// Why the watchdog stopped a child.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// The cancel flag was set.
    Cancelled,
    /// The deadline passed.
    TimedOut,
}

/// What the watchdog and the owner share.
struct Shared {
    child: Mutex<Child>,
    /// `(owner finished, why the watchdog killed the child)`.
    state: Mutex<(bool, Option<StopReason>)>,
    wake: Condvar,
}

/// A running child whose stdout is read by the owner; killed and reaped on drop.
pub struct BoundedChild {
    shared: Arc<Shared>,
    stdout: ChildStdout,
    stderr: Option<JoinHandle<String>>,
    watchdog: Option<JoinHandle<()>>,
    /// The total time limit, for the error message.
    limit: Duration,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding these locks leaves plain data behind; keep going.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl BoundedChild {
    /// Starts `command` with stdin closed, stdout/stderr piped and at most `max_memory` bytes
    /// of address space (an allocation past it fails inside the child, which then exits with
    /// its complaint); the watchdog kills it when `deadline` passes or `cancel` is set.
    pub fn spawn(
        mut command: Command,
        deadline: Instant,
        limit: Duration,
        max_memory: u64,
        cancel: &CancelFlag,
    ) -> Result<Self, AnalysisError> {
        let program = command.get_program().to_string_lossy().into_owned();
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        limit_address_space(&mut command, max_memory);
        let mut child = command
            .spawn()
            .map_err(|error| AnalysisError::ToolMissing {
                program,
                reason: error.to_string(),
            })?;
        let stdout = child
            .stdout
            .take()
            .expect("stdout was configured as a pipe");
        let stderr_pipe = child
            .stderr
            .take()
            .expect("stderr was configured as a pipe");
        let stderr = std::thread::spawn(move || read_bounded_text(stderr_pipe));
        let shared = Arc::new(Shared {
            child: Mutex::new(child),
            state: Mutex::new((false, None)),
            wake: Condvar::new(),
        });
        let watched = Arc::clone(&shared);
        let cancel = cancel.clone();
        let watchdog = std::thread::spawn(move || watch(&watched, deadline, &cancel));
        Ok(BoundedChild {
            shared,
            stdout,
            stderr: Some(stderr),
            watchdog: Some(watchdog),
            limit,
        })
    }

    /// The child's stdout.
    pub fn stdout(&mut self) -> &mut ChildStdout {
        &mut self.stdout
    }

    /// Why the watchdog killed the child, if it did.
    pub fn stop_reason(&self) -> Option<StopReason> {
        lock(&self.shared.state).1
    }

    /// The error for a child the watchdog stopped, if it did.
    pub fn stop_error(&self) -> Option<AnalysisError> {
        self.stop_reason().map(|reason| match reason {
            StopReason::Cancelled => AnalysisError::Cancelled,
            StopReason::TimedOut => AnalysisError::TimedOut(self.limit),
        })
    }

    /// Waits for the child to exit on its own; returns its status and captured stderr.
    pub fn wait(mut self) -> Result<(ExitStatus, String), AnalysisError> {
        // Poll instead of a blocking wait: the lock must stay free for the watchdog to kill a
        // child that closed stdout but hangs instead of exiting.
        let status = loop {
            if let Some(status) = lock(&self.shared.child).try_wait()? {
                break status;
            }
            std::thread::sleep(EXIT_POLL);
        };
        self.stop_watchdog();
        if let Some(error) = self.stop_error() {
            return Err(error);
        }
        let stderr = self.stderr.take().map(join_text).unwrap_or_default();
        Ok((status, stderr))
    }

    fn stop_watchdog(&mut self) {
        lock(&self.shared.state).0 = true;
        self.shared.wake.notify_all();
        if let Some(watchdog) = self.watchdog.take() {
            let _ = watchdog.join();
        }
    }
}

impl Drop for BoundedChild {
    fn drop(&mut self) {
        {
            let mut child = lock(&self.shared.child);
            // Killing an exited child fails harmlessly; wait() then reaps it either way.
            let _ = child.kill();
            let _ = child.wait();
        }
        self.stop_watchdog();
        if let Some(stderr) = self.stderr.take() {
            let _ = stderr.join();
        }
    }
}

/// Makes the child run with at most `bytes` of address space (`RLIMIT_AS`, soft and hard, so
/// the child cannot raise it). Address space rather than resident memory because the kernel
/// enforces it at every allocation, while a resident-size limit is not enforced at all.
#[cfg(unix)]
fn limit_address_space(command: &mut Command, bytes: u64) {
    use std::os::unix::process::CommandExt;
    let limit = libc::rlimit {
        rlim_cur: bytes as libc::rlim_t,
        rlim_max: bytes as libc::rlim_t,
    };
    // SAFETY: the closure runs in the forked child before exec, where only async-signal-safe
    // calls are allowed: it makes one `setrlimit` call on a value copied in beforehand, and
    // allocates, locks and reads no shared state.
    unsafe {
        command.pre_exec(move || {
            if libc::setrlimit(libc::RLIMIT_AS, &limit) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
}

#[cfg(not(unix))]
fn limit_address_space(_command: &mut Command, _bytes: u64) {}

/// The watchdog loop: sleeps on the condvar in short ticks, kills on cancel or deadline.
fn watch(shared: &Shared, deadline: Instant, cancel: &CancelFlag) {
    let mut state = lock(&shared.state);
    loop {
        if state.0 {
            return;
        }
        let reason = if cancel.is_cancelled() {
            Some(StopReason::Cancelled)
        } else if Instant::now() >= deadline {
            Some(StopReason::TimedOut)
        } else {
            None
        };
        if let Some(reason) = reason {
            state.1 = Some(reason);
            drop(state);
            let _ = lock(&shared.child).kill();
            return;
        }
        let tick = WATCHDOG_TICK.min(deadline.saturating_duration_since(Instant::now()));
        state = shared
            .wake
            .wait_timeout(state, tick)
            .unwrap_or_else(PoisonError::into_inner)
            .0;
    }
}

/// Reads a pipe to its end, keeping the first [`STDERR_LIMIT`] bytes and the last
/// [`STDERR_TAIL`] bytes as text, with a line saying how much was left out between them.
fn read_bounded_text(mut pipe: impl Read) -> String {
    let mut head = Vec::new();
    let mut tail = VecDeque::new();
    let mut left_out = 0usize;
    let mut buffer = [0u8; 4096];
    loop {
        match pipe.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = STDERR_LIMIT.saturating_sub(head.len());
                let (to_head, rest) = buffer[..n].split_at(n.min(room));
                head.extend_from_slice(to_head);
                tail.extend(rest);
                let excess = tail.len().saturating_sub(STDERR_TAIL);
                tail.drain(..excess);
                left_out += excess;
            }
        }
    }
    let mut text = String::from_utf8_lossy(&head).into_owned();
    if left_out > 0 {
        text.push_str(&format!("\n[{left_out} bytes of output left out]\n"));
    }
    text.push_str(&String::from_utf8_lossy(tail.make_contiguous()));
    text
}

fn join_text(handle: JoinHandle<String>) -> String {
    handle.join().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_stderr_keeps_its_beginning_and_its_last_words() {
        let mut output = "first complaint\n".to_owned();
        output.push_str(&"x".repeat(3 * STDERR_LIMIT));
        output.push_str("\nfinal report\n");
        let kept = read_bounded_text(output.as_bytes());
        assert!(kept.starts_with("first complaint\n"), "{kept:.40}");
        assert!(kept.ends_with("\nfinal report\n"));
        assert!(kept.contains("bytes of output left out"));
        assert!(kept.len() < STDERR_LIMIT + STDERR_TAIL + 100);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn every_child_runs_under_the_address_space_limit() {
        let limit: u64 = 768 * 1024 * 1024;
        let mut command = Command::new("cat");
        command.arg("/proc/self/limits");
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut child = BoundedChild::spawn(
            command,
            deadline,
            Duration::from_secs(10),
            limit,
            &CancelFlag::new(),
        )
        .expect("cat starts");
        let mut limits = String::new();
        child
            .stdout()
            .read_to_string(&mut limits)
            .expect("cat prints its limits");
        let (status, _) = child.wait().expect("cat exits");
        assert!(status.success());
        let line = limits
            .lines()
            .find(|line| line.starts_with("Max address space"))
            .expect("Linux lists the address-space limit");
        let numbers: Vec<&str> = line.split_whitespace().skip(3).take(2).collect();
        assert_eq!(numbers, [limit.to_string(), limit.to_string()], "{line}");
    }

    #[test]
    fn short_stderr_is_kept_whole() {
        assert_eq!(read_bounded_text(&b"one line\n"[..]), "one line\n");
    }
}
