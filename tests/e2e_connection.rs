//! The page loads from the server and its one WebSocket goes live.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use support::{Browser, LIVE_TIMEOUT, Server, ServerOptions};

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
