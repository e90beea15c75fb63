//! Running child processes: each command is echoed before it runs and a failure becomes a sentence.
//!
//! Every command gets cargo's bin directory on its PATH, so tools that `cargo install` just put
//! there are found even when the calling shell never sourced `~/.cargo/env`.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Command, ExitStatus};

/// A command for `program` with cargo's bin directory first on its PATH.
pub fn tool(program: &str) -> Command {
    let mut command = Command::new(program);
    if let Ok(path) = std::env::join_paths(search_path()) {
        command.env("PATH", path);
    }
    command
}

/// The directories searched for programs: cargo's bin directory, then the inherited PATH.
pub fn search_path() -> Vec<PathBuf> {
    let inherited = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(bin) = cargo_bin_dir() {
        dirs.push(bin);
    }
    for dir in std::env::split_paths(&inherited) {
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    dirs
}

/// `$CARGO_HOME/bin`, or `~/.cargo/bin` when CARGO_HOME is unset.
fn cargo_bin_dir() -> Option<PathBuf> {
    Some(cargo_home()?.join("bin"))
}

/// Cargo's home: `CARGO_HOME`, or `~/.cargo` when it is unset.
pub fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .filter(|home| !home.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
}

/// Echoes `command`, runs it with the terminal attached, and fails with a sentence naming
/// `what` unless it exits successfully.
pub fn run(command: &mut Command, what: &str) -> crate::Result {
    let status = run_status(command)?;
    check(status, what)
}

/// Echoes `command` and runs it with the terminal attached, returning however it ended.
pub fn run_status(command: &mut Command) -> crate::Result<ExitStatus> {
    println!("$ {}", render(command));
    command
        .status()
        .map_err(|error| start_error(command, &error).into())
}

/// Turns a finished command's status into a sentence when it failed.
pub fn check(status: ExitStatus, what: &str) -> crate::Result {
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed ({}): see the output above",
            describe_status(status)
        )
        .into())
    }
}

/// Runs `command` quietly and returns its standard output; fails unless it exits successfully.
/// For fast version and state checks, which are not echoed.
pub fn capture(command: &mut Command) -> crate::Result<String> {
    let output = command
        .output()
        .map_err(|error| start_error(command, &error))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(format!(
            "`{}` failed ({})",
            render(command),
            describe_status(output.status)
        )
        .into())
    }
}

/// "exit 1", or the signal that ended the process.
pub fn describe_status(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        (None, None) => "ended without an exit code".into(),
    }
}

/// The sentence for a program that could not be started at all.
fn start_error(command: &Command, error: &std::io::Error) -> String {
    format!(
        "could not start `{}` ({error}); is it installed and on PATH?",
        command.get_program().to_string_lossy()
    )
}

/// The command as a person would type it, with the environment it sets (PATH aside).
pub fn render(command: &Command) -> String {
    let mut words: Vec<String> = Vec::new();
    if let Some(dir) = command.get_current_dir() {
        words.push(format!("(cd {} &&", dir.display()));
    }
    for (key, value) in command.get_envs() {
        if key == "PATH" {
            continue;
        }
        if let Some(value) = value {
            words.push(format!(
                "{}={}",
                key.to_string_lossy(),
                quote(value.to_os_string())
            ));
        }
    }
    words.push(quote(command.get_program().to_os_string()));
    words.extend(command.get_args().map(|arg| quote(arg.to_os_string())));
    let mut line = words.join(" ");
    if command.get_current_dir().is_some() {
        line.push(')');
    }
    line
}

/// Single-quotes a word when a shell would otherwise split or expand it.
fn quote(word: OsString) -> String {
    let word = word.to_string_lossy().into_owned();
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain {
        word
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}
