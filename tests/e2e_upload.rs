//! A person picks a video; it uploads with visible progress, and its analysis arrives live:
//! every shot with its thumbnail, the metadata, and the exports once it completes. Uploads
//! wait out a server that is down (before they start or mid-way), pause, resume and cancel with
//! parts in flight, and continue after a reload from the parts the server has.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::time::{Duration, Instant};

use support::{
    Browser, Clip, ClipSpec, JOB_TIMEOUT, LIVE_TIMEOUT, Server, ServerOptions, THUMBNAIL_TIMEOUT,
    make_clip, pad_clip,
};
use vidpush::multipart::{Remembered, fingerprint};
use vidpush_protocol::UploadId;
use vidpush_protocol::multipart::{
    CreateMultipartRequest, CreateMultipartResponse, ListPartsResponse, MIN_PART_BYTES,
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
    let seen: Vec<(String, u64)> = cards
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
    assert_eq!(
        seen,
        vec![
            ("two-shots.mp4".to_string(), two.shots as u64),
            ("five-shots.mp4".to_string(), five.shots as u64),
        ],
        "each job card should show its own clip's shots, in the order the files were picked"
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

/// Starts a multipart upload of `size` bytes named `name` on `server`, as another page would.
fn create_upload(server: &Server, name: &str, size: u64) -> CreateMultipartResponse {
    ureq::post(&format!("{}api/multipart", server.url()))
        .send_json(CreateMultipartRequest {
            file_name: name.into(),
            file_type: "video/mp4".into(),
            size,
        })
        .expect("the server creates the upload")
        .body_mut()
        .read_json()
        .expect("the server answers with the upload")
}

/// What a page remembers in `localStorage` of an upload a reload interrupted.
fn remembered(upload: &CreateMultipartResponse) -> String {
    Remembered {
        upload_id: upload.upload_id.clone(),
        part_size: upload.part_size,
    }
    .to_text()
}

/// The parts the server lists for `upload`; `None` once it no longer has the upload.
fn stored_parts(server: &Server, upload: &UploadId) -> Option<Vec<u32>> {
    let mut answer = ureq::get(&format!("{}api/multipart/{upload}/parts", server.url()))
        .config()
        .http_status_as_error(false)
        .build()
        .call()
        .expect("the server answers");
    if answer.status() == 404 {
        return None;
    }
    let listed: ListPartsResponse = answer
        .body_mut()
        .read_json()
        .expect("the server lists the parts");
    Some(listed.parts.iter().map(|p| p.part_number).collect())
}

/// Waits until `done` accepts what the server lists for `upload`; returns it.
async fn wait_for_parts(
    server: &Server,
    upload: &UploadId,
    what: &str,
    done: impl Fn(&Option<Vec<u32>>) -> bool,
) -> Option<Vec<u32>> {
    let deadline = Instant::now() + LIVE_TIMEOUT;
    loop {
        let parts = stored_parts(server, upload);
        if done(&parts) {
            return parts;
        }
        assert!(
            Instant::now() < deadline,
            "waited {LIVE_TIMEOUT:?} for {what}; the server lists {parts:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The upload the page remembers for a reload, once it has created one.
async fn remembered_upload(browser: &Browser) -> Remembered {
    let text = browser
        .wait_for_script(
            "the page to remember its upload",
            "const key = Object.keys(localStorage).find(k => k.startsWith('vidpush.upload.'));
             return key ? localStorage.getItem(key) : null;",
            LIVE_TIMEOUT,
            |value| value.is_string(),
        )
        .await;
    Remembered::from_text(text.as_str().unwrap_or_default())
        .unwrap_or_else(|| panic!("the page remembers its upload as {text}, not as `id partSize`"))
}

/// A clip of three upload parts, `three-parts.mp4` in `dir`.
fn three_part_clip(dir: &std::path::Path) -> Clip {
    let clip = make_clip(
        dir,
        &ClipSpec {
            file_name: "three-parts.mp4".into(),
            ..ClipSpec::default()
        },
    );
    pad_clip(&clip, 2 * MIN_PART_BYTES + 1_000_000);
    clip
}

/// Holds the `PUT` of part 2 of every upload on its way out, as a stalled link would, so an
/// upload is mid-way for as long as a test needs; the other parts go through. The `?` that
/// starts the signed query is escaped: bare, it is any one character in a DevTools pattern and
/// would hold the signing call (`…/parts/2/url`) instead.
const STALL_PART_2: &str = "*/parts/2\\?*";

#[tokio::test]
async fn a_reload_offers_to_continue_only_the_uploads_the_server_still_has() {
    let server = Server::start(ServerOptions::default());
    let browser = Browser::start().await;
    browser.open_live(&server.url()).await;

    // Three uploads a reload interrupted: one the server keeps, one it has deleted since, and
    // one an older page sent with tus, which this page cannot continue.
    let kept = create_upload(&server, "kept.mp4", 1_000);
    let gone = create_upload(&server, "gone.mp4", 2_000);
    ureq::delete(&format!("{}api/multipart/{}", server.url(), gone.upload_id))
        .call()
        .expect("the server deletes the upload");
    browser
        .eval(&format!(
            "localStorage.setItem('{}', '{}');
             localStorage.setItem('{}', '{}');
             localStorage.setItem('{}', '{}api/uploads/u_0123456789');",
            fingerprint("kept.mp4", 1_000, 1.0),
            remembered(&kept),
            fingerprint("gone.mp4", 2_000, 1.0),
            remembered(&gone),
            fingerprint("tus.mp4", 3_000, 1.0),
            server.url(),
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
                text.as_str().is_some_and(|t| {
                    t.contains("kept.mp4") && !t.contains("gone.mp4") && !t.contains("tus.mp4")
                })
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
        "a lost upload is still remembered: {remembered}"
    );
    browser
        .screenshot("a_reload_offers_to_continue_only_the_uploads_the_server_still_has")
        .await;
}

#[tokio::test]
async fn a_reload_mid_upload_continues_from_the_parts_the_server_has() {
    let clips = tempfile::tempdir().expect("the system temp dir is writable");
    let clip = three_part_clip(clips.path());
    let size = std::fs::metadata(&clip.path)
        .expect("the clip exists")
        .len();
    let server = Server::start(ServerOptions::default());
    let browser = Browser::start().await;
    browser.open_live(&server.url()).await;

    browser.hold_requests(STALL_PART_2);
    browser.choose_file("file-input", &clip.path).await;
    let upload = remembered_upload(&browser).await;
    let before = wait_for_parts(&server, &upload.upload_id, "part 1 to be stored", |parts| {
        parts.as_ref().is_some_and(|p| p.contains(&1))
    })
    .await
    .unwrap_or_default();
    assert!(
        !before.contains(&2),
        "the stalled part 2 was stored: {before:?}"
    );

    // The reload drops the stalled part; the page is then told nothing but the file again.
    browser.open_live(&server.url()).await;
    browser.release_requests();
    browser
        .wait_for_text_containing("resume-hint", "three-parts.mp4", LIVE_TIMEOUT)
        .await;
    browser.record_requests().await;
    browser.record_texts("upload-figures").await;
    browser.choose_file("file-input", &clip.path).await;
    browser.wait_for_job_state("completed", JOB_TIMEOUT).await;
    let shots = browser.wait_for_thumbnails(THUMBNAIL_TIMEOUT).await;
    assert_eq!(shots.len(), clip.shots, "{shots:#?}");

    let requests = browser.recorded_requests().await;
    assert!(
        !requests
            .iter()
            .any(|r| r.starts_with("POST ") && r.ends_with("/api/multipart")),
        "the page started a new upload instead of continuing: {requests:#?}"
    );
    let sent: Vec<u32> = (1..=3)
        .filter(|n| {
            requests
                .iter()
                .any(|r| r.starts_with("PUT ") && r.contains(&format!("/parts/{n}?")))
        })
        .collect();
    let missing: Vec<u32> = (1..=3).filter(|n| !before.contains(n)).collect();
    assert_eq!(
        sent, missing,
        "after the reload the page should send only the parts the server did not list ({before:?} were stored)"
    );
    // The bar starts where the stored parts end (after a first 0% while it asks), not at zero.
    let stored: u64 = before
        .iter()
        .map(|&n| MIN_PART_BYTES.min(size - u64::from(n - 1) * MIN_PART_BYTES))
        .sum();
    let stored_share = stored as f64 / size as f64;
    let figures = browser.recorded_texts("upload-figures").await;
    let percents: Vec<f64> = figures
        .iter()
        .filter_map(|f| f.split(" · ").nth(1)?.trim_end_matches('%').parse().ok())
        .collect();
    assert!(
        percents
            .iter()
            .all(|&p| p == 0.0 || p >= (stored_share * 100.0).floor()),
        "the progress went back below the stored parts' {:.0}%: {figures:?}",
        stored_share * 100.0
    );
    browser
        .finish("a_reload_mid_upload_continues_from_the_parts_the_server_has")
        .await;
}

#[tokio::test]
async fn pausing_drops_the_parts_in_flight_and_resuming_finishes_the_upload() {
    let clips = tempfile::tempdir().expect("the system temp dir is writable");
    let clip = three_part_clip(clips.path());
    let server = Server::start(ServerOptions::default());
    let browser = Browser::start().await;
    browser.open_live(&server.url()).await;

    browser.hold_requests(STALL_PART_2);
    browser.choose_file("file-input", &clip.path).await;
    let upload = remembered_upload(&browser).await;
    wait_for_parts(&server, &upload.upload_id, "part 1 to be stored", |parts| {
        parts.as_ref().is_some_and(|p| p.contains(&1))
    })
    .await;
    browser.click("upload-pause").await;
    browser
        .wait_for_script(
            "the upload card to say it is paused",
            "const card = document.querySelector('[data-testid=upload]');
             return card && card.getAttribute('data-phase');",
            LIVE_TIMEOUT,
            |phase| phase.as_str() == Some("paused"),
        )
        .await;
    browser
        .wait_for_text("upload-pause", "Resume", LIVE_TIMEOUT)
        .await;

    browser.release_requests();
    browser.click("upload-pause").await;
    browser.wait_for_job_state("completed", JOB_TIMEOUT).await;
    let shots = browser.wait_for_thumbnails(THUMBNAIL_TIMEOUT).await;
    assert_eq!(shots.len(), clip.shots, "{shots:#?}");
    browser
        .finish("pausing_drops_the_parts_in_flight_and_resuming_finishes_the_upload")
        .await;
}

#[tokio::test]
async fn cancelling_mid_upload_removes_the_card_and_the_upload_on_the_server() {
    let clips = tempfile::tempdir().expect("the system temp dir is writable");
    let clip = three_part_clip(clips.path());
    let server = Server::start(ServerOptions::default());
    let browser = Browser::start().await;
    browser.open_live(&server.url()).await;

    browser.hold_requests(STALL_PART_2);
    browser.choose_file("file-input", &clip.path).await;
    let upload = remembered_upload(&browser).await;
    wait_for_parts(&server, &upload.upload_id, "part 1 to be stored", |parts| {
        parts.as_ref().is_some_and(|p| p.contains(&1))
    })
    .await;
    browser.click("upload-cancel").await;
    browser.wait_for_count("upload", 0, LIVE_TIMEOUT).await;
    wait_for_parts(
        &server,
        &upload.upload_id,
        "the server to forget the cancelled upload",
        Option::is_none,
    )
    .await;
    let remembered = browser
        .eval("return Object.keys(localStorage).filter(k => k.startsWith('vidpush.upload.'));")
        .await;
    assert_eq!(
        remembered.as_array().map(Vec::len),
        Some(0),
        "the cancelled upload is still remembered: {remembered}"
    );
    browser.release_requests();
    assert_eq!(
        browser.count("job").await,
        0,
        "a cancelled upload started a job"
    );
}

#[tokio::test]
async fn a_server_killed_mid_upload_is_waited_for_and_only_the_parts_it_lacks_are_sent_again() {
    let clips = tempfile::tempdir().expect("the system temp dir is writable");
    let clip = three_part_clip(clips.path());
    let mut server = Server::start(ServerOptions::default());
    let browser = Browser::start().await;
    browser.open_live(&server.url()).await;

    browser.record_requests().await;
    browser.hold_requests(STALL_PART_2);
    browser.choose_file("file-input", &clip.path).await;
    let upload = remembered_upload(&browser).await;
    wait_for_parts(&server, &upload.upload_id, "part 1 to be stored", |parts| {
        parts.as_ref().is_some_and(|p| p.contains(&1))
    })
    .await;
    // The stalled part goes out once the server is gone, and fails.
    server.kill();
    browser.release_requests();
    browser
        .wait_for_script(
            "the upload card to say it retries",
            "const card = document.querySelector('[data-testid=upload]');
             return card && card.getAttribute('data-phase');",
            LIVE_TIMEOUT,
            |phase| phase.as_str() == Some("retrying"),
        )
        .await;

    server.start_again();
    browser.wait_for_job_state("completed", JOB_TIMEOUT).await;
    let shots = browser.wait_for_thumbnails(THUMBNAIL_TIMEOUT).await;
    assert_eq!(shots.len(), clip.shots, "{shots:#?}");
    let requests = browser.recorded_requests().await;
    let count = |wanted: &dyn Fn(&str) -> bool| requests.iter().filter(|r| wanted(r)).count();
    assert_eq!(
        count(&|r| r.starts_with("POST ") && r.ends_with("/api/multipart")),
        1,
        "the page started the upload over: {requests:#?}"
    );
    assert_eq!(
        count(&|r| r.starts_with("PUT ") && r.contains("/parts/1?")),
        1,
        "part 1 was stored before the server died and should not be sent again: {requests:#?}"
    );
    assert!(
        count(&|r| r.starts_with("PUT ") && r.contains("/parts/2?")) >= 2,
        "part 2 failed with the server and should have been sent again: {requests:#?}"
    );
}
