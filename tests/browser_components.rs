//! Components in headless Chromium: mount, act, tick, assert on the DOM.
#![cfg(target_arch = "wasm32")]

use leptos::prelude::*;
use vidpush::config::Endpoints;
use vidpush::connection::ConnectionState;
use vidpush::job::JobView;
use vidpush::store::{JobEntry, Store};
use vidpush::ui::drop_zone::{DropZone, accept_files};
use vidpush::ui::header::ConnectionPill;
use vidpush::ui::job_card::JobCard;
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
    let entry = JobEntry {
        id: JobId::from("j1"),
        key: 1,
        view: RwSignal::new(JobView::new("j1".into(), "beach.mp4")),
        preview,
    };
    store.jobs.set(vec![entry.clone()]);
    leptos::mount::mount_to(root.clone(), move || {
        provide_context(store);
        view! { <JobCard entry /> }
    })
    .forget();
    store
}

#[wasm_bindgen_test]
async fn connection_pill_shows_each_state() {
    let root = container();
    let state = RwSignal::new(ConnectionState::Connecting);
    leptos::mount::mount_to(root.clone(), move || view! { <ConnectionPill state /> }).forget();
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
    assert_eq!(store.announcement.get_untracked(), "Shot 2 found at 0:03");

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
    for id in ["export-json", "export-csv", "export-vtt", "export-edl"] {
        one(&root, &format!("[data-testid={id}]"));
    }
    assert_eq!(store.announcement.get_untracked(), "Job completed: 2 shots");
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

#[wasm_bindgen_test]
async fn clicking_a_shot_seeks_the_preview_to_its_start() {
    let root = container();
    let store = mount_job(&root, Some("data:video/mp4;base64,".into()));
    store.apply(&shot_event(1, 0, 0, 3_000));
    store.apply(&shot_event(2, 1, 3_000, 12_000));
    leptos::task::tick().await;
    let shots = all(&root, "[data-testid=shot]");
    shots[1].unchecked_ref::<HtmlElement>().click();
    leptos::task::tick().await;
    let video: web_sys::HtmlVideoElement = one(&root, "video").unchecked_into();
    assert_eq!(video.current_time(), 3.0);
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
    accept_files(store, vec![file]);
    leptos::task::tick().await;
    let refusals = all(&root, "[data-testid=refusal]");
    assert_eq!(refusals.len(), 1);
    let text = refusals[0].text_content().unwrap();
    assert!(
        text.contains("notes.txt") && text.contains("not a video"),
        "{text}"
    );
    assert!(store.uploads.get_untracked().is_empty());
    one(&root, "[data-testid=file-input]");
}
