//! Components in headless Chromium: mount, act, tick, assert on the DOM.
#![cfg(target_arch = "wasm32")]

use leptos::prelude::*;
use vidpush::config::Endpoints;
use vidpush::connection::ConnectionState;
use vidpush::store::{JobEntry, Place, Store};
use vidpush::store::{UploadEntry, UploadPhase, UploadView};
use vidpush::ui::drop_zone::{DropZone, accept_files};
use vidpush::ui::header::ConnectionPill;
use vidpush::ui::job_card::JobCard;
use vidpush::ui::{Board, LiveRegion};
use vidpush_protocol::{
    DominantColor, EventBody, JobEvent, JobId, ResultSummary, Shot, ShotFacts, Span, Transition,
    TransitionKind,
};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement};

wasm_bindgen_test_configure!(run_in_browser);

/// A fresh container in the page, so tests do not see each other's DOM.
fn container() -> HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let div: HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&div).unwrap();
    div
}

fn all(root: &HtmlElement, selector: &str) -> Vec<Element> {
    let list = root.query_selector_all(selector).unwrap();
    (0..list.length())
        .map(|i| list.item(i).unwrap().unchecked_into())
        .collect()
}

fn one(root: &HtmlElement, selector: &str) -> Element {
    root.query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("no element matches {selector}"))
}

fn store() -> Store {
    let endpoints = Endpoints::resolve("http://127.0.0.1:9/", &Default::default());
    Store::new(endpoints).0
}

fn shot(index: u32, start_ms: u64, end_ms: u64) -> Shot {
    let frames = |ms: u64| ms / 40;
    Shot {
        index,
        span: Span {
            start_timestamp_millis: start_ms,
            end_timestamp_millis: end_ms,
            duration_millis: end_ms - start_ms,
            start_timecode_smpte: String::new(),
            end_timecode_smpte: String::new(),
            duration_smpte: String::new(),
            start_frame_number: frames(start_ms),
            end_frame_number: frames(end_ms) - 1,
            duration_frames: frames(end_ms - start_ms),
        },
        confidence: 90.0,
        transition_in: Transition {
            kind: TransitionKind::Cut,
            duration_frames: 1,
        },
        thumbnail_frame: 0,
        facts: ShotFacts {
            dominant_colors: vec![DominantColor {
                hex: "#000000".into(),
                share: 1.0,
            }],
            mean_brightness: 0.5,
            motion: 0.1,
        },
    }
}

fn event(seq: u64, body: EventBody) -> JobEvent {
    JobEvent {
        job_id: JobId::from("j1"),
        seq,
        at_ms: 0,
        body,
    }
}

fn shot_event(seq: u64, index: u32, start: u64, end: u64) -> JobEvent {
    event(
        seq,
        EventBody::Shot {
            shot: shot(index, start, end),
            thumbnail_url: format!("/api/jobs/j1/thumbnails/{index}.jpg"),
        },
    )
}

/// Mounts a job card for job `j1` and returns the store that feeds it.
fn mount_job(root: &HtmlElement, preview: Option<String>) -> Store {
    let store = store();
    let entry = JobEntry::new(JobId::from("j1"), 1, 1, "beach.mp4".into(), preview);
    store.jobs.set(vec![entry.clone()]);
    leptos::mount::mount_to(root.clone(), move || {
        provide_context(store);
        view! {
            <JobCard entry />
            <LiveRegion />
        }
    })
    .forget();
    store
}

/// The element that has the keyboard focus.
fn focused_element() -> Option<Element> {
    web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .active_element()
}

/// The sentences in the live region, oldest first.
fn announced(root: &HtmlElement) -> Vec<String> {
    all(root, "[data-testid=announcer] p")
        .iter()
        .map(|p| p.text_content().unwrap_or_default())
        .collect()
}

