//! The release build of the browser app: `trunk build --release`, tuned for transfer size.
//!
//! When rustup has the nightly toolchain with its `rust-src` component, the standard library is
//! rebuilt for the app (`-Zbuild-std`) with `panic=immediate-abort`: a panic then traps at once
//! instead of formatting a message, which drops core's formatting and panic machinery from the
//! wasm (about 19 KiB gzip, an eighth of the page). The app never panics on purpose; the trap
//! still shows in the console as `RuntimeError: unreachable`. Without nightly the same
//! command builds with stable and prints what was given up, so nothing else depends on it.
//!
//! This module owns only the choice of toolchain and flags; `install` puts `rust-src` in place.

use std::process::Command;

use crate::process::{capture, tool};

/// The toolchain that can rebuild the standard library (`-Zbuild-std` is unstable).
pub const SIZE_TOOLCHAIN: &str = "nightly";

/// Flags for the app's crates and the rebuilt standard library.
const SIZE_RUSTFLAGS: &str = "-Zunstable-options -Cpanic=immediate-abort";

/// Which parts of the standard library are rebuilt (`panic_abort` is what immediate-abort links).
const BUILD_STD: &str = "std,panic_abort";

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

/// The size flags after any `RUSTFLAGS` already set, which they would otherwise replace.
fn size_rustflags() -> String {
    match std::env::var("RUSTFLAGS") {
        Ok(inherited) if !inherited.trim().is_empty() => format!("{inherited} {SIZE_RUSTFLAGS}"),
        _ => SIZE_RUSTFLAGS.to_owned(),
    }
}

/// `trunk build --release` in `root`, with the smallest build this machine can make.
pub fn release(root: &std::path::Path) -> Command {
    let toolchain = Toolchain::detect();
    println!("{}", toolchain.describe());
    let mut trunk = tool("trunk");
    trunk.args(["build", "--release"]).current_dir(root);
    if let Toolchain::SizeTuned = toolchain {
        trunk
            .env("RUSTUP_TOOLCHAIN", SIZE_TOOLCHAIN)
            .env("CARGO_UNSTABLE_BUILD_STD", BUILD_STD)
            .env("RUSTFLAGS", size_rustflags());
    }
    trunk
}
