//! `dev` and `test` (filled in by the foundation work).

use std::path::Path;

/// `cargo xtask dev`.
pub fn dev(_root: &Path, _args: &[&str]) -> crate::Result {
    Err("dev is not written yet".into())
}

/// `cargo xtask test`.
pub fn test(_root: &Path, _args: &[&str]) -> crate::Result {
    Err("test is not written yet".into())
}
