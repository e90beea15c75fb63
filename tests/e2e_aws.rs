//! The page against the simulated AWS stack, as deployed from `deploy/template.yaml`: moto for
//! DynamoDB, S3 and SQS, the local gateway playing API Gateway (WebSocket routes and the HTTP
//! API as the real Lambda function binaries, through the Lambda Runtime API), the worker, and
//! the page on its own origin with the `config.json` written from the stack's outputs. The
//! upload goes to S3 through presigned part URLs, results and media come by redirect to
//! presigned GETs, and every push crosses `@connections` signed with SigV4.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::time::Duration;

use support::connections::{delete_connection, wait_for_single_connection};
use support::{
    AwsStack, Browser, ClipSpec, Delivery, FIRST_SHOT_TIMEOUT, LONG_CLIP_SHOTS, THUMBNAIL_TIMEOUT,
    long_clip, make_clip, pad_clip,
};

/// A job on the stack: every push is a signed HTTP call, every replay a function invocation.
const JOB_TIMEOUT: Duration = Duration::from_secs(90);
/// `$connect` runs as a function and records the connection a moment after the handshake.
const CONNECTION_RECORDED_TIMEOUT: Duration = Duration::from_secs(10);

/// Shows each of shots 1..=`count` exactly once, in order, and counts them in the summary.
async fn assert_every_shot_once(browser: &Browser, count: usize) {
    let shots = browser.every_shot().await;
    let numbers: Vec<Option<usize>> = shots.iter().map(|s| s.number()).collect();
    let expected: Vec<Option<usize>> = (1..=count).map(Some).collect();
    assert_eq!(
        numbers, expected,
        "the page shows shots {numbers:?}, not each of 1..={count} once"
    );
    let summary = browser.text("job-summary").await.unwrap_or_default();
    assert!(
        summary.starts_with(&format!("{count} shots")),
        "the summary does not count {count} shots: {summary:?}"
    );
}

#[tokio::test]
async fn on_aws_a_clip_goes_to_s3_its_shots_arrive_live_and_the_job_outlives_a_reload() {
    let clips = tempfile::tempdir().expect("the system temp dir is writable");
    let clip = make_clip(clips.path(), &ClipSpec::default());
    // Two parts: S3's multipart upload, resumed from ListParts if a part is lost.
    pad_clip(&clip, 9 * 1024 * 1024);
    let stack = AwsStack::for_test(Delivery::Faithful);
    let browser = Browser::start().await;
    browser.open_live(&stack.page_url()).await;
    browser.record_requests().await;
    browser.choose_file("file-input", &clip.path).await;
    browser.wait_for_job_state("completed", JOB_TIMEOUT).await;
    let shots = browser.wait_for_thumbnails(THUMBNAIL_TIMEOUT).await;
    assert_eq!(shots.len(), clip.shots, "the page shows {shots:#?}");
    assert_every_shot_once(&browser, clip.shots).await;
    for export in ["export-json", "export-csv", "export-vtt", "export-edl"] {
        assert_eq!(browser.count(export).await, 1, "no {export} button");
    }
    let requests = browser.recorded_requests().await;
    let parts_to_s3 = requests
        .iter()
        .filter(|r| r.contains("PUT") && r.contains("uploadId=") && r.contains("partNumber="))
        .count();
    assert_eq!(
        parts_to_s3, 2,
        "the page did not send its two parts straight to S3: {requests:#?}"
    );
    browser
        .screenshot(
            "on_aws_a_clip_goes_to_s3_its_shots_arrive_live_and_the_job_outlives_a_reload-live",
        )
        .await;

    // After a reload the job comes from the job list, its shots from the stored events, its
    // thumbnails and video from S3 by redirect.
    browser.reload_live().await;
    browser.wait_for_job_state("completed", JOB_TIMEOUT).await;
    let shots = browser.wait_for_thumbnails(THUMBNAIL_TIMEOUT).await;
    assert_eq!(shots.len(), clip.shots, "after a reload: {shots:#?}");
    browser.assert_player_loads(&clip).await;
    browser
        .finish("on_aws_a_clip_goes_to_s3_its_shots_arrive_live_and_the_job_outlives_a_reload")
        .await;
}

#[tokio::test]
async fn on_aws_a_socket_closed_by_delete_connections_mid_job_still_gets_every_shot_once() {
    let clips = tempfile::tempdir().expect("the system temp dir is writable");
    let clip = long_clip(clips.path());
    let stack = AwsStack::for_test(Delivery::Faithful);
    let browser = Browser::start().await;
    browser.open_live(&stack.page_url()).await;
    let first = wait_for_single_connection(&stack.gateway_data_dir(), CONNECTION_RECORDED_TIMEOUT);
    browser.choose_file("file-input", &clip.path).await;
    browser
        .wait_for_script(
            "the first shot to be shown",
            "return document.querySelectorAll('[data-testid=shot]').length;",
            FIRST_SHOT_TIMEOUT * 3,
            |count| count.as_u64().unwrap_or(0) >= 1,
        )
        .await;
    let status = delete_connection(stack.websocket_addr(), &stack.gateway_data_dir(), &first);
    assert_eq!(status, 204, "DELETE @connections/{first} did not close it");
    let shots_at_close = browser.count("shot").await;
    assert!(
        shots_at_close < LONG_CLIP_SHOTS,
        "the job finished before the socket was closed; make the clip longer"
    );
    browser.wait_for_job_state("completed", JOB_TIMEOUT).await;
    let second = wait_for_single_connection(&stack.gateway_data_dir(), CONNECTION_RECORDED_TIMEOUT);
    assert_ne!(second, first, "the page is still on the closed connection");
    assert_every_shot_once(&browser, LONG_CLIP_SHOTS).await;
    browser
        .finish("on_aws_a_socket_closed_by_delete_connections_mid_job_still_gets_every_shot_once")
        .await;
}

#[tokio::test]
async fn on_aws_duplicated_and_reordered_pushes_still_show_every_shot_once() {
    let clips = tempfile::tempdir().expect("the system temp dir is writable");
    let clip = long_clip(clips.path());
    let stack = AwsStack::for_test(Delivery::Unruly);
    let browser = Browser::start().await;
    browser.open_live(&stack.page_url()).await;
    browser.choose_file("file-input", &clip.path).await;
    browser.wait_for_job_state("completed", JOB_TIMEOUT).await;
    assert_every_shot_once(&browser, LONG_CLIP_SHOTS).await;
    browser
        .finish("on_aws_duplicated_and_reordered_pushes_still_show_every_shot_once")
        .await;
}
