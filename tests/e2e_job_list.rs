//! Results that outlive the tab: a second browser with the same token finds the jobs of the
//! first one, shots, details and exports included; Remove deletes a job on the server after a
//! confirmation, so no browser shows it again.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use serde_json::json;
use support::{
    Browser, ClipSpec, JOB_TIMEOUT, Server, ServerOptions, StaticSite, THUMBNAIL_TIMEOUT, make_clip,
};

/// The one token the server accepts, and the page's `config.json` carries.
const TOKEN: &str = "same-person";

#[tokio::test]
async fn a_second_browser_with_the_same_token_shows_the_finished_job_with_shots_and_exports() {
    let clips = tempfile::tempdir().expect("the system temp dir is writable");
    let clip = make_clip(clips.path(), &ClipSpec::default());
    let site = StaticSite::new("", &json!({ "token": TOKEN }));
    let server = Server::start(ServerOptions {
        tokens: vec![TOKEN.into()],
        static_dir: Some(site.app_dir()),
        ..ServerOptions::default()
    });
    let first = Browser::start().await;
    first.open_live(&server.url()).await;
    first.choose_file("file-input", &clip.path).await;
    first.wait_for_job_state("completed", JOB_TIMEOUT).await;
    let metadata = first.text("metadata").await;

    // Another browser profile: nothing in its storage, only the token.
    let second = Browser::start().await;
    second.open_live(&server.url()).await;
    second.wait_for_job_state("completed", JOB_TIMEOUT).await;
    assert_eq!(second.count("job").await, 1);
    let shots = second.wait_for_thumbnails(THUMBNAIL_TIMEOUT).await;
    assert_eq!(
        shots.len(),
        clip.shots,
        "the second browser shows {shots:?}"
    );
    assert_eq!(second.text("metadata").await, metadata);
    assert_eq!(
        second.count("export-json").await,
        1,
        "the second browser offers no export"
    );
    second.assert_player_loads(&clip).await;

    second
        .finish(
            "a_second_browser_with_the_same_token_shows_the_finished_job_with_shots_and_exports",
        )
        .await;
}

#[tokio::test]
async fn remove_asks_then_deletes_the_job_on_the_server() {
    let clips = tempfile::tempdir().expect("the system temp dir is writable");
    let clip = make_clip(clips.path(), &ClipSpec::default());
    let server = Server::start(ServerOptions::default());
    let browser = Browser::start().await;
    browser.open_live(&server.url()).await;
    browser.choose_file("file-input", &clip.path).await;
    browser.wait_for_job_state("completed", JOB_TIMEOUT).await;
    let jobs = server.data_dir().join("jobs");
    let folders = || std::fs::read_dir(&jobs).map(|d| d.count()).unwrap_or(0);
    assert_eq!(folders(), 1);

    browser.click("job-remove").await;
    let question = browser
        .text("job-remove-question")
        .await
        .unwrap_or_default();
    assert!(
        question.contains("from the server"),
        "Remove does not ask before deleting: {question:?}"
    );
    assert_eq!(
        folders(),
        1,
        "the job was deleted before the person confirmed"
    );
    browser.fit_window_to_page().await;
    browser
        .screenshot("remove_asks_then_deletes_the_job_on_the_server-question")
        .await;
    browser.click("job-remove-confirm").await;
    browser.wait_for_count("job", 0, JOB_TIMEOUT).await;
    assert_eq!(folders(), 0, "the job's files are still on the server");

    browser.reload_live().await;
    assert_eq!(browser.count("job").await, 0, "the deleted job came back");
    browser
        .finish("remove_asks_then_deletes_the_job_on_the_server")
        .await;
}
