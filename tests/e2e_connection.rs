//! The page loads from the server and its one WebSocket goes live; when the server was away,
//! the person need not wait out the backoff.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::time::Duration;
use support::{Browser, LIVE_TIMEOUT, Server, ServerOptions};

/// The countdown the page must show before the server comes back, so that going live within
/// [`RETRY_NOW_TIMEOUT`] can only come from "Retry now", not from the countdown running out.
const LONG_COUNTDOWN_SECS: u64 = 6;

/// How soon after "Retry now" the page must be live again.
const RETRY_NOW_TIMEOUT: Duration = Duration::from_secs(3);

/// Waiting for backoff to reach [`LONG_COUNTDOWN_SECS`]: several failed attempts, each waiting
/// a random part of a doubling ceiling (0.5, 1, 2, 4, 8 s …).
const LONG_COUNTDOWN_TIMEOUT: Duration = Duration::from_secs(60);

#[tokio::test]
async fn page_loads_and_websocket_goes_live() {
    let server = Server::start(ServerOptions::default());
    let browser = Browser::start().await;

    browser.goto(&server.url()).await;
    assert_eq!(
        browser.title().await,
        "vidpush",
        "the server did not serve the app's index.html"
    );
    browser
        .wait_for_text("connection-state", "live", LIVE_TIMEOUT)
        .await;

    browser
        .screenshot("page_loads_and_websocket_goes_live")
        .await;
}

#[tokio::test]
async fn retry_now_reconnects_without_waiting_out_the_countdown() {
    let mut server = Server::start(ServerOptions::default());
    let browser = Browser::start().await;
    browser.open_live(&server.url()).await;

    server.kill();
    browser
        .wait_for_script(
            "a reconnection countdown of several seconds",
            "return document.querySelector('[data-testid=connection-detail]').textContent;",
            LONG_COUNTDOWN_TIMEOUT,
            |detail| {
                let seconds = detail
                    .as_str()
                    .and_then(|d| d.split("Retrying in ").nth(1))
                    .and_then(|rest| rest.split(' ').next())
                    .and_then(|n| n.parse::<u64>().ok());
                seconds.is_some_and(|s| s >= LONG_COUNTDOWN_SECS)
            },
        )
        .await;

    server.start_again();
    browser.click("connection-retry").await;
    browser
        .wait_for_text("connection-state", "live", RETRY_NOW_TIMEOUT)
        .await;
    assert_eq!(
        browser.count("connection-retry").await,
        0,
        "the button stays once live"
    );
    browser
        .screenshot("retry_now_reconnects_without_waiting_out_the_countdown")
        .await;
}
