//! Pins the exact JSON of every message kind, so any change of wire format shows up here as a
//! failing test and a visible diff, and checks that every message survives a round trip.

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Debug;
use vidpush_protocol::*;

/// Serialises `value`, compares with `expected` exactly, then parses `expected` back and
/// compares with `value`.
fn pin<T: Serialize + DeserializeOwned + PartialEq + Debug>(value: &T, expected: &str) {
    let json = serde_json::to_string(value).unwrap();
    assert_eq!(json, expected, "wire format changed");
    let back: T = serde_json::from_str(expected).unwrap();
    assert_eq!(&back, value, "round trip changed the value");
}

fn span() -> Span {
    Span {
        start_timestamp_millis: 0,
        end_timestamp_millis: 2002,
        duration_millis: 2002,
        start_timecode_smpte: "00:00:00;00".into(),
        end_timecode_smpte: "00:00:02;00".into(),
        duration_smpte: "00:00:02;00".into(),
        start_frame_number: 0,
        end_frame_number: 59,
        duration_frames: 60,
    }
}

fn shot() -> Shot {
    Shot {
        index: 0,
        span: span(),
        confidence: 99.5,
        transition_in: Transition {
            kind: TransitionKind::Start,
            duration_frames: 0,
        },
        thumbnail_frame: 30,
        facts: ShotFacts {
            dominant_colors: vec![DominantColor {
                hex: "#1a2b3c".into(),
                share: 0.5,
            }],
            mean_brightness: 0.25,
            motion: 0.125,
        },
    }
}

fn metadata() -> VideoMetadata {
    VideoMetadata {
        codec: "h264".into(),
        format: "mov,mp4,m4a,3gp,3g2,mj2".into(),
        duration_millis: 10010,
        frame_rate: 29.97,
        frame_rate_fraction: "30000/1001".into(),
        frame_width: 1920,
        frame_height: 1080,
        color_range: "LIMITED".into(),
        frame_count: Some(300),
        audio_codec: None,
    }
}

fn summary() -> ResultSummary {
    ResultSummary {
        shot_count: 3,
        cut_count: 1,
        gradual_count: 1,
        cue_count: 0,
        duration_millis: 10010,
        frames_analyzed: 300,
        processing_millis: 420,
    }
}

fn event(seq: u64, body: EventBody) -> JobEvent {
    JobEvent {
        job_id: JobId::from("j1"),
        seq,
        at_ms: 1700000000000,
        body,
    }
}

const SPAN_JSON: &str = r#""startTimestampMillis":0,"endTimestampMillis":2002,"durationMillis":2002,"startTimecodeSMPTE":"00:00:00;00","endTimecodeSMPTE":"00:00:02;00","durationSMPTE":"00:00:02;00","startFrameNumber":0,"endFrameNumber":59,"durationFrames":60"#;