#[wasm_bindgen_test]
async fn connection_pill_shows_each_state() {
    let root = container();
    let state = RwSignal::new(ConnectionState::Connecting);
    let retries = RwSignal::new(0);
    let on_retry = Callback::new(move |()| retries.update(|n| *n += 1));
    leptos::mount::mount_to(
        root.clone(),
        move || view! { <ConnectionPill state on_retry /> },
    )
    .forget();
    let cases = [
        (ConnectionState::Connecting, "connecting"),
        (ConnectionState::Live, "live"),
        (
            ConnectionState::Reconnecting {
                attempt: 1,
                retry_at_ms: js_sys::Date::now() + 5_000.0,
                reason: "The server cannot be reached.".into(),
            },
            "reconnecting",
        ),
        (
            ConnectionState::Offline {
                reason: "The access token is missing or wrong.".into(),
            },
            "offline",
        ),
    ];
    for (s, label) in cases {
        state.set(s);
        leptos::task::tick().await;
        let pill = one(&root, "[data-testid=connection-state]");
        assert_eq!(pill.text_content().unwrap(), label);
        let detail = one(&root, "[data-testid=connection-detail]")
            .text_content()
            .unwrap();
        assert!(!detail.is_empty(), "{label} has a detail line");
        if label == "reconnecting" {
            assert!(detail.contains("Retrying in"), "{detail}");
        }
        // While the page waits before its next attempt, the person can make it try now.
        let retry = all(&root, "[data-testid=connection-retry]");
        let waiting = label == "reconnecting";
        assert_eq!(retry.len(), usize::from(waiting), "{label}");
        if waiting {
            let before = retries.get_untracked();
            retry[0].unchecked_ref::<HtmlElement>().click();
            assert_eq!(retries.get_untracked(), before + 1, "{label}");
            // The button goes away once live; the focus waits on the state it changes.
            let focused = focused_element();
            assert_eq!(focused.as_ref(), Some(&pill));
        }
    }
}

#[wasm_bindgen_test]
async fn job_card_renders_each_pushed_shot_once_even_when_events_repeat() {
    let root = container();
    let store = mount_job(&root, None);
    store.apply(&event(1, EventBody::Started));
    store.apply(&shot_event(2, 0, 0, 3_000));
    store.apply(&shot_event(3, 1, 3_000, 12_000));
    // A replay after a reconnect delivers the same events again.
    store.apply(&shot_event(2, 0, 0, 3_000));
    store.apply(&shot_event(3, 1, 3_000, 12_000));
    leptos::task::tick().await;
    let job = one(&root, "[data-testid=job]");
    assert_eq!(job.get_attribute("data-state").as_deref(), Some("running"));
    let shots = all(&root, "[data-testid=shot]");
    assert_eq!(shots.len(), 2);
    assert_eq!(
        shots[1].get_attribute("aria-label").unwrap(),
        "Shot 2 at 0:03, 9.0 s"
    );
    let img = shots[0].query_selector("img").unwrap().unwrap();
    assert_eq!(
        img.get_attribute("src").as_deref(),
        Some("http://127.0.0.1:9/api/jobs/j1/thumbnails/0.jpg")
    );
    // Both shots are read out, each naming its file, even when pushed in the same moment.
    let log = announced(&root);
    assert_eq!(
        log[log.len() - 2..],
        [
            "Shot 1 of beach.mp4 found at 0:00",
            "Shot 2 of beach.mp4 found at 0:03"
        ]
    );

    let action: HtmlElement = one(&root, "[data-testid=job-cancel]").unchecked_into();
    action.focus().unwrap();
    store.apply(&event(
        4,
        EventBody::Completed {
            summary: ResultSummary {
                shot_count: 2,
                cut_count: 1,
                gradual_count: 0,
                cue_count: 0,
                duration_millis: 12_000,
                frames_analyzed: 300,
                processing_millis: 800,
            },
            result_url: "/api/jobs/j1/result".into(),
        },
    ));
    leptos::task::tick().await;
    assert_eq!(
        job.get_attribute("data-state").as_deref(),
        Some("completed")
    );
    // The cancel button became the remove button in place, so the focus is still on it.
    let focused = focused_element();
    assert_eq!(focused.as_ref(), Some(action.unchecked_ref::<Element>()));
    assert_eq!(action.text_content().as_deref(), Some("Remove"));
    assert_eq!(
        action.get_attribute("data-testid").as_deref(),
        Some("job-remove")
    );
    for id in ["export-json", "export-csv", "export-vtt", "export-edl"] {
        one(&root, &format!("[data-testid={id}]"));
    }
    assert_eq!(
        announced(&root).last().map(String::as_str),
        Some("Analysis of beach.mp4 completed: 2 shots")
    );
    let progress: web_sys::HtmlProgressElement =
        one(&root, "[data-testid=job-progress]").unchecked_into();
    assert_eq!(progress.value(), 1.0);
}

