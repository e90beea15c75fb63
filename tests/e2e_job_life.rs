//! A job's life beyond the happy path, seen from the page: a reload in the middle of a job (the
//! video then plays from the server, and its shots still seek it), a person cancelling an
//! analysis, and a file that only pretends to be a video.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::time::Duration;

use support::{
    Browser, FIRST_SHOT_TIMEOUT, JOB_TIMEOUT, LONG_CLIP_SHOTS, Server, ServerOptions,
    THUMBNAIL_TIMEOUT, long_clip,
};

/// A refused upload is answered at once.
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(10);

/// Picks `clip` and waits for its first shot.
async fn start_job_and_wait_for_a_shot(browser: &Browser, clip: &support::Clip) {
    browser.choose_file("file-input", &clip.path).await;
    browser
        .wait_for_script(
            "the first shot to be shown",
            "return document.querySelectorAll('[data-testid=shot]').length;",
            FIRST_SHOT_TIMEOUT,
            |count| count.as_u64().unwrap_or(0) >= 1,
        )
        .await;
}

#[tokio::test]
async fn a_page_reloaded_mid_job_shows_every_shot_once_and_its_shots_seek_the_served_video() {
    let clips = tempfile::tempdir().expect("the system temp dir is writable");
    let clip = long_clip(clips.path());
    let server = Server::start(ServerOptions::default());
    let browser = Browser::start().await;
    browser.open_live(&server.url()).await;
    start_job_and_wait_for_a_shot(&browser, &clip).await;

    browser.reload_live().await;
    assert_eq!(
        browser.count("job").await,
        1,
        "after a reload the page does not show the job it was following"
    );
    browser.wait_for_job_state("completed", JOB_TIMEOUT).await;

    let shots = browser.every_shot().await;
    let numbers: Vec<Option<usize>> = shots.iter().map(|s| s.number()).collect();
    let expected: Vec<Option<usize>> = (1..=LONG_CLIP_SHOTS).map(Some).collect();
    assert_eq!(
        numbers, expected,
        "after the reload the page shows shots {numbers:?}, not each of 1..={LONG_CLIP_SHOTS} once"
    );
    browser.wait_for_thumbnails(THUMBNAIL_TIMEOUT).await;
    let title = browser
        .eval("return document.querySelector('[data-testid=job] .file-name').textContent;")
        .await;
    assert_eq!(
        title.as_str(),
        Some("forty-shots.mp4"),
        "the reloaded card lost the file name"
    );

    // The reloaded page has no local file: the player streams the server's copy.
    let source = browser
        .wait_for_script(
            "the served video's metadata to load",
            "const v = document.querySelector('[data-testid=job] video');
             return v && v.readyState >= 1 ? v.currentSrc : null;",
            THUMBNAIL_TIMEOUT,
            |src| src.is_string(),
        )
        .await;
    assert!(
        source
            .as_str()
            .is_some_and(|s| s.contains("/api/jobs/") && s.ends_with("/video")),
        "after a reload the player does not play the server's copy: {source}"
    );
    // Shot 21 starts at 8.0 s (forty shots of 0.4 s).
    browser.show_shot(20).await;
    browser
        .eval(
            "document.querySelector('[data-testid=shot][data-index=\"20\"]').click(); return null;",
        )
        .await;
    browser
        .wait_for_script(
            "the player to seek to shot 21",
            "const v = document.querySelector('[data-testid=job] video');
             return v.seeking ? null : v.currentTime;",
            THUMBNAIL_TIMEOUT,
            |at| at.as_f64().is_some_and(|t| (t - 8.0).abs() < 0.05),
        )
        .await;

    browser
        .finish("a_page_reloaded_mid_job_shows_every_shot_once_and_its_shots_seek_the_served_video")
        .await;
}

