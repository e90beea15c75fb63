//! A person picks a video; it uploads with visible progress, and its analysis arrives live:
//! every shot with its thumbnail, the metadata, and the exports once it completes.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use support::{
    Browser, ClipSpec, JOB_TIMEOUT, LIVE_TIMEOUT, Server, ServerOptions, THUMBNAIL_TIMEOUT,
    make_clip,
};

#[tokio::test]
async fn a_dropped_clip_uploads_and_every_shot_appears_live() {
    let clips = tempfile::tempdir().expect("the system temp dir is writable");
    let clip = make_clip(
        clips.path(),
        &ClipSpec {
            shots: 4,
            file_name: "four-shots.mp4".into(),
            ..ClipSpec::default()
        },
    );
    let server = Server::start(ServerOptions::default());
    let browser = Browser::start().await;
    browser.open_live(&server.url()).await;

    // A small local upload can finish between two polls, so its card is recorded as it changes.
    browser.record_texts("upload-figures").await;
    browser.record_texts("job-summary").await;
    browser.choose_file("file-input", &clip.path).await;
    browser.wait_for_job_state("completed", JOB_TIMEOUT).await;

    let figures = browser.recorded_texts("upload-figures").await;
    assert!(
        !figures.is_empty(),
        "no upload card with progress figures was ever shown"
    );
    assert!(
        // Each figure keeps its words together with no-break spaces.
        figures.iter().all(|text| text.contains("\u{a0}of\u{a0}")),
        "the upload figures do not read \"<sent> of <size>\": {figures:?}"
    );
    assert!(
        figures.last().is_some_and(|text| text.contains("100%")),
        "the upload card never reached 100%: {figures:?}"
    );

    // Shots are pushed one by one while the job runs, not all at the end.
    let summaries = browser.recorded_texts("job-summary").await;
    assert!(
        summaries.iter().any(|text| text == "1 shot so far"),
        "the first shot was never shown on its own before the others: {summaries:?}"
    );

    let shots = browser.wait_for_thumbnails(THUMBNAIL_TIMEOUT).await;
    assert_eq!(
        shots.len(),
        clip.shots,
        "the page shows {} shots for a clip with {}: {shots:#?}",
        shots.len(),
        clip.shots
    );
    let numbers: Vec<Option<usize>> = shots.iter().map(|s| s.number()).collect();
    let expected: Vec<Option<usize>> = (1..=clip.shots).map(Some).collect();
    assert_eq!(
        numbers, expected,
        "the shots are not numbered 1..n in order"
    );

    let metadata = browser
        .text("metadata")
        .await
        .expect("a completed job shows its metadata panel");
    assert!(
        metadata.contains("320 × 180"),
        "the metadata panel does not show the clip's size: {metadata:?}"
    );
    assert!(
        metadata.contains("h264"),
        "the metadata panel does not show the codec: {metadata:?}"
    );
    assert!(
        metadata.contains("25 fps"),
        "the metadata panel does not show the frame rate: {metadata:?}"
    );

    let progress = browser
        .eval("return document.querySelector('[data-testid=job-progress]').value;")
        .await;
    assert_eq!(
        progress.as_f64(),
        Some(1.0),
        "the completed job's progress bar is not full"
    );

    let summary = browser.text("job-summary").await.unwrap_or_default();
    assert!(
        summary.starts_with(&format!("{} shots", clip.shots)),
        "the summary does not count {} shots: {summary:?}",
        clip.shots
    );
    for export in ["export-json", "export-csv", "export-vtt", "export-edl"] {
        assert_eq!(
            browser.count(export).await,
            1,
            "a completed job offers no [data-testid={export}] button"
        );
    }

    browser
        .finish("a_dropped_clip_uploads_and_every_shot_appears_live")
        .await;
}

