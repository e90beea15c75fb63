//! `cargo xtask bench <name>`: each benchmark lives in its own file and prints its figures.

mod analysis;
mod app;
mod gateway;
mod push;
mod upload;

use std::path::Path;

/// Runs the named benchmark.
pub fn run(root: &Path, which: &str, args: &[&str]) -> crate::Result {
    match which {
        "gateway" => gateway::run(root, args),
        "analysis" => analysis::run(root, args),
        "upload" => upload::run(root, args),
        "app" => app::run(root, args),
        "push" => push::run_bench(root, args),
        other => Err(format!(
            "no benchmark named {other:?}; try gateway, analysis, upload, app or push"
        )
        .into()),
    }
}
