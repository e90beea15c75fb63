//! The release build of the browser app: `trunk build --release`, tuned for transfer size.
//!
//! When rustup has the nightly toolchain with its `rust-src` component, the standard library is
//! rebuilt for the app (`-Zbuild-std`) with `panic=immediate-abort`: a panic then traps at once
//! instead of formatting a message, which drops core's formatting and panic machinery from the
//! wasm (about 19 KiB of the page's 146 KiB gzip). The app never panics on purpose; the trap
//! still shows in the console as `RuntimeError: unreachable`. Without nightly, or when the
//! size-tuned build fails for any reason, the same command builds with stable and says in one
//! line what was given up, so nothing else depends on it.
//!
//! This module owns only the choice of toolchain and flags; `install` puts `rust-src` in place.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, ExitStatus};

use crate::process::{capture, describe_status, render, run, tool};

/// The toolchain that can rebuild the standard library (`-Zbuild-std` is unstable).
pub const SIZE_TOOLCHAIN: &str = "nightly";

/// Flags for the app's crates and the rebuilt standard library.
const SIZE_RUSTFLAGS: &str = "-Zunstable-options -Cpanic=immediate-abort";

/// Which parts of the standard library are rebuilt (`panic_abort` is what immediate-abort links).
pub const BUILD_STD: &str = "std,panic_abort";

/// How the release build is made on this machine.
pub enum Toolchain {
    /// Nightly with `rust-src`: the standard library is rebuilt with immediate-abort panics.
    SizeTuned,
    /// Stable only, because the size-tuned build lacks this.
    Stable(Missing),
}

/// What the size-tuned build lacks on this machine.
pub enum Missing {
    /// rustup has no nightly toolchain.
    Nightly,
    /// Nightly has no `rust-src`, so it cannot rebuild std; `install` can add it.
    RustSrc,
    /// This nightly predates the immediate-abort panic strategy.
    ImmediateAbort,
}

impl Toolchain {
    /// Looks at what rustup has; cheap enough to call before every build.
    pub fn detect() -> Self {
        let sysroot = match capture(
            tool("rustc")
                .arg(format!("+{SIZE_TOOLCHAIN}"))
                .args(["--print", "sysroot"]),
        ) {
            Ok(sysroot) => std::path::PathBuf::from(sysroot.trim()),
            Err(_) => return Toolchain::Stable(Missing::Nightly),
        };
        let std_source = sysroot.join("lib/rustlib/src/rust/library/std");
        if !std_source.is_dir() {
            return Toolchain::Stable(Missing::RustSrc);
        }
        // Older nightlies lack the immediate-abort panic strategy.
        let probe = capture(
            tool("rustc")
                .arg(format!("+{SIZE_TOOLCHAIN}"))
                .args(SIZE_RUSTFLAGS.split(' '))
                .args(["--print", "cfg", "--target", "wasm32-unknown-unknown"]),
        );
        match probe {
            Ok(cfg) if cfg.contains("panic=\"immediate-abort\"") => Toolchain::SizeTuned,
            _ => Toolchain::Stable(Missing::ImmediateAbort),
        }
    }

    /// One line for the build log.
    pub fn describe(&self) -> String {
        match self {
            Toolchain::SizeTuned => format!(
                "app release build: {SIZE_TOOLCHAIN}, standard library rebuilt with \
                 immediate-abort panics"
            ),
            Toolchain::Stable(missing) => {
                let reason = match missing {
                    Missing::Nightly => format!("rustup has no {SIZE_TOOLCHAIN} toolchain"),
                    Missing::RustSrc => {
                        format!("the {SIZE_TOOLCHAIN} toolchain has no rust-src component")
                    }
                    Missing::ImmediateAbort => {
                        format!("this {SIZE_TOOLCHAIN} rustc has no -Cpanic=immediate-abort")
                    }
                };
                format!(
                    "app release build: stable ({reason}; the wasm is about 19 KiB gzip larger; \
                     `rustup toolchain add {SIZE_TOOLCHAIN} --component rust-src` fixes that)"
                )
            }
        }
    }
}

/// What a release build does when the size-tuned build fails.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum OnFailure {
    /// Say so in one line and build with stable: what a person who wants the page expects.
    FallBackToStable,
    /// Fail with the build's own output: what CI's empty-cache check needs, since a fallback
    /// would hide exactly the failures it is there to find.
    Fail,
}

/// The size flags after any `RUSTFLAGS` already set, which they would otherwise replace.
fn size_rustflags() -> String {
    match std::env::var("RUSTFLAGS") {
        Ok(inherited) if !inherited.trim().is_empty() => format!("{inherited} {SIZE_RUSTFLAGS}"),
        _ => SIZE_RUSTFLAGS.to_owned(),
    }
}

