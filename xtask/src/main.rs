//! `cargo xtask`: the project's two commands and its benchmarks.
//!
//! - `cargo xtask install`: install whatever `dev` and `test` need that is missing.
//! - `cargo xtask build`: install what is missing, build the release app into `dist/`.
//! - `cargo xtask dev`: install what is missing, build the app, run the server (`--aws`: the
//!   simulated AWS stack instead).
//! - `cargo xtask test`: install what is missing, then every check CI runs.
//! - `cargo xtask bench <gateway|analysis|upload|app|push>`: print measured figures.
//! - `cargo xtask publish-page --stack NAME`: the page on a deployed stack's S3 + CloudFront,
//!   with `config.json` written from the stack's outputs.
//!
//! Modules: `install` (finding and installing the toolchain and system tools), `app_build`
//! (the size-tuned release build of the app, falling back to stable), `fresh_cache` (the test
//! run's app build from an empty cargo cache, which proves the install step fetched enough),
//! `aws_tools` (moto, cfn-lint and the SAM CLI in a Python environment of their own),
//! `process` (running child processes), `tasks` (dev and test), `bench` (one file per
//! benchmark), `publish_page` (the page to a deployed stack, through the AWS CLI).

mod app_build;
mod aws_tools;
mod bench;
mod fresh_cache;
mod install;
mod process;
mod publish_page;
mod tasks;

use std::path::PathBuf;
use std::process::ExitCode;

/// Every xtask step returns this: errors are printed as sentences and end the run.
pub type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

const USAGE: &str = "usage: cargo xtask <install|build|dev|test|bench <gateway|analysis|upload|app|push>|publish-page> (add --help for options)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    let outcome = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["install"] => install::ensure(&root),
        ["build", rest @ ..] => tasks::build(&root, rest),
        ["dev", rest @ ..] => tasks::dev(&root, rest),
        ["test", rest @ ..] => tasks::test(&root, rest),
        ["bench", which, rest @ ..] => bench::run(&root, which, rest),
        ["publish-page", rest @ ..] => publish_page::run_publish(&root, rest),
        _ => Err(USAGE.into()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root: xtask's manifest sits one level below it.
fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}
