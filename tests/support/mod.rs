//! The end-to-end test harness: a real `vidpush-server`, a real headless Chromium, real ffmpeg.
//!
//! Each `tests/e2e_*.rs` file starts with `#![cfg(not(target_arch = "wasm32"))]` and `mod support;`.
//! - `server`: [`Server`] starts the server binary on a free port with a temporary data dir,
//!   kills it on drop, restarts it on the same data dir and port, and prints its log when a test
//!   fails.
//! - `browser`: [`Browser`] starts chromedriver and Chromium and waits on DOM conditions by
//!   `data-testid`; it saves a screenshot when a test fails.
//! - `clip`: [`make_clip`] renders a small H.264 video with a known number of shots;
//!   [`pad_clip`] makes it big enough for several upload parts.
//! - `page`: more ways to read the page (attributes, scripts, job state, shots and their
//!   thumbnails, recorders for short-lived states and for the requests it sends) and to hold
//!   its requests mid-flight.
//! - `static_site`: [`StaticSite`] copies the built app with its own `config.json`, to be served
//!   by the server or by a plain file server on another port and sub-path.
//! - `connections`: the gateway's connection ids and the `@connections` management API.
//! - `aws_stack`: [`AwsStack`], the simulated AWS stack (`vidpush-aws-local`) serving the page.
//! - `film`: a made-up feature film's shots and metadata, to push a film's worth of events.
//! - `webdriver`: blocking calls to chromedriver (over ureq), for the places where async cannot
//!   go (readiness checks, Chrome DevTools commands, `Drop`).
//!
//! The binary comes from `VIDPUSH_SERVER_BIN` (set by `cargo xtask test`) or, failing that, from
//! the target directory this test was built in; the app from `VIDPUSH_DIST` or `<root>/dist`.
//! Build both first: `cargo xtask test e2e` does.

// Each test file uses a different part of the harness.
#![allow(dead_code, unused_imports)]

mod aws_stack;
mod browser;
mod clip;
pub mod connections;
pub mod film;
mod page;
mod server;
mod static_site;
mod webdriver;

use std::path::PathBuf;
use std::time::Duration;

/// How long the app may take to load, start its wasm and open the socket on a busy machine.
pub const LIVE_TIMEOUT: Duration = Duration::from_secs(20);

/// Until the first shot is on the page: upload, queueing, probing, the first cut.
pub const FIRST_SHOT_TIMEOUT: Duration = Duration::from_secs(20);

/// The rest of a job of a few hundred small frames, a reconnect included.
pub const JOB_TIMEOUT: Duration = Duration::from_secs(30);

/// Thumbnails are small JPEGs from the same server.
pub const THUMBNAIL_TIMEOUT: Duration = Duration::from_secs(10);

pub use aws_stack::{AwsStack, Delivery};

impl AwsStack {
    /// The stack for a test: `VIDPUSH_AWS_LOCAL_BIN` (set by `cargo xtask test`) or
    /// `vidpush-aws-local` in the profile directory this test was built in, serving the built
    /// app; panics with the reason if it does not start.
    pub fn for_test(delivery: Delivery) -> AwsStack {
        let binary = match std::env::var_os("VIDPUSH_AWS_LOCAL_BIN") {
            Some(path) if !path.is_empty() => PathBuf::from(path),
            _ => profile_dir().join("vidpush-aws-local"),
        };
        AwsStack::start(&binary, &server::static_dir(), delivery).unwrap_or_else(|e| panic!("{e}"))
    }
}
pub use browser::Browser;
pub use clip::{Clip, ClipSpec, LONG_CLIP_SHOTS, long_clip, make_clip, pad_clip};
pub use page::ShotOnPage;
pub use server::{Server, ServerOptions};
pub use static_site::{FileServer, StaticSite};

/// Cargo's profile directory this test binary was built into (`<target>/debug`): test binaries
/// live in its `deps` folder.
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary knows its own path");
    exe.parent()
        .and_then(|deps| deps.parent())
        .expect("test binaries live in <target>/<profile>/deps")
        .to_path_buf()
}

/// The workspace root (the `vidpush` package is the root package).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where screenshots go: `<target>/e2e-screenshots`.
pub fn screenshot_dir() -> PathBuf {
    let target = profile_dir()
        .parent()
        .expect("the profile directory sits inside the target directory")
        .to_path_buf();
    target.join("e2e-screenshots")
}

/// The name of the running test: libtest names each test's thread after it.
pub fn current_test_name() -> String {
    let name = std::thread::current()
        .name()
        .unwrap_or("unnamed-test")
        .to_string();
    name.replace("::", "-")
}
