//! `cargo xtask dev` and `cargo xtask test`: the two commands a developer and CI run.
//!
//! Both install what is missing first (see `install`). `test` runs every check CI runs, in a fixed
//! order, and stops at the first failure with a sentence naming the step.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::app_build::OnFailure;
use crate::aws_tools::{self, AwsTools};
use crate::process::{check, describe_status, run, tool};
use crate::{app_build, fresh_cache, install};

const TEST_USAGE: &str = "usage: cargo xtask test [lint|native|e2e|wasm]... [--skip-install] [-- <args for the native test binaries>]
  (no group)  every check CI runs
  lint        cargo fmt --check, clippy for the host and for wasm, the AWS template's validators
  native      trunk build, the server binary, cargo test --workspace
  e2e         trunk build, the server binary, only the browser end-to-end tests (tests/e2e_*.rs)
  wasm        the app's and the protocol's wasm-bindgen tests in headless Chromium";

const DEV_USAGE: &str = "usage: cargo xtask dev [--aws] [--debug] [--skip-install] [-- <vidpush-server args, e.g. --listen 127.0.0.1:9000>]
  --aws   run the simulated AWS stack instead of the one process: moto (DynamoDB, S3, SQS), the
          gateway playing API Gateway with the real Lambda function binaries, the worker, and the
          page on its own origin (args go to vidpush-aws-local, e.g. --tokens a,b --page-port 9000)";

/// The feature that builds the simulated AWS stack's launcher beside the function binaries.
const LOCAL_STACK: &str = "vidpush-lambda/local-stack";

/// The simulated AWS stack's launcher.
const AWS_LOCAL_BIN: &str = "vidpush-aws-local";

/// The AWS SAM template, relative to the root.
const TEMPLATE: &str = "deploy/template.yaml";

/// The chromedriver Debian's `chromium-driver` package installs.
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// `cargo xtask build`: install, then build the release app into `dist/`, ready for any static
/// host.
pub fn build(root: &Path, args: &[&str]) -> crate::Result {
    match args {
        [] => install::ensure(root)?,
        ["--skip-install"] => {}
        _ => return Err("usage: cargo xtask build [--skip-install]".into()),
    }
    app_build::release(root, OnFailure::FallBackToStable, &[])?;
    println!("dist/ is ready: upload it with a config.json that names your endpoints");
    Ok(())
}

/// `cargo xtask dev`: install, build the app with trunk, then run the server that serves it.
pub fn dev(root: &Path, args: &[&str]) -> crate::Result {
    let mut debug = false;
    let mut aws = false;
    let mut skip_install = false;
    let mut server_args: Vec<&str> = Vec::new();
    let mut rest = args.iter();
    while let Some(&arg) = rest.next() {
        match arg {
            "--debug" => debug = true,
            "--aws" => aws = true,
            "--skip-install" => skip_install = true,
            "--" => server_args.extend(rest.by_ref()),
            "-h" | "--help" => {
                println!("{DEV_USAGE}");
                return Ok(());
            }
            other => server_args.push(other),
        }
    }
    if !skip_install {
        install::ensure(root)?;
    }
    if debug {
        run(tool("trunk").arg("build").current_dir(root), "trunk build")?;
    } else {
        app_build::release(root, OnFailure::FallBackToStable, &[])?;
    }

    let mut server = if aws {
        let target = target_dir(root);
        let moto = aws_tools::ensure(&target)?;
        run(
            cargo(&[
                "build",
                "-p",
                "vidpush-lambda",
                "--bins",
                "--features",
                LOCAL_STACK,
            ])
            .current_dir(root),
            "building the functions",
        )?;
        let mut stack = Command::new(target.join("debug").join(AWS_LOCAL_BIN));
        stack
            .args(["--page", "dist"])
            .args(&server_args)
            .env("VIDPUSH_MOTO_PYTHON", moto.python())
            .current_dir(root);
        stack
    } else {
        let mut server = tool("cargo");
        server
            .args(["run", "-p", "vidpush-server", "--", "--static-dir", "dist"])
            .args(&server_args)
            .current_dir(root);
        server
    };
    println!("$ {}", crate::process::render(&server));
    let mut child = server.spawn().map_err(|error| {
        format!(
            "could not start {} ({error})",
            crate::process::render(&server)
        )
    })?;
    // Ctrl-C reaches the whole foreground process group, so the server already gets it and shuts
    // down by itself; xtask stays alive to wait for it and report how it ended.
    ignore_interrupts();
    let status = child
        .wait()
        .map_err(|error| format!("lost track of the server process ({error})"))?;
    let name = if aws { AWS_LOCAL_BIN } else { "vidpush-server" };
    println!("{name} stopped ({})", describe_status(status));
    if status.success() || interrupted_by_ctrl_c(status) {
        Ok(())
    } else {
        check(status, name)
    }
}

