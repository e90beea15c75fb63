//! Everything that leaves the page: `config.json` and API requests ([`http`]), the server's
//! list of this token's jobs ([`job_list`]), what the browser reads of a picked file
//! ([`media_probe`]), notifications when a job ends ([`notify`]), multipart uploads
//! over `XMLHttpRequest` ([`multipart`] for the API calls, [`upload`] for the parts, [`upload_control`] for
//! pause/resume/cancel, [`xhr`])
//! and the one WebSocket ([`socket`]).
//!
//! Decisions live in the plain modules (`multipart`, `job`, `backoff`, `connection`); this layer only
//! performs them, so it stays thin. It compiles natively (web-sys calls panic there) so the
//! crate's native tests build, but it is only exercised in a browser.

pub mod http;
pub mod job_list;
pub mod media_probe;
pub mod multipart;
pub mod notify;
pub mod socket;
pub mod storage;
pub mod upload;
pub mod upload_control;
pub mod xhr;

/// A number in `[0, 1)` for backoff jitter.
pub fn random() -> f64 {
    js_sys::Math::random()
}

/// Milliseconds since the Unix epoch, as `Date.now()`.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Sleeps for `duration` without blocking the page.
pub async fn sleep(duration: std::time::Duration) {
    gloo_timers::future::sleep(duration).await;
}

/// Sleeps for `duration`, or less when `wake` fires (or its sender is dropped): a retry wait
/// that a person's click or a sign of the server's return can cut short.
pub async fn sleep_unless_woken(
    duration: std::time::Duration,
    wake: futures::channel::oneshot::Receiver<()>,
) {
    futures::future::select(Box::pin(sleep(duration)), wake).await;
}