#[tokio::test]
async fn cancelling_keeps_the_shots_found_for_export_and_retry_runs_the_rest() {
    let clips = tempfile::tempdir().expect("the system temp dir is writable");
    let clip = long_clip(clips.path());
    let server = Server::start(ServerOptions::default());
    let browser = Browser::start().await;
    browser.open_live(&server.url()).await;
    start_job_and_wait_for_a_shot(&browser, &clip).await;

    browser.click("job-cancel").await;
    browser.wait_for_job_state("cancelled", JOB_TIMEOUT).await;
    let reason = browser.text("job-error").await.unwrap_or_default();
    assert_eq!(
        reason, "Cancelled by request.",
        "the cancelled job does not say, as a sentence, that it was cancelled"
    );
    assert_eq!(
        browser.count("job-cancel").await,
        0,
        "a cancelled job still offers to cancel"
    );
    let kept = browser.count("shot").await;
    assert!(
        kept < LONG_CLIP_SHOTS,
        "the job ran to the end although it was cancelled"
    );
    assert!(kept >= 1, "the cancelled job lost the shots it had shown");
    assert_eq!(
        browser.count("export-csv").await,
        1,
        "the shots of a cancelled job cannot be exported"
    );
    browser.fit_window_to_page().await;
    browser
        .screenshot("cancelling_keeps_the_shots_found_for_export_and_retry_runs_the_rest-cancelled")
        .await;

    browser.click("job-retry").await;
    // Retry goes away once the job is queued again; until then the card still says cancelled.
    browser.wait_for_count("job-retry", 0, JOB_TIMEOUT).await;
    browser.wait_for_job_state("completed", JOB_TIMEOUT).await;
    let numbers: Vec<Option<usize>> = browser
        .every_shot()
        .await
        .iter()
        .map(|s| s.number())
        .collect();
    let expected: Vec<Option<usize>> = (1..=LONG_CLIP_SHOTS).map(Some).collect();
    assert_eq!(numbers, expected, "after Retry the page shows {numbers:?}");
    assert_eq!(
        browser.count("job-retry").await,
        0,
        "a completed job offers Retry"
    );

    browser
        .finish("cancelling_keeps_the_shots_found_for_export_and_retry_runs_the_rest")
        .await;
}

#[tokio::test]
async fn sound_without_picture_is_refused_before_upload_against_the_servers_own_limit() {
    let files = tempfile::tempdir().expect("the system temp dir is writable");
    let talk = files.path().join("talk.mp4");
    let made = std::process::Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=2",
        ])
        .args(["-c:a", "aac"])
        .arg(&talk)
        .status()
        .expect("ffmpeg is installed");
    assert!(made.success(), "ffmpeg could not make a sound-only file");
    let server = Server::start(ServerOptions {
        extra_args: vec!["--max-upload-bytes".into(), "50000000".into()],
        ..ServerOptions::default()
    });
    let browser = Browser::start().await;
    browser.open_live(&server.url()).await;
    browser
        .wait_for_text_containing("accepted-files", "up to 50.0 MB each", REFUSAL_TIMEOUT)
        .await;

    browser.choose_file("file-input", &talk).await;
    browser.wait_for_count("refusal", 1, REFUSAL_TIMEOUT).await;
    let refusal = browser.text("refusal").await.unwrap_or_default();
    assert!(
        refusal.contains("“talk.mp4” has sound but no picture"),
        "the refusal does not say the file has no picture: {refusal:?}"
    );
    assert_eq!(
        browser.count("upload").await,
        0,
        "the sound-only file was uploaded"
    );
    browser
        .finish("sound_without_picture_is_refused_before_upload_against_the_servers_own_limit")
        .await;
}

#[tokio::test]
async fn a_file_that_is_not_a_video_is_refused_with_a_reason() {
    let files = tempfile::tempdir().expect("the system temp dir is writable");
    let fake = files.path().join("holiday.mp4");
    std::fs::write(
        &fake,
        "these are not the frames you are looking for\n".repeat(200),
    )
    .expect("the temp dir is writable");
    let server = Server::start(ServerOptions::default());
    let browser = Browser::start().await;
    browser.open_live(&server.url()).await;

    browser.choose_file("file-input", &fake).await;
    browser
        .wait_for_script(
            "the upload to be refused",
            "const error = document.querySelector('[data-testid=upload-error]');
             return error ? error.textContent : null;",
            REFUSAL_TIMEOUT,
            |error| error.is_string(),
        )
        .await;
    let error = browser.text("upload-error").await.unwrap_or_default();
    assert!(
        error.starts_with("This file is not a video") && error.ends_with('.'),
        "the refusal does not say, as a sentence, that the file is not a video: {error:?}"
    );
    let card = browser.text("upload").await.unwrap_or_default();
    assert!(
        !card.contains("100%") && browser.count("upload-progress").await == 0,
        "the refused upload still looks complete: {card:?}"
    );
    assert_eq!(browser.count("job").await, 0, "a job was started anyway");

    browser.fit_window_to_page().await;
    browser
        .screenshot("a_file_that_is_not_a_video_is_refused_with_a_reason")
        .await;
}
