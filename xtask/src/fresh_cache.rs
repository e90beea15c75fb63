//! The app build of `cargo xtask test`, made from an empty cargo registry cache.
//!
//! CI runs on a warm machine, where crates downloaded by earlier runs hide any step that only
//! works because of them: that is how a build needing the standard library's crates offline
//! once passed CI and failed on every new machine. So the test run builds the app with a
//! throwaway `CARGO_HOME` that holds no crates at all: only the install step's fetch
//! (`install::fetch_crates`) fills it, then the release build runs offline as trunk always
//! does, with no fallback to hide a failure. The target directory is shared, so this costs the
//! download, not a rebuild.

use std::path::Path;

use crate::app_build::{self, OnFailure};
use crate::install;

/// The throwaway cargo home, under cargo's target directory.
const FRESH_HOME: &str = "fresh-cargo-home";

/// Fetches into an empty cargo home, then builds the release app into `dist/` from it.
pub fn build_app(root: &Path) -> crate::Result {
    let home = crate::tasks::target_dir(root).join(FRESH_HOME);
    prepare(&home)?;
    println!(
        "building the app from an empty cargo cache ({}): every crate must come from the \
         install step's fetch",
        home.display()
    );
    let env = [("CARGO_HOME", home.as_os_str())];
    let built = install::fetch_crates(root, &env)
        .and_then(|()| app_build::release(root, OnFailure::Fail, &env));
    // The downloads are only proof; the real cache keeps serving every other step.
    let _ = std::fs::remove_dir_all(&home);
    built
}

/// An empty cargo home that keeps the user's cargo configuration (registry settings, not
/// crates) and whose `bin/` is the real one, so installed tools resolve the same.
fn prepare(home: &Path) -> crate::Result {
    if home.exists() {
        std::fs::remove_dir_all(home)
            .map_err(|error| format!("could not empty {} ({error})", home.display()))?;
    }
    std::fs::create_dir_all(home)
        .map_err(|error| format!("could not create {} ({error})", home.display()))?;
    let Some(real) = crate::process::cargo_home() else {
        return Ok(());
    };
    for config in ["config.toml", "config"] {
        let from = real.join(config);
        if from.is_file() {
            std::fs::copy(&from, home.join(config))?;
        }
    }
    let bin = real.join("bin");
    if bin.is_dir() {
        std::os::unix::fs::symlink(&bin, home.join("bin"))?;
    }
    Ok(())
}
