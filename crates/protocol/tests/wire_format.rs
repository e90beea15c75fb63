//! Pins the exact JSON of every message kind, so any change of wire format shows up here as a
//! failing test and a visible diff, and checks that every message survives a round trip.
#![cfg(not(target_arch = "wasm32"))]

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Debug;
use vidpush_protocol::*;

mod samples;
use samples::{event, shot};

/// Serialises `value`, compares with `expected` exactly, then parses `expected` back and
/// compares with `value`.
fn pin<T: Serialize + DeserializeOwned + PartialEq + Debug>(value: &T, expected: &str) {
    let json = serde_json::to_string(value).unwrap();
    assert_eq!(json, expected, "wire format changed");
    let back: T = serde_json::from_str(expected).unwrap();
    assert_eq!(&back, value, "round trip changed the value");
}

#[test]
fn client_actions_have_pinned_json() {
    for (action, json) in samples::actions() {
        pin(&action, json);
    }
}

#[test]
fn subscribe_without_after_seq_means_from_the_start() {
    let action: ClientAction =
        serde_json::from_str(r#"{"action":"subscribe","jobId":"j1"}"#).unwrap();
    assert_eq!(
        action,
        ClientAction::Subscribe {
            job_id: "j1".into(),
            after_seq: 0
        }
    );
    assert_eq!(action.route(), "subscribe");
}

#[test]
fn job_events_have_pinned_json() {
    for (event, json) in samples::events() {
        pin(&event, &json);
    }
}

#[test]
fn replies_have_pinned_json() {
    for (reply, json) in samples::replies() {
        pin(&reply, json);
    }
}

#[test]
fn server_messages_tell_events_from_replies() {
    let event = event(3, EventBody::Started);
    assert_eq!(
        ServerMessage::from_json(&event.to_json()).unwrap(),
        ServerMessage::Event(event)
    );
    let reply = Reply::Pong;
    assert_eq!(
        ServerMessage::from_json(&reply.to_json()).unwrap(),
        ServerMessage::Reply(reply)
    );
    assert!(
        ServerMessage::from_json(r#"{"type":"job.unknown","jobId":"j","seq":1,"atMs":0}"#).is_err()
    );
}

#[test]
fn multipart_bodies_have_pinned_json() {
    let (request, json) = samples::create_multipart_request();
    pin(&request, json);
    let (response, json) = samples::create_multipart_response();
    pin(&response, json);
    let (signed, json) = samples::signed_part();
    pin(&signed, json);
    for (listed, json) in samples::list_parts_responses() {
        pin(&listed, json);
    }
    let (request, json) = samples::complete_multipart_request();
    pin(&request, json);
    let (response, json) = samples::complete_multipart_response();
    pin(&response, json);
}

#[test]
fn http_bodies_have_pinned_json() {
    for (request, json) in samples::create_job_requests() {
        pin(&request, json);
    }
    let (response, json) = samples::create_job_response();
    pin(&response, json);
    pin(
        &JobStatus {
            job_id: "j1".into(),
            state: JobState::Completed,
            last_seq: 9,
            file_name: "a.mp4".into(),
            created_at_ms: 5,
        },
        r#"{"jobId":"j1","state":"completed","lastSeq":9,"fileName":"a.mp4","createdAtMs":5}"#,
    );
    for (list, json) in samples::job_lists() {
        pin(&list, json);
    }
    let (error, json) = samples::api_error();
    pin(&error, json);
    let (health, json) = samples::health();
    pin(&health, json);
    let (check, json) = samples::connect_check();
    pin(&check, json);
    for (config, json) in samples::client_configs() {
        pin(&config, json);
    }
}

#[test]
fn analysis_result_round_trips() {
    let result = samples::analysis_result();
    let json = serde_json::to_string(&result).unwrap();
    assert!(json.starts_with(r#"{"videoMetadata":{"codec":"h264""#));
    assert!(json.ends_with(
        r#""analyzer":{"name":"vidpush-analysis","version":"0.1.0","analysisWidth":160}}"#
    ));
    assert_eq!(
        serde_json::from_str::<AnalysisResult>(&json).unwrap(),
        result
    );
}

#[test]
fn a_shot_event_with_many_colours_stays_far_below_the_message_limit() {
    let mut shot = shot();
    shot.facts.dominant_colors = vec![
        DominantColor {
            hex: "#ffffff".into(),
            share: 0.2
        };
        5
    ];
    let json = event(
        99,
        EventBody::Shot {
            shot,
            thumbnail_url: format!("/api/jobs/{}/thumbnails/99999.jpg", "x".repeat(64)),
        },
    )
    .to_json();
    assert!(
        json.len() < limits::MAX_MESSAGE_BYTES / 64,
        "{} bytes",
        json.len()
    );
}

#[test]
fn only_final_states_are_final() {
    assert!(!JobState::Queued.is_final());
    assert!(!JobState::Running.is_final());
    assert!(
        JobState::Completed.is_final()
            && JobState::Failed.is_final()
            && JobState::Cancelled.is_final()
    );
    assert_eq!(EventBody::Started.state_after(), Some(JobState::Running));
    assert_eq!(
        EventBody::Progress {
            stage: Stage::Probing,
            fraction: 0.0,
            frames_done: 0
        }
        .state_after(),
        None
    );
}
