//! Finding and installing the toolchain and system tools that `dev` and `test` need.
//!
//! Each check is fast and a tool already present at the right version is left alone, so running
//! this on every `cargo xtask` call costs well under a second on a prepared machine. It installs
//! only from package registries (crates.io through `cargo install`, Debian through `apt-get`,
//! npm), never by downloading from elsewhere.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

use crate::process::{capture, run, tool};

/// The wasm target the browser app compiles to.
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// The trunk release the build is known to work with; `Trunk.toml` relies on its offline mode.
const TRUNK_VERSION: &str = "0.21.14";

/// Debian packages the build and the tests use, each with a program that proves it is present.
const DEBIAN_PACKAGES: &[(&str, &str)] = &[
    ("binaryen", "wasm-opt"),
    ("chromium", "chromium"),
    ("chromium-driver", "chromedriver"),
    ("ffmpeg", "ffmpeg"),
];

/// Where the tus-js-client compatibility test keeps its npm project, relative to the root.
const TUS_CLIENT_DIR: &str = "tests/tus-client";

/// Puts in place everything `dev` and `test` need, printing one line per tool.
pub fn ensure(root: &Path) -> crate::Result {
    ensure_rust_parts()?;
    ensure_debian_packages(root)?;
    ensure_trunk()?;
    ensure_wasm_bindgen(root)?;
    ensure_tus_client(root)?;
    ensure_size_toolchain();
    fetch_crates(root, &[])
}

/// Downloads every crate a later offline step needs into cargo's cache: the workspace's, for
/// every target, and — for the size-tuned app build — the standard library's own crates, which
/// `-Zbuild-std` compiles from source. trunk runs cargo with `--offline` (`Trunk.toml`), so
/// whatever this misses fails the app build on a machine that never built the project.
///
/// `env` is added to both commands (the empty-cache check passes its own `CARGO_HOME`). Cheap
/// when everything is cached: cargo only checks.
pub fn fetch_crates(root: &Path, env: &[(&str, &OsStr)]) -> crate::Result {
    use crate::app_build::{BUILD_STD, SIZE_TOOLCHAIN, Toolchain};
    let mut workspace = tool("cargo");
    workspace.args(["fetch", "--locked"]).current_dir(root);
    let mut std_crates = tool("cargo");
    std_crates
        .arg(format!("+{SIZE_TOOLCHAIN}"))
        .args(["fetch", "--locked", "--target", WASM_TARGET])
        .env("CARGO_UNSTABLE_BUILD_STD", BUILD_STD)
        .current_dir(root);
    for (key, value) in env {
        workspace.env(key, value);
        std_crates.env(key, value);
    }
    run(&mut workspace, "cargo fetch (the workspace's crates)")?;
    match Toolchain::detect() {
        Toolchain::SizeTuned => {
            // A failure here only costs the size-tuned build, which then falls back to stable.
            if let Err(error) = run(
                &mut std_crates,
                "cargo fetch (the standard library's crates)",
            ) {
                println!("{error}; the app will be built with stable");
            }
        }
        Toolchain::Stable(_) => {}
    }
    Ok(())
}

/// `rust-src` for the nightly toolchain, which the size-tuned app build needs (see `app_build`).
/// Optional: when rustup cannot add it, the app builds with stable and says so.
fn ensure_size_toolchain() {
    use crate::app_build::{Missing, SIZE_TOOLCHAIN, Toolchain};
    if let Toolchain::Stable(Missing::RustSrc) = Toolchain::detect() {
        println!(
            "installing rust-src for {SIZE_TOOLCHAIN} (the size-tuned app build rebuilds std)"
        );
        let added = run(
            tool("rustup").args([
                "component",
                "add",
                "rust-src",
                "--toolchain",
                SIZE_TOOLCHAIN,
            ]),
            "rustup component add rust-src",
        );
        if let Err(error) = added {
            println!("could not add rust-src ({error}); the app will build with stable");
        }
    }
    println!("{}", Toolchain::detect().describe());
}

/// The wasm target and the rustfmt and clippy components.
fn ensure_rust_parts() -> crate::Result {
    let installed =
        capture(tool("rustup").args(["target", "list", "--installed"])).map_err(|error| {
            format!("could not ask rustup for its targets ({error}); is rustup installed?")
        })?;
    if installed.lines().any(|line| line.trim() == WASM_TARGET) {
        println!("ok rust target {WASM_TARGET}");
    } else {
        println!("installing rust target {WASM_TARGET}");
        run(
            tool("rustup").args(["target", "add", WASM_TARGET]),
            "rustup target add",
        )?;
    }
    for (component, probe) in [("rustfmt", "fmt"), ("clippy", "clippy")] {
        if capture(tool("cargo").args([probe, "--version"])).is_ok() {
            println!("ok rust component {component}");
        } else {
            println!("installing rust component {component}");
            run(
                tool("rustup").args(["component", "add", component]),
                "rustup component add",
            )?;
        }
    }
    Ok(())
}

/// `trunk`, from crates.io at the pinned version.
fn ensure_trunk() -> crate::Result {
    let expected = format!("trunk {TRUNK_VERSION}");
    match capture(tool("trunk").arg("--version")) {
        Ok(found) if found.trim() == expected => {
            println!("ok trunk {TRUNK_VERSION}");
            Ok(())
        }
        found => {
            println!(
                "installing trunk {TRUNK_VERSION} ({}; this takes about 11 minutes)",
                describe(&found)
            );
            cargo_install("trunk", TRUNK_VERSION)
        }
    }
}