/// Whether the server ended because of Ctrl-C rather than a fault of its own.
fn interrupted_by_ctrl_c(status: std::process::ExitStatus) -> bool {
    use std::os::unix::process::ExitStatusExt;
    // 130 is the shell convention for "ended by SIGINT"; 2 is SIGINT itself.
    status.code() == Some(130) || status.signal() == Some(2)
}

/// Makes this process ignore SIGINT (children that were already started keep their own handling).
fn ignore_interrupts() {
    const SIGINT: i32 = 2;
    const SIG_IGN: usize = 1;
    unsafe extern "C" {
        fn signal(signum: i32, handler: usize) -> usize;
    }
    // SAFETY: installing SIG_IGN for SIGINT has no preconditions and touches no Rust state.
    unsafe {
        signal(SIGINT, SIG_IGN);
    }
}

/// One check of `cargo xtask test`, in the order they run.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Step {
    Fmt,
    Clippy,
    ClippyWasm,
    Template,
    Trunk,
    Server,
    Tests,
    E2e,
    WasmTests,
}

impl Step {
    /// The name used in messages and in the timing summary.
    fn name(self) -> &'static str {
        match self {
            Step::Fmt => "fmt",
            Step::Clippy => "clippy",
            Step::ClippyWasm => "clippy (wasm)",
            Step::Template => "AWS template (sam validate --lint, cfn-lint)",
            Step::Trunk => "app build from an empty cargo cache",
            Step::Server => "server, functions and simulated AWS stack build",
            Step::Tests => "cargo test",
            Step::E2e => "e2e tests",
            Step::WasmTests => "wasm tests",
        }
    }

    /// Runs this step, failing with a sentence that names it.
    fn run(self, paths: &Paths, test_args: &[&str]) -> crate::Result {
        if self == Step::Trunk {
            return fresh_cache::build_app(&paths.root);
        }
        if self == Step::Template {
            return validate_template(paths);
        }
        let what = format!("the {} step", self.name());
        run(&mut self.command(paths, test_args), &what)
    }

    /// The command this step runs (every step but the app build, which is several).
    fn command(self, paths: &Paths, test_args: &[&str]) -> Command {
        let mut command = match self {
            Step::Fmt => cargo(&["fmt", "--all", "--", "--check"]),
            Step::Clippy => cargo(&[
                "clippy",
                "--workspace",
                "--all-targets",
                "--features",
                LOCAL_STACK,
                "--",
                "-D",
                "warnings",
            ]),
            Step::ClippyWasm => cargo(&[
                "clippy",
                "-p",
                "vidpush",
                "-p",
                "vidpush-protocol",
                "--target",
                "wasm32-unknown-unknown",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]),
            Step::Trunk => unreachable!("the app build runs through fresh_cache::build_app"),
            Step::Template => unreachable!("the template check runs through validate_template"),
            Step::Server => cargo(&[
                "build",
                "-p",
                "vidpush-server",
                "-p",
                "vidpush-lambda",
                "--bins",
                "--features",
                LOCAL_STACK,
            ]),
            Step::Tests | Step::E2e => {
                let mut test = if self == Step::Tests {
                    // The same features as the build before it, so nothing is built twice.
                    cargo(&["test", "--workspace", "--features", LOCAL_STACK])
                } else {
                    cargo(&["test", "-p", "vidpush", "--test", "e2e_*"])
                };
                if !test_args.is_empty() {
                    test.arg("--").args(test_args);
                }
                test.env("VIDPUSH_SERVER_BIN", &paths.server_bin)
                    .env("VIDPUSH_AWS_LOCAL_BIN", &paths.aws_local_bin)
                    .env("VIDPUSH_DIST", &paths.dist)
                    .env("VIDPUSH_MOTO_PYTHON", paths.aws_tools.python());
                test
            }
            Step::WasmTests => {
                // The app's component tests and the protocol's browser codec against serde.
                let mut test = cargo(&[
                    "test",
                    "-p",
                    "vidpush",
                    "-p",
                    "vidpush-protocol",
                    "--features",
                    "vidpush-protocol/web",
                    "--target",
                    "wasm32-unknown-unknown",
                ]);
                test.env(
                    "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
                    "wasm-bindgen-test-runner",
                )
                .env("CHROMEDRIVER", CHROMEDRIVER)
                // Test binaries that do not ask for a browser would otherwise need node.js.
                .env("WASM_BINDGEN_USE_BROWSER", "1");
                test
            }
        };
        command.current_dir(&paths.root);
        command
    }
}