/// `trunk build --release` in `root` with the given extra environment (stable unless the caller
/// adds the size-tuned variables).
fn trunk_release(root: &Path, env: &[(&str, &OsStr)]) -> Command {
    let mut trunk = tool("trunk");
    trunk.args(["build", "--release"]).current_dir(root);
    for (key, value) in env {
        trunk.env(key, value);
    }
    trunk
}

/// Builds the release app into `dist/` with the smallest build this machine can make.
///
/// `env` is added to every command (the empty-cache check passes its own `CARGO_HOME`). The
/// size-tuned build's output goes to a log file: when it fails and `on_failure` allows, a person
/// sees one line saying what failed and what the stable build costs, never nightly's error.
pub fn release(root: &Path, on_failure: OnFailure, env: &[(&str, &OsStr)]) -> crate::Result {
    let toolchain = Toolchain::detect();
    println!("{}", toolchain.describe());
    if let Toolchain::SizeTuned = toolchain {
        let log_path = crate::tasks::target_dir(root).join(SIZE_BUILD_LOG);
        let mut trunk = trunk_release(root, env);
        trunk
            .env("RUSTUP_TOOLCHAIN", SIZE_TOOLCHAIN)
            .env("CARGO_UNSTABLE_BUILD_STD", BUILD_STD)
            .env("RUSTFLAGS", size_rustflags());
        println!("(its output goes to {})", log_path.display());
        let status = run_logged(&mut trunk, &log_path)?;
        if status.success() {
            return Ok(());
        }
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        let reason = first_error(&log).unwrap_or_else(|| describe_status(status));
        if on_failure == OnFailure::Fail {
            println!("{}", last_lines(&log, 40));
            return Err(format!(
                "the size-tuned app build failed ({reason}); full log in {}",
                log_path.display()
            )
            .into());
        }
        println!(
            "app release build: the size-tuned {SIZE_TOOLCHAIN} build failed ({reason}; log in \
             {}), so the page is built with stable instead: it works the same and its wasm is \
             about 19 KiB gzip larger",
            log_path.display()
        );
    }
    run(&mut trunk_release(root, env), "trunk build --release")
}

/// Where the size-tuned build's output is kept, under cargo's target directory.
const SIZE_BUILD_LOG: &str = "app-build-size-tuned.log";

/// Runs `command` with its output going to a fresh file at `log`, and returns how it ended.
fn run_logged(command: &mut Command, log: &Path) -> crate::Result<ExitStatus> {
    if let Some(dir) = log.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let file = std::fs::File::create(log)
        .map_err(|error| format!("could not create {} ({error})", log.display()))?;
    let stderr = file.try_clone()?;
    println!("$ {}", render(command));
    command
        .stdout(file)
        .stderr(stderr)
        .status()
        .map_err(|error| format!("could not start trunk ({error}); is it installed?").into())
}

/// The first line of a build log that reports an error, without trunk's or cargo's decoration.
fn first_error(log: &str) -> Option<String> {
    log.lines().map(strip_ansi).find_map(|line| {
        let at = line.find("error")?;
        let text = line[at..].trim();
        (text.starts_with("error:") || text.starts_with("error[")).then(|| text.to_owned())
    })
}

/// The last `count` lines of `text`.
fn last_lines(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(count)..].join("\n")
}

/// `line` without terminal colour sequences (`ESC [ … m`), which trunk writes even to files.
fn strip_ansi(line: &str) -> String {
    let mut plain = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for next in chars.by_ref() {
                if next.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain
}

#[cfg(test)]
mod tests {
    use super::{first_error, strip_ansi};

    #[test]
    fn first_error_finds_cargos_error_line_inside_trunks_decoration() {
        let log = "\u{1b}[2m2026-12-05T16:00:00Z\u{1b}[0m \u{1b}[32m INFO\u{1b}[0m building vidpush\n\
                   error: no matching package named `wasip1` found\n\
                   required by package `std v0.0.0`\n\
                   \u{1b}[31mERROR\u{1b}[0m ❌ error\nerror: cargo call returned a bad status";
        assert_eq!(
            first_error(log).as_deref(),
            Some("error: no matching package named `wasip1` found")
        );
    }

    #[test]
    fn a_log_without_errors_has_no_first_error() {
        assert_eq!(
            first_error("INFO applying new distribution\nINFO success"),
            None
        );
    }

    #[test]
    fn colour_sequences_are_removed() {
        assert_eq!(strip_ansi("\u{1b}[1;31merror\u{1b}[0m: x"), "error: x");
    }
}