#[tokio::test]
async fn two_clips_picked_together_each_get_their_own_live_job() {
    let clips = tempfile::tempdir().expect("the system temp dir is writable");
    let two = make_clip(
        clips.path(),
        &ClipSpec {
            shots: 2,
            file_name: "two-shots.mp4".into(),
            ..ClipSpec::default()
        },
    );
    let five = make_clip(
        clips.path(),
        &ClipSpec {
            shots: 5,
            shot_seconds: 0.6,
            file_name: "five-shots.mp4".into(),
            ..ClipSpec::default()
        },
    );
    let server = Server::start(ServerOptions::default());
    let browser = Browser::start().await;
    browser.open_live(&server.url()).await;

    browser
        .choose_files("file-input", &[&two.path, &five.path])
        .await;
    let cards = browser
        .wait_for_script(
            "both jobs to complete",
            "return [...document.querySelectorAll('[data-testid=job]')].map(card => ({
                 name: card.querySelector('.file-name').textContent,
                 state: card.getAttribute('data-state'),
                 shots: card.querySelectorAll('[data-testid=shot]').length,
             }));",
            JOB_TIMEOUT,
            |cards| {
                cards.as_array().is_some_and(|cards| {
                    cards.len() == 2 && cards.iter().all(|card| card["state"] == "completed")
                })
            },
        )
        .await;
    let mut seen: Vec<(String, u64)> = cards
        .as_array()
        .expect("a list of cards")
        .iter()
        .map(|card| {
            (
                card["name"].as_str().unwrap_or_default().to_string(),
                card["shots"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        vec![
            ("five-shots.mp4".to_string(), five.shots as u64),
            ("two-shots.mp4".to_string(), two.shots as u64),
        ],
        "each job card should show its own clip's shots"
    );
    browser.wait_for_thumbnails(THUMBNAIL_TIMEOUT).await;

    browser
        .finish("two_clips_picked_together_each_get_their_own_live_job")
        .await;
}

#[tokio::test]
async fn an_upload_started_while_the_server_is_down_waits_and_goes_on_when_it_is_back() {
    let clips = tempfile::tempdir().expect("the system temp dir is writable");
    let clip = make_clip(clips.path(), &ClipSpec::default());
    let mut server = Server::start(ServerOptions::default());
    let browser = Browser::start().await;
    browser.open_live(&server.url()).await;

    server.kill();
    browser.choose_file("file-input", &clip.path).await;
    browser
        .wait_for_script(
            "the upload card to say it retries",
            "const card = document.querySelector('[data-testid=upload]');
             return card && card.getAttribute('data-phase');",
            LIVE_TIMEOUT,
            |phase| phase.as_str() == Some("retrying"),
        )
        .await;
    assert!(
        browser.count("upload-error").await == 0,
        "the upload failed for good instead of waiting for the server"
    );

    server.start_again();
    browser.wait_for_job_state("completed", JOB_TIMEOUT).await;
    let shots = browser.wait_for_thumbnails(THUMBNAIL_TIMEOUT).await;
    assert_eq!(shots.len(), clip.shots, "{shots:#?}");

    // The console holds the failed requests while the server was down: expected.
    browser.fit_window_to_page().await;
    browser
        .screenshot("an_upload_started_while_the_server_is_down_waits_and_goes_on_when_it_is_back")
        .await;
}

/// Starts a tus upload of `length` bytes named `name` on `server`, as another page would; its URL.
fn create_upload(server: &Server, name: &str, length: u64) -> String {
    let response = ureq::post(&format!("{}api/uploads", server.url()))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", &length.to_string())
        .header(
            "Upload-Metadata",
            &format!("filename {}", vidpush::tus::base64(name.as_bytes())),
        )
        .send_empty()
        .expect("the server creates the upload");
    let location = response
        .headers()
        .get("Location")
        .and_then(|l| l.to_str().ok())
        .expect("a created upload has a Location")
        .to_owned();
    vidpush::config::resolve_url(&server.url(), &location)
}

#[tokio::test]
async fn a_reload_offers_to_continue_only_the_uploads_the_server_still_has() {
    let server = Server::start(ServerOptions::default());
    let browser = Browser::start().await;
    browser.open_live(&server.url()).await;

    // Two uploads a reload interrupted: one the server keeps, one it has deleted since.
    let kept = create_upload(&server, "kept.mp4", 1_000);
    let gone = create_upload(&server, "gone.mp4", 2_000);
    ureq::delete(&gone)
        .header("Tus-Resumable", "1.0.0")
        .call()
        .expect("the server deletes the upload");
    browser
        .eval(&format!(
            "localStorage.setItem('{}', '{kept}');
             localStorage.setItem('{}', '{gone}');",
            vidpush::tus::fingerprint("kept.mp4", 1_000, 1.0),
            vidpush::tus::fingerprint("gone.mp4", 2_000, 1.0),
        ))
        .await;

    browser.open_live(&server.url()).await;
    let hint = browser
        .wait_for_script(
            "the resume hint to name only the upload the server still has",
            "const hint = document.querySelector('[data-testid=resume-hint]');
             return hint ? hint.textContent : '';",
            LIVE_TIMEOUT,
            |text| {
                text.as_str()
                    .is_some_and(|t| t.contains("kept.mp4") && !t.contains("gone.mp4"))
            },
        )
        .await;
    assert!(
        hint.as_str()
            .unwrap_or_default()
            .starts_with("The upload of “kept.mp4”"),
        "{hint}"
    );
    let remembered = browser
        .eval("return Object.keys(localStorage).filter(k => k.startsWith('vidpush.upload.'));")
        .await;
    assert_eq!(
        remembered.as_array().map(Vec::len),
        Some(1),
        "the lost upload is still remembered: {remembered}"
    );
    browser
        .screenshot("a_reload_offers_to_continue_only_the_uploads_the_server_still_has")
        .await;
}
