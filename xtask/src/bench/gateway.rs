//! `cargo xtask bench gateway` (not written yet).

use std::path::Path;

/// Runs the benchmark.
pub fn run(_root: &Path, _args: &[&str]) -> crate::Result {
    Err("the gateway benchmark is not written yet".into())
}