#[wasm_bindgen_test]
async fn failed_job_shows_its_reason() {
    let root = container();
    let store = mount_job(&root, None);
    store.apply(&event(
        1,
        EventBody::Failed {
            reason: "not a video: no video stream found".into(),
        },
    ));
    leptos::task::tick().await;
    assert_eq!(
        one(&root, "[data-testid=job]")
            .get_attribute("data-state")
            .as_deref(),
        Some("failed")
    );
    assert_eq!(
        one(&root, "[data-testid=job-error]")
            .text_content()
            .unwrap(),
        "Not a video: no video stream found."
    );
    assert!(
        all(&root, "[data-testid=job-cancel]").is_empty(),
        "a final job cannot be cancelled"
    );
}

/// A 15 s, 16 × 16 WebM the browser can play, as a Blob URL for a job's preview.
fn playable_preview() -> String {
    let bytes = js_sys::Uint8Array::from(&include_bytes!("fixtures/preview-15s.webm")[..]);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("video/webm");
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(
        &js_sys::Array::of1(&bytes),
        &options,
    )
    .unwrap();
    web_sys::Url::create_object_url_with_blob(&blob).unwrap()
}

/// Yields until `done` holds, for at most about two seconds of ticks.
async fn until(done: impl Fn() -> bool) -> bool {
    for _ in 0..200 {
        if done() {
            return true;
        }
        gloo_timers::future::sleep(std::time::Duration::from_millis(10)).await;
    }
    done()
}

#[wasm_bindgen_test]
async fn clicking_a_shot_seeks_the_preview_to_its_start() {
    let root = container();
    let store = mount_job(&root, Some(playable_preview()));
    store.apply(&shot_event(1, 0, 0, 3_000));
    store.apply(&shot_event(2, 1, 3_000, 12_000));
    leptos::task::tick().await;
    let shots = all(&root, "[data-testid=shot]");
    let second: &HtmlElement = shots[1].unchecked_ref();
    second.focus().unwrap();
    second.click();
    leptos::task::tick().await;
    let video: web_sys::HtmlVideoElement = one(&root, "video").unchecked_into();
    assert_eq!(video.current_time(), 3.0);
    // The picked shot is marked as the current one, and keeps the focus for the next pick.
    assert_eq!(
        shots[1].get_attribute("aria-current").as_deref(),
        Some("true")
    );
    assert_eq!(shots[0].get_attribute("aria-current"), None);
    let focused = focused_element();
    assert_eq!(focused.as_ref(), Some(&shots[1]));
    assert!(all(&root, ".timeline .note").is_empty());
}

