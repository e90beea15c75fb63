//! vidpush in the browser: drop a video, watch its analysis arrive live over one WebSocket.
//!
//! Plain-Rust logic (tested with `cargo test -p vidpush`, no browser needed):
//! - [`config`]: page URL + `config.json` → WebSocket URL, API base, token.
//! - [`connection`]: the socket's visible state and why a connection attempt failed.
//! - [`backoff`]: retry delays with exponential backoff and full jitter.
//! - [`job`]: one job's view, built by applying pushed events in `seq` order exactly once.
//! - [`multipart`]: the uploader's bookkeeping (parts left, bytes sent across parallel parts,
//!   the completion list, what a part's answer means, resume after a reload, speed).
//! - [`upload_flow`]: one upload's life (start or continue, send, complete; pause, retry,
//!   cancel) as a state machine the net layer drives.
//! - [`file_check`]: which picked files may be uploaded, with a readable refusal.
//! - [`cuts`]: the person's choice of fewer or more cuts, as the job's sensitivity.
//! - [`export`]: JSON, CSV, WebVTT chapters and CMX 3600 EDL from a finished result.
//! - [`format`]: how sizes, times and percentages read.
//! - [`storyboard`]: which of thousands of shots are near the view, keys between shots, the
//!   ruler's bands.
//! - [`tab_title`]: the browser tab's title: progress, then completion.
//!
//! Browser glue (thin; exercised by `tests/browser_*.rs` in headless Chromium):
//! - [`net`]: `config.json` and API requests, the multipart upload's `XMLHttpRequest`s, the
//!   WebSocket task.
//! - [`ui`]: the Leptos components; [`ui::App`] is the page.

pub mod backoff;
pub mod config;
pub mod connection;
pub mod cuts;
pub mod export;
pub mod file_check;
pub mod format;
pub mod job;
pub mod multipart;
pub mod net;
pub mod store;
pub mod storyboard;
pub mod tab_title;
pub mod ui;
pub mod upload_flow;

#[cfg(test)]
mod fixtures;