/// Where `test` finds what earlier steps built.
struct Paths {
    /// The workspace root, where every command runs.
    root: PathBuf,
    /// The server binary the end-to-end tests start.
    server_bin: PathBuf,
    /// The simulated AWS stack the AWS end-to-end tests start.
    aws_local_bin: PathBuf,
    /// trunk's output, which the server serves to the browser in end-to-end tests.
    dist: PathBuf,
    /// moto, cfn-lint and the SAM CLI.
    aws_tools: AwsTools,
}

/// The SAM template, as AWS's own validators see it; offline, with no credentials. What they
/// cannot see (the template against the code) is `crates/aws/tests/template.rs`.
fn validate_template(paths: &Paths) -> crate::Result {
    let template = paths.root.join(TEMPLATE);
    let region = [
        ("AWS_DEFAULT_REGION", "us-east-1"),
        ("SAM_CLI_TELEMETRY", "0"),
    ];
    run(
        Command::new(paths.aws_tools.sam())
            .args(["validate", "--lint", "--region", "us-east-1", "--template"])
            .arg(&template)
            .envs(region),
        "sam validate --lint",
    )?;
    run(
        Command::new(paths.aws_tools.cfn_lint())
            .arg(&template)
            .envs(region),
        "cfn-lint",
    )
}

/// `cargo xtask test`: install, then every check CI runs (or the groups named), in order.
pub fn test(root: &Path, args: &[&str]) -> crate::Result {
    let mut steps: Vec<Step> = Vec::new();
    let mut skip_install = false;
    let mut test_args: Vec<&str> = Vec::new();
    let mut rest = args.iter();
    while let Some(&arg) = rest.next() {
        match arg {
            "lint" => steps.extend([Step::Fmt, Step::Clippy, Step::ClippyWasm, Step::Template]),
            "native" => steps.extend([Step::Trunk, Step::Server, Step::Tests]),
            "e2e" => steps.extend([Step::Trunk, Step::Server, Step::E2e]),
            "wasm" => steps.push(Step::WasmTests),
            "--skip-install" => skip_install = true,
            "--" => test_args.extend(rest.by_ref()),
            "-h" | "--help" => {
                println!("{TEST_USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?}\n{TEST_USAGE}").into()),
        }
    }
    if steps.is_empty() {
        steps = vec![
            Step::Fmt,
            Step::Clippy,
            Step::ClippyWasm,
            Step::Template,
            Step::Trunk,
            Step::Server,
            Step::Tests,
            Step::WasmTests,
        ];
    }
    steps.sort();
    steps.dedup();
    if steps.contains(&Step::Tests) {
        // `cargo test --workspace` already runs the end-to-end tests.
        steps.retain(|&step| step != Step::E2e);
    }

    let target = target_dir(root);
    let mut timings: Vec<(Step, Duration)> = Vec::new();
    let started = Instant::now();
    if !skip_install {
        println!("== install");
        install::ensure(root)?;
    }
    // Cheap when present; the moto tests and the template check cannot run without it.
    let aws_tools = aws_tools::ensure(&target)?;
    let paths = Paths {
        root: root.to_path_buf(),
        server_bin: target.join("debug").join("vidpush-server"),
        aws_local_bin: target.join("debug").join(AWS_LOCAL_BIN),
        dist: root.join("dist"),
        aws_tools,
    };
    let install_time = started.elapsed();
    for step in steps {
        println!("== {}", step.name());
        let step_started = Instant::now();
        let outcome = step.run(&paths, &test_args);
        timings.push((step, step_started.elapsed()));
        if let Err(error) = outcome {
            println!(
                "{}",
                summary("xtask test FAILED", install_time, &timings, started)
            );
            return Err(error);
        }
    }
    println!(
        "{}",
        summary("xtask test passed", install_time, &timings, started)
    );
    Ok(())
}

/// One line with the time each step took.
fn summary(
    verdict: &str,
    install: Duration,
    timings: &[(Step, Duration)],
    started: Instant,
) -> String {
    let mut parts = vec![format!("install {}", seconds(install))];
    parts.extend(
        timings
            .iter()
            .map(|(step, took)| format!("{} {}", step.name(), seconds(*took))),
    );
    format!(
        "{verdict} in {}: {}",
        seconds(started.elapsed()),
        parts.join(", ")
    )
}

/// "12.3s".
fn seconds(duration: Duration) -> String {
    format!("{:.1}s", duration.as_secs_f64())
}

/// A `cargo` command with these arguments.
fn cargo(args: &[&str]) -> Command {
    let mut command = tool("cargo");
    command.args(args);
    command
}

/// Cargo's target directory: `CARGO_TARGET_DIR` (relative to the root) or `<root>/target`.
pub fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => root.join("target"),
    }
}
