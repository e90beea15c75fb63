//! One release build, deployed the way a static host would: the files under a sub-path of a
//! plain file server on one origin, the gateway and API on another, named in `config.json`.
//! An upload runs to the end, so the multipart upload (its signed part URLs and their ETags),
//! jobs, thumbnails and the result all work across origins,
//! with and without a token; a page from an origin the server does not allow is told so.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::time::Duration;

use serde_json::json;
use support::{
    Browser, ClipSpec, JOB_TIMEOUT, LIVE_TIMEOUT, Server, ServerOptions, StaticSite,
    THUMBNAIL_TIMEOUT, make_clip,
};

/// Fetching the full result for an export.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the app sits on the file server.
const SUB_PATH: &str = "some/path";

#[tokio::test]
async fn the_release_build_runs_from_a_sub_path_with_the_api_elsewhere() {
    upload_from_a_sub_path(
        None,
        "the_release_build_runs_from_a_sub_path_with_the_api_elsewhere",
    )
    .await;
}

/// With a token, every API request carries `Authorization`, so each needs a CORS preflight
/// that allows that header; thumbnails carry it as `?token=`.
#[tokio::test]
async fn the_release_build_with_a_token_runs_from_a_sub_path_with_the_api_elsewhere() {
    upload_from_a_sub_path(
        Some("secret"),
        "the_release_build_with_a_token_runs_from_a_sub_path_with_the_api_elsewhere",
    )
    .await;
}

/// Serves the build from [`SUB_PATH`] of a plain file server, the API from a server on
/// another origin that allows the file server's (and requires `token`, if any); uploads a
/// clip, sees it complete and exports its result; saves the screenshot as `screenshot`.
async fn upload_from_a_sub_path(token: Option<&str>, screenshot: &str) {
    let clips = tempfile::tempdir().expect("the system temp dir is writable");
    let clip = make_clip(clips.path(), &ClipSpec::default());

    // The file server's origin must be known to start the server, and the server's address
    // to write config.json: the site is served first, its config written second.
    let site = StaticSite::new(SUB_PATH, &json!({}));
    let files = site.serve();
    let server = Server::start(ServerOptions {
        extra_args: vec!["--allowed-origins".into(), files.origin()],
        tokens: token.into_iter().map(String::from).collect(),
        ..ServerOptions::default()
    });
    let api = format!("http://{}", server.addr());
    site.write_config(&json!({
        "gatewayUrl": format!("ws://{}/ws", server.addr()),
        "apiUrl": api,
        "token": token,
    }));

    let browser = Browser::start().await;
    browser.open_live(&files.app_url()).await;

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
    for shot in &shots {
        assert!(
            shot.src.starts_with(&api),
            "a thumbnail is not loaded from the API's origin {api}: {}",
            shot.src
        );
    }

    // An export fetches the full result from the API's origin; a CORS refusal would show as
    // an error beside the buttons.
    browser.click("export-json").await;
    let fetched = browser
        .wait_for_script(
            "the full result to be fetched for the export",
            "const entries = performance.getEntriesByType('resource')
                 .filter(e => e.name.includes('/result'));
             const error = document.querySelector('.exports .error');
             const busy = document.querySelector('[data-testid=export-json]').disabled;
             return { fetched: entries.length, busy, error: error ? error.textContent : null };",
            EXPORT_TIMEOUT,
            |seen| {
                !seen["error"].is_null()
                    || (seen["fetched"].as_u64().unwrap_or(0) > 0 && seen["busy"] == false)
            },
        )
        .await;
    assert!(
        fetched["error"].is_null(),
        "the export could not fetch the result across origins: {}",
        fetched["error"]
    );

    browser.finish(screenshot).await;
}

/// The same page opened from an origin the server does not allow: the WebSocket is refused
/// (403 before the upgrade, which a browser cannot read), and `connect-check` must still be
/// readable from that origin so the page can say why instead of "cannot be reached".
#[tokio::test]
async fn a_page_from_an_origin_the_server_does_not_allow_says_so() {
    let site = StaticSite::new(SUB_PATH, &json!({}));
    let files = site.serve();
    let server = Server::start(ServerOptions {
        extra_args: vec!["--allowed-origins".into(), "https://app.example".into()],
        ..ServerOptions::default()
    });
    site.write_config(&json!({
        "gatewayUrl": format!("ws://{}/ws", server.addr()),
        "apiUrl": format!("http://{}", server.addr()),
    }));

    let browser = Browser::start().await;
    browser.goto(&files.app_url()).await;
    browser
        .wait_for_text("connection-state", "offline", LIVE_TIMEOUT)
        .await;
    let detail = browser
        .text("connection-detail")
        .await
        .expect("the pill has a detail line");
    assert!(
        detail.contains("address") && detail.contains("allowed origins"),
        "the page is offline but does not say its address is not allowed: {detail:?}"
    );

    browser
        .screenshot("a_page_from_an_origin_the_server_does_not_allow_says_so")
        .await;
}