#[test]
fn client_actions_have_pinned_json() {
    pin(
        &ClientAction::Subscribe {
            job_id: "j1".into(),
            after_seq: 7,
        },
        r#"{"action":"subscribe","jobId":"j1","afterSeq":7}"#,
    );
    pin(
        &ClientAction::Unsubscribe {
            job_id: "j1".into(),
        },
        r#"{"action":"unsubscribe","jobId":"j1"}"#,
    );
    pin(
        &ClientAction::Cancel {
            job_id: "j1".into(),
        },
        r#"{"action":"cancel","jobId":"j1"}"#,
    );
    pin(&ClientAction::Ping, r#"{"action":"ping"}"#);
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
    let head = r#"{"jobId":"j1","seq":1,"atMs":1700000000000,"type":"#;
    pin(
        &event(
            1,
            EventBody::Queued {
                file_name: "a.mp4".into(),
                size_bytes: 1000,
            },
        ),
        &format!(r#"{head}"job.queued","fileName":"a.mp4","sizeBytes":1000}}"#),
    );
    pin(
        &event(1, EventBody::Started),
        &format!(r#"{head}"job.started"}}"#),
    );
    pin(
        &event(
            1,
            EventBody::Progress {
                stage: Stage::Detecting,
                fraction: 0.5,
                frames_done: 150,
            },
        ),
        &format!(r#"{head}"job.progress","stage":"detecting","fraction":0.5,"framesDone":150}}"#),
    );
    pin(
        &event(
            1,
            EventBody::Metadata {
                metadata: metadata(),
            },
        ),
        &format!(
            r#"{head}"job.metadata","metadata":{{"codec":"h264","format":"mov,mp4,m4a,3gp,3g2,mj2","durationMillis":10010,"frameRate":29.97,"frameRateFraction":"30000/1001","frameWidth":1920,"frameHeight":1080,"colorRange":"LIMITED","frameCount":300}}}}"#
        ),
    );
    pin(
        &event(
            1,
            EventBody::Shot {
                shot: shot(),
                thumbnail_url: "/api/jobs/j1/thumbnails/0.jpg".into(),
            },
        ),
        &format!(
            r##"{head}"job.shot","shot":{{"index":0,{SPAN_JSON},"confidence":99.5,"transitionIn":{{"type":"start","durationFrames":0}},"thumbnailFrame":30,"facts":{{"dominantColors":[{{"hex":"#1a2b3c","share":0.5}}],"meanBrightness":0.25,"motion":0.125}}}},"thumbnailUrl":"/api/jobs/j1/thumbnails/0.jpg"}}"##
        ),
    );
    pin(
        &event(
            1,
            EventBody::Cue {
                cue: TechnicalCue {
                    kind: TechnicalCueType::BlackFrames,
                    span: span(),
                    confidence: 90.0,
                },
            },
        ),
        &format!(
            r#"{head}"job.cue","cue":{{"type":"BlackFrames",{SPAN_JSON},"confidence":90.0}}}}"#
        ),
    );
    pin(
        &event(
            1,
            EventBody::Completed {
                summary: summary(),
                result_url: "/api/jobs/j1/result".into(),
            },
        ),
        &format!(
            r#"{head}"job.completed","summary":{{"shotCount":3,"cutCount":1,"gradualCount":1,"cueCount":0,"durationMillis":10010,"framesAnalyzed":300,"processingMillis":420}},"resultUrl":"/api/jobs/j1/result"}}"#
        ),
    );
    pin(
        &event(
            1,
            EventBody::Failed {
                reason: "not a video: no video stream found".into(),
            },
        ),
        &format!(r#"{head}"job.failed","reason":"not a video: no video stream found"}}"#),
    );
    pin(
        &event(
            1,
            EventBody::Cancelled {
                reason: "cancelled by request".into(),
            },
        ),
        &format!(r#"{head}"job.cancelled","reason":"cancelled by request"}}"#),
    );
}

#[test]
fn replies_have_pinned_json() {
    pin(
        &Reply::Subscribed {
            job_id: "j1".into(),
            state: JobState::Running,
            last_seq: 4,
        },
        r#"{"type":"subscribed","jobId":"j1","state":"running","lastSeq":4}"#,
    );
    pin(
        &Reply::Unsubscribed {
            job_id: "j1".into(),
        },
        r#"{"type":"unsubscribed","jobId":"j1"}"#,
    );
    pin(&Reply::Pong, r#"{"type":"pong"}"#);
    pin(
        &Reply::Error {
            code: ErrorCode::Forbidden,
            message: "that job belongs to someone else".into(),
            job_id: Some("j1".into()),
        },
        r#"{"type":"error","code":"forbidden","message":"that job belongs to someone else","jobId":"j1"}"#,
    );
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
fn http_bodies_have_pinned_json() {
    pin(
        &CreateJobRequest {
            upload_id: "u1".into(),
        },
        r#"{"uploadId":"u1"}"#,
    );
    pin(
        &CreateJobResponse {
            job_id: "j1".into(),
        },
        r#"{"jobId":"j1"}"#,
    );
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
    pin(
        &ApiError {
            code: "not_found".into(),
            message: "No job with that id.".into(),
        },
        r#"{"code":"not_found","message":"No job with that id."}"#,
    );
    pin(
        &Health {
            status: "ok".into(),
            version: "0.1.0".into(),
        },
        r#"{"status":"ok","version":"0.1.0"}"#,
    );
    pin(
        &ConnectCheck {
            verdict: ConnectVerdict::OriginNotAllowed,
            status: 403,
            message: "origin not allowed".into(),
        },
        r#"{"verdict":"originNotAllowed","status":403,"message":"origin not allowed"}"#,
    );
    pin(&ClientConfig::default(), "{}");
    pin(
        &ClientConfig {
            gateway_url: Some("wss://x/prod".into()),
            api_url: Some("https://api.x".into()),
            token: Some("t".into()),
        },
        r#"{"gatewayUrl":"wss://x/prod","apiUrl":"https://api.x","token":"t"}"#,
    );
}

#[test]
fn analysis_result_round_trips() {
    let result = AnalysisResult {
        video_metadata: metadata(),
        shots: vec![shot()],
        technical_cues: vec![],
        summary: summary(),
        analyzer: Analyzer {
            name: "vidpush-analysis".into(),
            version: "0.1.0".into(),
            analysis_width: 160,
        },
    };
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