/// `wasm-bindgen` and `wasm-bindgen-test-runner`, at exactly the version in Cargo.lock: the CLI
/// refuses wasm produced by any other version of the library.
fn ensure_wasm_bindgen(root: &Path) -> crate::Result {
    let version = locked_version(root, "wasm-bindgen")?;
    let expected = format!("wasm-bindgen {version}");
    let bindgen = capture(tool("wasm-bindgen").arg("--version"));
    let runner_present = capture(tool("wasm-bindgen-test-runner").arg("--version")).is_ok();
    match bindgen {
        Ok(found) if found.trim() == expected && runner_present => {
            println!("ok wasm-bindgen {version}");
            Ok(())
        }
        found => {
            let what = if runner_present {
                describe(&found)
            } else {
                "wasm-bindgen-test-runner is missing".into()
            };
            println!("installing wasm-bindgen-cli {version} ({what}; this takes about 6 minutes)");
            cargo_install("wasm-bindgen-cli", &version)
        }
    }
}

/// `binaryen`, `chromium`, `chromium-driver`, `ffmpeg` and, when the tus-js-client test exists,
/// `nodejs` and `npm`: only the missing ones, in one `apt-get` call.
fn ensure_debian_packages(root: &Path) -> crate::Result {
    let mut wanted: Vec<(&str, &str)> = DEBIAN_PACKAGES.to_vec();
    if root.join(TUS_CLIENT_DIR).join("package.json").is_file() {
        wanted.extend([("nodejs", "node"), ("npm", "npm")]);
    }
    let mut missing = Vec::new();
    for (package, program) in wanted {
        if on_path(program) {
            println!("ok {package}");
        } else {
            missing.push(package);
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    let list = missing.join(" ");
    if !is_root() {
        return Err(format!(
            "the Debian packages {list} are missing and installing them needs root; run \
             `sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y \
             --no-install-recommends {list}` and try again"
        )
        .into());
    }
    println!("installing {list}");
    run(
        tool("apt-get")
            .arg("update")
            .env("DEBIAN_FRONTEND", "noninteractive"),
        "apt-get update",
    )?;
    run(
        tool("apt-get")
            .args(["install", "-y", "--no-install-recommends"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive"),
        "apt-get install",
    )
}

/// The npm dependencies of the tus-js-client test, when that test exists and they are missing.
fn ensure_tus_client(root: &Path) -> crate::Result {
    let dir = root.join(TUS_CLIENT_DIR);
    if !dir.join("package.json").is_file() {
        return Ok(());
    }
    if dir.join("node_modules").is_dir() {
        println!("ok npm packages in {TUS_CLIENT_DIR}");
        return Ok(());
    }
    println!("installing npm packages in {TUS_CLIENT_DIR}");
    let verb = if dir.join("package-lock.json").is_file() {
        "ci"
    } else {
        "install"
    };
    run(
        tool("npm").arg(verb).current_dir(&dir),
        &format!("npm {verb}"),
    )
}

/// `cargo install <krate> --version <version> --locked`, one at a time (the machines are small).
fn cargo_install(krate: &str, version: &str) -> crate::Result {
    run(
        tool("cargo").args(["install", krate, "--version", version, "--locked"]),
        &format!("cargo install {krate}"),
    )
}

/// The version of `package` recorded in the workspace's Cargo.lock.
pub fn locked_version(root: &Path, package: &str) -> crate::Result<String> {
    let path = root.join("Cargo.lock");
    let lock = std::fs::read_to_string(&path).map_err(|error| {
        format!(
            "could not read {} ({error}); run `cargo generate-lockfile`",
            path.display()
        )
    })?;
    version_in_lock(&lock, package).ok_or_else(|| {
        format!("Cargo.lock has no entry for {package}; run `cargo generate-lockfile`").into()
    })
}

/// The version of `package` in the text of a Cargo.lock.
fn version_in_lock(lock: &str, package: &str) -> Option<String> {
    let name_line = format!("name = \"{package}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == name_line {
            let version = lines
                .next()
                .and_then(|line| line.trim().strip_prefix("version = \""))
                .and_then(|rest| rest.strip_suffix('"'));
            if let Some(version) = version {
                return Some(version.to_string());
            }
        }
    }
    None
}

/// Whether `program` can be found on PATH (or in cargo's bin directory, see [`tool`]).
fn on_path(program: &str) -> bool {
    crate::process::search_path()
        .iter()
        .any(|dir| dir.join(program).is_file())
}

/// Whether this process runs as root, which `apt-get install` needs.
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Says in a few words why a version check did not pass.
fn describe(found: &crate::Result<String>) -> String {
    match found {
        Ok(version) => format!("found {}", version.trim()),
        Err(_) => "not installed".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::version_in_lock;

    const LOCK: &str = r#"
[[package]]
name = "wasm-bindgen-futures"
version = "0.4.79"

[[package]]
name = "wasm-bindgen"
version = "0.2.129"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;

    #[test]
    fn lock_version_is_read_for_the_exact_package_name() {
        assert_eq!(
            version_in_lock(LOCK, "wasm-bindgen").as_deref(),
            Some("0.2.129")
        );
        assert_eq!(
            version_in_lock(LOCK, "wasm-bindgen-futures").as_deref(),
            Some("0.4.79")
        );
    }

    #[test]
    fn missing_package_has_no_lock_version() {
        assert_eq!(version_in_lock(LOCK, "trunk"), None);
    }
}
