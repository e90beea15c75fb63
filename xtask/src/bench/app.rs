//! `cargo xtask bench app` (not written yet).

use std::path::Path;

/// Runs the benchmark.
pub fn run(_root: &Path, _args: &[&str]) -> crate::Result {
    Err("the app benchmark is not written yet".into())
}
