//! A server that requires a token: the page says plainly when its `config.json` carries the
//! wrong one, and with the right one it goes live and everything works, thumbnails included
//! (images cannot send an `Authorization` header, so they carry the token in their URL).
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::time::Duration;

use serde_json::json;
use support::{
    Browser, ClipSpec, JOB_TIMEOUT, Server, ServerOptions, StaticSite, THUMBNAIL_TIMEOUT, make_clip,
};

/// How long the app may take to load, start its wasm, try the socket and ask the server why
/// it was refused, on a busy machine.
const STATE_TIMEOUT: Duration = Duration::from_secs(20);

/// The one token the server accepts.
const TOKEN: &str = "secret";

/// A server that accepts only [`TOKEN`], serving the app with `token` in its `config.json`.
fn server_with_page_token(token: &str) -> (Server, StaticSite) {
    let site = StaticSite::new("", &json!({ "token": token }));
    let server = Server::start(ServerOptions {
        tokens: vec![TOKEN.into()],
        static_dir: Some(site.app_dir()),
        ..ServerOptions::default()
    });
    (server, site)
}

#[tokio::test]
async fn a_refused_token_is_shown_as_such() {
    let (server, _site) = server_with_page_token("not-the-secret");
    let browser = Browser::start().await;
    browser.goto(&server.url()).await;

    browser
        .wait_for_text("connection-state", "offline", STATE_TIMEOUT)
        .await;
    let detail = browser
        .text("connection-detail")
        .await
        .expect("the pill has a detail line");
    assert!(
        detail.to_lowercase().contains("token"),
        "the page is offline but does not say the token is the reason: {detail:?}"
    );

    browser.screenshot("a_refused_token_is_shown_as_such").await;
}

#[tokio::test]
async fn the_right_token_goes_live_and_loads_thumbnails() {
    let clips = tempfile::tempdir().expect("the system temp dir is writable");
    let clip = make_clip(clips.path(), &ClipSpec::default());
    let (server, _site) = server_with_page_token(TOKEN);
    let browser = Browser::start().await;
    browser.goto(&server.url()).await;
    browser
        .wait_for_text("connection-state", "live", STATE_TIMEOUT)
        .await;

    browser.choose_file("file-input", &clip.path).await;
    browser.wait_for_job_state("completed", JOB_TIMEOUT).await;
    let shots = browser.wait_for_thumbnails(THUMBNAIL_TIMEOUT).await;
    assert_eq!(
        shots.len(),
        clip.shots,
        "the page shows {} shots for a clip with {}",
        shots.len(),
        clip.shots
    );

    browser
        .finish("the_right_token_goes_live_and_loads_thumbnails")
        .await;
}
