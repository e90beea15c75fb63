//! `cargo xtask bench app`: builds the browser app with `trunk build --release` and reports what
//! a visitor downloads: every wasm, js, css and html file of `dist/`, raw, gzip and brotli. Then,
//! with the real `vidpush-server` serving that `dist/` and headless Chromium loading it, the time
//! to first render and the push-to-DOM latency beside what 1 s polling would give ([`timing`]
//! explains how each is measured); then, in the same run, push-to-DOM on the simulated AWS stack
//! ([`aws`]: the page on its own origin, pushes signed with SigV4 through the gateway playing
//! API Gateway).
//!
//! Options: `--no-build` measures the existing `dist/` and binaries; `--sizes-only` skips the
//! browser; `--local-only` skips the AWS stack; `--events N` pushes N events (default 200). Targets: at most 100 KiB gzip in total,
//! first render at most 300 ms, push-to-DOM p99 at most 20 ms. `--film [N]` runs the
//! film-scale measurement instead of the two above ([`film`]: 3,000 shots by default).

mod aws;
mod film;
mod pusher;
mod server;
mod timing;
mod webdriver;

use std::io::Write;
use std::path::Path;
use std::process::Command;

/// The transfer-size target for the whole page, gzip (see issue 4).
const TARGET_GZIP_BYTES: u64 = 100 * 1024;

/// One measured file.
struct Sizes {
    name: String,
    raw: u64,
    gzip: u64,
    brotli: u64,
}

fn gzip_len(bytes: &[u8]) -> std::io::Result<u64> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?.len() as u64)
}

fn brotli_len(bytes: &[u8]) -> std::io::Result<u64> {
    let mut out = Vec::new();
    {
        // Quality 11 and a 4 MiB window: what a CDN uses for static assets.
        let mut writer = brotli::CompressorWriter::new(&mut out, 64 * 1024, 11, 22);
        writer.write_all(bytes)?;
    }
    Ok(out.len() as u64)
}

fn kib(n: u64) -> String {
    format!("{:.1} KiB", n as f64 / 1024.0)
}

/// Runs the benchmark.
pub fn run(root: &Path, args: &[&str]) -> crate::Result {
    let build = !args.contains(&"--no-build");
    let events = match args.iter().position(|a| *a == "--events") {
        Some(i) => args
            .get(i + 1)
            .and_then(|n| n.parse().ok())
            .filter(|n| *n > 0)
            .ok_or("--events needs a positive number")?,
        None => timing::DEFAULT_EVENTS,
    };
    let film = match args.iter().position(|a| *a == "--film") {
        Some(i) => Some(match args.get(i + 1).filter(|a| !a.starts_with("--")) {
            Some(n) => n
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or("--film takes a positive number of shots")?,
            None => film::DEFAULT_SHOTS,
        }),
        None => None,
    };
    sizes(root, build)?;
    if args.contains(&"--sizes-only") {
        return Ok(());
    }
    let with_aws = film.is_none() && !args.contains(&"--local-only");
    if build {
        let mut cargo = Command::new("cargo");
        cargo.args([
            "build",
            "--profile",
            "native-release",
            "-p",
            "vidpush-server",
        ]);
        if with_aws {
            // The stack's launcher beside the function binaries it runs, optimised alike.
            cargo.args([
                "-p",
                "vidpush-lambda",
                "--bins",
                "--features",
                "vidpush-lambda/local-stack",
            ]);
        }
        let status = cargo.current_dir(root).status()?;
        if !status.success() {
            return Err(format!("building the server and functions failed ({status})").into());
        }
    }
    let binaries = crate::tasks::target_dir(root).join("native-release");
    let server = binaries.join("vidpush-server");
    let stack = binaries.join("vidpush-aws-local");
    if with_aws && !stack.exists() {
        return Err(format!(
            "{} is missing; run without --no-build once",
            stack.display()
        )
        .into());
    }
    if !server.exists() {
        return Err(format!(
            "{} is missing; run without --no-build once",
            server.display()
        )
        .into());
    }
    match film {
        Some(shots) => film::run(&server, &root.join("dist"), shots),
        None => timing::run(
            &server,
            with_aws.then_some(stack.as_path()),
            &root.join("dist"),
            events,
        ),
    }
}

/// Builds `dist/` unless told not to, and prints what a visitor downloads.
fn sizes(root: &Path, build: bool) -> crate::Result {
    if build {
        // The figures are of the size-tuned build: a silent fallback would misreport them.
        crate::app_build::release(root, crate::app_build::OnFailure::Fail, &[])?;
    }
    let dist = root.join("dist");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dist)
        .map_err(|e| format!("cannot read {} ({e}); build the app first", dist.display()))?
    {
        let path = entry?.path();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        if !matches!(ext, "wasm" | "js" | "css" | "html") {
            continue;
        }
        let bytes = std::fs::read(&path)?;
        files.push(Sizes {
            name: path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
            raw: bytes.len() as u64,
            gzip: gzip_len(&bytes)?,
            brotli: brotli_len(&bytes)?,
        });
    }
    if files.is_empty() {
        return Err(format!("{} holds no wasm, js, css or html", dist.display()).into());
    }
    files.sort_by_key(|f| std::cmp::Reverse(f.raw));
    println!(
        "{:<44} {:>12} {:>12} {:>12}",
        "file", "raw", "gzip", "brotli"
    );
    for f in &files {
        println!(
            "{:<44} {:>12} {:>12} {:>12}",
            f.name,
            kib(f.raw),
            kib(f.gzip),
            kib(f.brotli)
        );
    }
    let total = |f: fn(&Sizes) -> u64| files.iter().map(f).sum::<u64>();
    let (raw, gzip, brotli) = (total(|f| f.raw), total(|f| f.gzip), total(|f| f.brotli));
    println!(
        "{:<44} {:>12} {:>12} {:>12}",
        "total",
        kib(raw),
        kib(gzip),
        kib(brotli)
    );
    println!(
        "target: ≤ {} gzip — {}",
        kib(TARGET_GZIP_BYTES),
        if gzip <= TARGET_GZIP_BYTES {
            "met".to_owned()
        } else {
            format!("missed by {}", kib(gzip - TARGET_GZIP_BYTES))
        }
    );
    Ok(())
}