#[wasm_bindgen_test]
async fn a_shot_that_begins_with_a_dissolve_or_a_fade_says_so() {
    let root = container();
    let store = mount_job(&root, None);
    store.apply(&shot_event(1, 0, 0, 3_000));
    let mut dissolve = shot(1, 3_000, 6_000);
    dissolve.transition_in.kind = TransitionKind::Dissolve;
    store.apply(&event(
        2,
        EventBody::Shot {
            shot: dissolve,
            thumbnail_url: "/api/jobs/j1/thumbnails/1.jpg".into(),
        },
    ));
    leptos::task::tick().await;
    let shots = all(&root, "[data-testid=shot]");
    assert_eq!(shots[0].get_attribute("data-transition"), None);
    assert_eq!(
        shots[1].get_attribute("data-transition").as_deref(),
        Some("dissolve")
    );
    let label = shots[1].get_attribute("aria-label").unwrap();
    assert!(label.ends_with(", after a dissolve"), "{label}");
}

#[wasm_bindgen_test]
fn a_removed_job_disposes_its_signals_and_revokes_its_object_url() {
    let store = store();
    let blob = web_sys::Blob::new_with_str_sequence(&js_sys::Array::of1(&"x".into())).unwrap();
    let preview = web_sys::Url::create_object_url_with_blob(&blob).unwrap();
    // Followed from a task with no reactive owner, as a finished upload does.
    let id = JobId::from("gone");
    store.follow(
        id.clone(),
        "a.mp4".into(),
        Some(preview.clone()),
        Place::Newest,
    );
    let view = store.jobs.with_untracked(|jobs| jobs[0].view);
    assert!(view.try_get_untracked().is_some());
    store.dismiss(&id);
    assert!(
        view.try_get_untracked().is_none(),
        "the removed card's view is still alive"
    );
    // A revoked object URL no longer loads.
    let request = web_sys::XmlHttpRequest::new().unwrap();
    request.open_with_async("GET", &preview, false).unwrap();
    assert!(request.send().is_err(), "the object URL was not revoked");
}

#[wasm_bindgen_test]
async fn shots_without_a_playable_preview_cannot_be_picked_and_say_why() {
    let root = container();
    // Not a video: the browser fails to load it, as it would a damaged upload.
    let store = mount_job(&root, Some("data:video/mp4;base64,AAAA".into()));
    store.apply(&shot_event(1, 0, 0, 3_000));
    leptos::task::tick().await;
    let video: HtmlElement = one(&root, "video").unchecked_into();
    assert!(
        until(|| video.hidden()).await,
        "the broken preview stays on screen"
    );
    assert!(one(&root, "[data-testid=shot]").has_attribute("disabled"));
    let note = one(&root, ".timeline .note").text_content().unwrap();
    assert!(note.contains("cannot play this video"), "{note}");
}

#[wasm_bindgen_test]
async fn a_cancelled_job_shows_its_reason_as_a_note_not_an_alarm() {
    let root = container();
    let store = mount_job(&root, None);
    store.apply(&event(
        1,
        EventBody::Cancelled {
            reason: "cancelled by request".into(),
        },
    ));
    leptos::task::tick().await;
    let reason = one(&root, "[data-testid=job-error]");
    assert_eq!(reason.text_content().unwrap(), "Cancelled by request.");
    assert_eq!(reason.class_name(), "note");
}

#[wasm_bindgen_test]
async fn refused_file_shows_its_message_and_starts_no_upload() {
    let root = container();
    let store = store();
    leptos::mount::mount_to(root.clone(), move || {
        provide_context(store);
        view! { <DropZone /> }
    })
    .forget();
    let parts = js_sys::Array::of1(&"hello".into());
    let file = web_sys::File::new_with_str_sequence(&parts, "notes.txt").unwrap();
    accept_files(store, vec![file], None);
    leptos::task::tick().await;
    let refusals = all(&root, "[data-testid=refusal]");
    assert_eq!(refusals.len(), 1);
    let text = refusals[0].text_content().unwrap();
    assert!(
        text.contains("notes.txt") && text.contains("not a video"),
        "{text}"
    );
    assert!(store.uploads.get_untracked().is_empty());
    let input = one(&root, "[data-testid=file-input]");

    // Dismissing names what it dismisses, and hands the focus back to the file picker.
    let dismiss: HtmlElement = refusals[0]
        .query_selector("button")
        .unwrap()
        .unwrap()
        .unchecked_into();
    let described = dismiss.get_attribute("aria-describedby").unwrap();
    assert!(
        one(&root, &format!("#{described}"))
            .text_content()
            .unwrap()
            .contains("notes.txt")
    );
    dismiss.focus().unwrap();
    dismiss.click();
    leptos::task::tick().await;
    assert!(all(&root, "[data-testid=refusal]").is_empty());
    let focused = focused_element();
    assert_eq!(focused.as_ref(), Some(&input));
}

