//! The page's WebSocket is lost while a job runs and the page ends up with every shot exactly
//! once: when backend code closes it through the `@connections` management API (the page
//! reconnects and resubscribes from its last `seq`), and when the whole server is killed and
//! started again (the job runs again; the page keeps the shots it showed, never shows one twice,
//! and its card says the server cannot be reached while it is down).
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::time::Duration;

use support::connections::{delete_connection, wait_for_single_connection};
use support::{
    Browser, FIRST_SHOT_TIMEOUT, JOB_TIMEOUT, LIVE_TIMEOUT, LONG_CLIP_SHOTS, Server, ServerOptions,
    THUMBNAIL_TIMEOUT, long_clip,
};

/// The gateway records a new connection a moment after the handshake.
const CONNECTION_RECORDED_TIMEOUT: Duration = Duration::from_secs(5);

#[tokio::test]
async fn a_websocket_killed_by_the_server_mid_job_reconnects_and_shows_every_shot_once() {
    let clips = tempfile::tempdir().expect("the system temp dir is writable");
    let clip = long_clip(clips.path());
    let server = Server::start(ServerOptions::default());
    let browser = Browser::start().await;
    browser.open_live(&server.url()).await;
    let first_connection =
        wait_for_single_connection(&server.data_dir(), CONNECTION_RECORDED_TIMEOUT);

    browser.choose_file("file-input", &clip.path).await;
    browser
        .wait_for_script(
            "the first shot to be shown",
            "return document.querySelectorAll('[data-testid=shot]').length;",
            FIRST_SHOT_TIMEOUT,
            |count| count.as_u64().unwrap_or(0) >= 1,
        )
        .await;

    browser.record_texts("connection-state").await;
    let status = delete_connection(server.addr(), &server.data_dir(), &first_connection);
    assert_eq!(
        status, 204,
        "DELETE /@connections/{first_connection} did not close the page's socket"
    );
    let state_at_kill = browser.attribute("job", "data-state").await;
    let shots_at_kill = browser.count("shot").await;
    assert!(
        state_at_kill.as_deref() != Some("completed") && shots_at_kill < LONG_CLIP_SHOTS,
        "the job finished ({state_at_kill:?}, {shots_at_kill} shots) before the socket was \
         closed, so this test did not close it mid-job; make the clip longer"
    );

    browser.wait_for_job_state("completed", JOB_TIMEOUT).await;
    browser
        .wait_for_text("connection-state", "live", LIVE_TIMEOUT)
        .await;
    let states = browser.recorded_texts("connection-state").await;
    let reconnected = states
        .windows(2)
        .any(|pair| pair[0] == "reconnecting" && pair[1] == "live");
    assert!(
        reconnected,
        "the pill did not go from reconnecting to live after the server closed the socket: \
         {states:?}"
    );
    let second_connection =
        wait_for_single_connection(&server.data_dir(), CONNECTION_RECORDED_TIMEOUT);
    assert_ne!(
        second_connection, first_connection,
        "the page is still on the connection the server closed"
    );

    let shots = browser.every_shot().await;
    let numbers: Vec<Option<usize>> = shots.iter().map(|s| s.number()).collect();
    let expected: Vec<Option<usize>> = (1..=LONG_CLIP_SHOTS).map(Some).collect();
    assert_eq!(
        numbers, expected,
        "after the reconnect the page shows shots {numbers:?}, not each of 1..={LONG_CLIP_SHOTS} once"
    );
    let positions: Vec<Option<String>> = shots.iter().map(|s| s.position.clone()).collect();
    let expected: Vec<Option<String>> = (0..LONG_CLIP_SHOTS).map(|i| Some(i.to_string())).collect();
    assert_eq!(positions, expected, "the shot strip is out of order");
    let summary = browser.text("job-summary").await.unwrap_or_default();
    assert!(
        summary.starts_with(&format!("{LONG_CLIP_SHOTS} shots")),
        "the summary does not count {LONG_CLIP_SHOTS} shots: {summary:?}"
    );

    browser
        .finish("a_websocket_killed_by_the_server_mid_job_reconnects_and_shows_every_shot_once")
        .await;
}

#[tokio::test]
async fn a_server_killed_mid_job_keeps_the_shots_shown_and_the_card_says_the_server_is_away() {
    let clips = tempfile::tempdir().expect("the system temp dir is writable");
    let clip = long_clip(clips.path());
    let mut server = Server::start(ServerOptions::default());
    let browser = Browser::start().await;
    browser.open_live(&server.url()).await;

    browser.choose_file("file-input", &clip.path).await;
    browser
        .wait_for_script(
            "the first shot to be shown",
            "return document.querySelectorAll('[data-testid=shot]').length;",
            FIRST_SHOT_TIMEOUT,
            |count| count.as_u64().unwrap_or(0) >= 1,
        )
        .await;

    browser.record_texts("connection-state").await;
    browser.record_texts("job-summary").await;
    browser.record_texts("job-stage").await;
    server.kill();
    browser
        .wait_for_text_containing("job-stage", "cannot be reached", LIVE_TIMEOUT)
        .await;
    // Not fitted to the page: the reconnecting pill pulses until the server is back, so the
    // page never settles.
    browser
        .screenshot("a_server_killed_mid_job_keeps_the_shots_shown_and_the_card_says_the_server_is_away-down")
        .await;
    server.start_again();
    let state_at_kill = browser.attribute("job", "data-state").await;
    assert!(
        state_at_kill.as_deref() != Some("completed"),
        "the job finished before the server was killed, so this test did not kill it \
         mid-job; make the clip longer"
    );

    browser.wait_for_job_state("completed", JOB_TIMEOUT).await;
    browser
        .wait_for_text("connection-state", "live", LIVE_TIMEOUT)
        .await;
    let states = browser.recorded_texts("connection-state").await;
    assert!(
        states.iter().any(|state| state == "reconnecting"),
        "the pill never said reconnecting while the server was down: {states:?}"
    );

    let shots = browser.every_shot().await;
    let numbers: Vec<Option<usize>> = shots.iter().map(|s| s.number()).collect();
    let expected: Vec<Option<usize>> = (1..=LONG_CLIP_SHOTS).map(Some).collect();
    assert_eq!(
        numbers, expected,
        "after the restart the page shows shots {numbers:?}, not each of 1..={LONG_CLIP_SHOTS} once"
    );
    let summary = browser.text("job-summary").await.unwrap_or_default();
    assert!(
        summary.starts_with(&format!("{LONG_CLIP_SHOTS} shots")),
        "the summary does not count {LONG_CLIP_SHOTS} shots: {summary:?}"
    );
    // The count of shots shown never went down: nothing shown was taken back.
    let counts: Vec<usize> = browser
        .recorded_texts("job-summary")
        .await
        .iter()
        .filter_map(|text| text.split_whitespace().next()?.parse().ok())
        .collect();
    assert!(
        counts.windows(2).all(|pair| pair[0] <= pair[1]),
        "the shot count went down across the restart: {counts:?}"
    );
    browser.wait_for_thumbnails(THUMBNAIL_TIMEOUT).await;

    // The console holds the failed connection attempts while the server was down: expected.
    browser.fit_window_to_page().await;
    browser
        .screenshot(
            "a_server_killed_mid_job_keeps_the_shots_shown_and_the_card_says_the_server_is_away",
        )
        .await;
}
