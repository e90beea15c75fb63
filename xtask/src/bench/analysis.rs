//! `cargo xtask bench analysis` (not written yet).

use std::path::Path;

/// Runs the benchmark.
pub fn run(_root: &Path, _args: &[&str]) -> crate::Result {
    Err("the analysis benchmark is not written yet".into())
}