/// Adds an upload card for `name` to the board, as picking a file does.
fn add_upload(store: Store, name: &str) -> u64 {
    let key = store.key();
    let entry = UploadEntry::new(
        key,
        key,
        UploadView {
            file_name: name.into(),
            size: 1_000,
            sent: 0,
            rate: None,
            seconds_left: None,
            phase: UploadPhase::Sending,
        },
    );
    store.uploads.update(|u| u.push(entry));
    key
}

/// Turns upload `key` into job `id`, as a finished upload does.
fn upload_done(store: Store, key: u64, id: &str, name: &str) {
    store.uploads.update(|u| u.retain(|e| e.key != key));
    store.follow(JobId::from(id), name.into(), None, Place::OfUpload(key));
}

/// The board's cards, top to bottom, as "kind name".
fn cards(root: &HtmlElement) -> Vec<String> {
    all(root, ".board .card")
        .iter()
        .map(|card| {
            let name = card.query_selector(".file-name").unwrap().unwrap();
            format!(
                "{} {}",
                card.get_attribute("data-testid").unwrap_or_default(),
                name.text_content().unwrap_or_default()
            )
        })
        .collect()
}

#[wasm_bindgen_test]
async fn a_finished_upload_becomes_a_job_card_in_the_same_place() {
    let root = container();
    let store = store();
    leptos::mount::mount_to(root.clone(), move || {
        provide_context(store);
        view! { <Board /> }
    })
    .forget();
    let first = add_upload(store, "first.mp4");
    let second = add_upload(store, "second.mp4");
    leptos::task::tick().await;
    assert_eq!(cards(&root), ["upload second.mp4", "upload first.mp4"]);

    upload_done(store, first, "j1", "first.mp4");
    leptos::task::tick().await;
    assert_eq!(cards(&root), ["upload second.mp4", "job first.mp4"]);

    upload_done(store, second, "j2", "second.mp4");
    leptos::task::tick().await;
    assert_eq!(cards(&root), ["job second.mp4", "job first.mp4"]);
}

#[wasm_bindgen_test]
async fn the_live_region_adds_each_sentence_once_and_keeps_the_latest_five() {
    let root = container();
    let store = store();
    leptos::mount::mount_to(root.clone(), move || {
        provide_context(store);
        view! { <LiveRegion /> }
    })
    .forget();
    leptos::task::tick().await;
    // Seven pushed in the same moment: none is lost to the next, and the log stays short.
    for n in 1..=7 {
        store.announce(format!("Sentence {n}."));
    }
    leptos::task::tick().await;
    let first = one(&root, "[data-testid=announcer] p");
    assert_eq!(
        announced(&root),
        [
            "Sentence 3.",
            "Sentence 4.",
            "Sentence 5.",
            "Sentence 6.",
            "Sentence 7."
        ]
    );
    store.announce("Sentence 8.".into());
    leptos::task::tick().await;
    // Added, not rebuilt: the paragraphs still there are the same nodes.
    let log = all(&root, "[data-testid=announcer] p");
    assert_eq!(log.len(), 5);
    assert!(!first.is_connected(), "the oldest sentence is removed");
    assert_eq!(log[0].text_content().as_deref(), Some("Sentence 4."));
    assert_eq!(log[4].text_content().as_deref(), Some("Sentence 8."));
}
