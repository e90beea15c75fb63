//! The values and exact JSON texts every codec of the wire format is checked against: serde in
//! `wire_format.rs`, the browser's `JSON.parse`/`JSON.stringify` in `web_codec.rs`.
#![allow(dead_code)] // Each test file uses its own part.

use vidpush_protocol::multipart::*;
use vidpush_protocol::*;

pub fn span() -> Span {
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

pub fn shot() -> Shot {
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

pub fn metadata() -> VideoMetadata {
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

pub fn summary() -> ResultSummary {
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

pub fn event(seq: u64, body: EventBody) -> JobEvent {
    JobEvent {
        job_id: JobId::from("j1"),
        seq,
        at_ms: 1700000000000,
        body,
    }
}

pub const SPAN_JSON: &str = r#""startTimestampMillis":0,"endTimestampMillis":2002,"durationMillis":2002,"startTimecodeSMPTE":"00:00:00;00","endTimecodeSMPTE":"00:00:02;00","durationSMPTE":"00:00:02;00","startFrameNumber":0,"endFrameNumber":59,"durationFrames":60"#;

/// Every client action and its text.
pub fn actions() -> Vec<(ClientAction, &'static str)> {
    vec![
        (
            ClientAction::Subscribe {
                job_id: "j1".into(),
                after_seq: 7,
            },
            r#"{"action":"subscribe","jobId":"j1","afterSeq":7}"#,
        ),
        (
            ClientAction::Unsubscribe {
                job_id: "j1".into(),
            },
            r#"{"action":"unsubscribe","jobId":"j1"}"#,
        ),
        (
            ClientAction::Cancel {
                job_id: "j1".into(),
            },
            r#"{"action":"cancel","jobId":"j1"}"#,
        ),
        (ClientAction::Ping, r#"{"action":"ping"}"#),
    ]
}

/// One event of every kind and its text.
pub fn events() -> Vec<(JobEvent, String)> {
    let head = r#"{"jobId":"j1","seq":1,"atMs":1700000000000,"type":"#;
    let cue = TechnicalCue {
        kind: TechnicalCueType::BlackFrames,
        span: span(),
        confidence: 90.0,
    };
    vec![
        (
            event(
                1,
                EventBody::Queued {
                    file_name: "a.mp4".into(),
                    size_bytes: 1000,
                },
            ),
            format!(r#"{head}"job.queued","fileName":"a.mp4","sizeBytes":1000}}"#),
        ),
        (
            event(1, EventBody::Started),
            format!(r#"{head}"job.started"}}"#),
        ),
        (
            event(
                1,
                EventBody::Progress {
                    stage: Stage::Detecting,
                    fraction: 0.5,
                    frames_done: 150,
                },
            ),
            format!(
                r#"{head}"job.progress","stage":"detecting","fraction":0.5,"framesDone":150}}"#
            ),
        ),
        (
            event(
                1,
                EventBody::Metadata {
                    metadata: metadata(),
                },
            ),
            format!(
                r#"{head}"job.metadata","metadata":{{"codec":"h264","format":"mov,mp4,m4a,3gp,3g2,mj2","durationMillis":10010,"frameRate":29.97,"frameRateFraction":"30000/1001","frameWidth":1920,"frameHeight":1080,"colorRange":"LIMITED","frameCount":300}}}}"#
            ),
        ),
        (
            event(
                1,
                EventBody::Shot {
                    shot: shot(),
                    thumbnail_url: "/api/jobs/j1/thumbnails/0.jpg".into(),
                },
            ),
            format!(
                r##"{head}"job.shot","shot":{{"index":0,{SPAN_JSON},"confidence":99.5,"transitionIn":{{"type":"start","durationFrames":0}},"thumbnailFrame":30,"facts":{{"dominantColors":[{{"hex":"#1a2b3c","share":0.5}}],"meanBrightness":0.25,"motion":0.125}}}},"thumbnailUrl":"/api/jobs/j1/thumbnails/0.jpg"}}"##
            ),
        ),
        (
            event(1, EventBody::Cue { cue }),
            format!(
                r#"{head}"job.cue","cue":{{"type":"BlackFrames",{SPAN_JSON},"confidence":90.0}}}}"#
            ),
        ),
        (
            event(
                1,
                EventBody::Completed {
                    summary: summary(),
                    result_url: "/api/jobs/j1/result".into(),
                },
            ),
            format!(
                r#"{head}"job.completed","summary":{{"shotCount":3,"cutCount":1,"gradualCount":1,"cueCount":0,"durationMillis":10010,"framesAnalyzed":300,"processingMillis":420}},"resultUrl":"/api/jobs/j1/result"}}"#
            ),
        ),
        (
            event(
                1,
                EventBody::Failed {
                    reason: "not a video: no video stream found".into(),
                },
            ),
            format!(r#"{head}"job.failed","reason":"not a video: no video stream found"}}"#),
        ),
        (
            event(
                1,
                EventBody::Cancelled {
                    reason: "cancelled by request".into(),
                },
            ),
            format!(r#"{head}"job.cancelled","reason":"cancelled by request"}}"#),
        ),
    ]
}

/// Every reply and its text.
pub fn replies() -> Vec<(Reply, &'static str)> {
    vec![
        (
            Reply::Subscribed {
                job_id: "j1".into(),
                state: JobState::Running,
                last_seq: 4,
            },
            r#"{"type":"subscribed","jobId":"j1","state":"running","lastSeq":4}"#,
        ),
        (
            Reply::Unsubscribed {
                job_id: "j1".into(),
            },
            r#"{"type":"unsubscribed","jobId":"j1"}"#,
        ),
        (Reply::Pong, r#"{"type":"pong"}"#),
        (
            Reply::Error {
                code: ErrorCode::Forbidden,
                message: "that job belongs to someone else".into(),
                job_id: Some("j1".into()),
            },
            r#"{"type":"error","code":"forbidden","message":"that job belongs to someone else","jobId":"j1"}"#,
        ),
    ]
}

pub fn create_job_requests() -> Vec<(CreateJobRequest, &'static str)> {
    vec![
        (
            CreateJobRequest {
                upload_id: "u1".into(),
                sensitivity: None,
            },
            r#"{"uploadId":"u1"}"#,
        ),
        (
            CreateJobRequest {
                upload_id: "u1".into(),
                sensitivity: Some(0.5),
            },
            r#"{"uploadId":"u1","sensitivity":0.5}"#,
        ),
    ]
}

pub fn create_job_response() -> (CreateJobResponse, &'static str) {
    (
        CreateJobResponse {
            job_id: "j1".into(),
        },
        r#"{"jobId":"j1"}"#,
    )
}

pub fn job_lists() -> Vec<(JobList, &'static str)> {
    let job = JobStatus {
        job_id: "j1".into(),
        state: JobState::Completed,
        last_seq: 9,
        file_name: "a.mp4".into(),
        created_at_ms: 5,
    };
    vec![
        (
            JobList {
                jobs: vec![job.clone()],
                next_cursor: Some("5.j1".into()),
            },
            r#"{"jobs":[{"jobId":"j1","state":"completed","lastSeq":9,"fileName":"a.mp4","createdAtMs":5}],"nextCursor":"5.j1"}"#,
        ),
        (
            JobList {
                jobs: Vec::new(),
                next_cursor: None,
            },
            r#"{"jobs":[]}"#,
        ),
    ]
}

pub fn health() -> (Health, &'static str) {
    (
        Health {
            status: "ok".into(),
            version: "0.1.0".into(),
            max_upload_bytes: Some(1_000_000),
        },
        r#"{"status":"ok","version":"0.1.0","maxUploadBytes":1000000}"#,
    )
}

pub fn api_error() -> (ApiError, &'static str) {
    (
        ApiError {
            code: "not_found".into(),
            message: "No job with that id.".into(),
        },
        r#"{"code":"not_found","message":"No job with that id."}"#,
    )
}

pub fn connect_check() -> (ConnectCheck, &'static str) {
    (
        ConnectCheck {
            verdict: ConnectVerdict::OriginNotAllowed,
            status: 403,
            message: "origin not allowed".into(),
        },
        r#"{"verdict":"originNotAllowed","status":403,"message":"origin not allowed"}"#,
    )
}

pub fn client_configs() -> Vec<(ClientConfig, &'static str)> {
    vec![
        (ClientConfig::default(), "{}"),
        (
            ClientConfig {
                gateway_url: Some("wss://x/prod".into()),
                api_url: Some("https://api.x".into()),
                token: Some("t".into()),
            },
            r#"{"gatewayUrl":"wss://x/prod","apiUrl":"https://api.x","token":"t"}"#,
        ),
    ]
}

pub fn create_multipart_request() -> (CreateMultipartRequest, &'static str) {
    (
        CreateMultipartRequest {
            file_name: "clip \"final\".mp4".into(),
            file_type: "video/mp4".into(),
            size: 25_165_824_123,
        },
        r#"{"fileName":"clip \"final\".mp4","fileType":"video/mp4","size":25165824123}"#,
    )
}

pub fn create_multipart_response() -> (CreateMultipartResponse, &'static str) {
    (
        CreateMultipartResponse {
            upload_id: "u1".into(),
            key: "u1".into(),
            part_size: 8_388_608,
            part_count: 3,
        },
        r#"{"uploadId":"u1","key":"u1","partSize":8388608,"partCount":3}"#,
    )
}

pub fn signed_part() -> (SignedPart, &'static str) {
    (
        SignedPart {
            url: "api/multipart/u1/parts/2?expires=1700000000000&signature=ab12".into(),
            expires_at_ms: 1_700_000_000_000,
        },
        r#"{"url":"api/multipart/u1/parts/2?expires=1700000000000&signature=ab12","expiresAtMs":1700000000000}"#,
    )
}

pub fn list_parts_responses() -> Vec<(ListPartsResponse, &'static str)> {
    vec![
        (ListPartsResponse { parts: Vec::new() }, r#"{"parts":[]}"#),
        (
            ListPartsResponse {
                parts: vec![
                    UploadedPart {
                        part_number: 1,
                        size: 8_388_608,
                        etag: "\"9e107d9d372bb6826bd81d3542a419d6\"".into(),
                    },
                    UploadedPart {
                        part_number: 3,
                        size: 123,
                        etag: "\"e4d909c290d0fb1ca068ffaddf22cbd0\"".into(),
                    },
                ],
            },
            r#"{"parts":[{"partNumber":1,"size":8388608,"etag":"\"9e107d9d372bb6826bd81d3542a419d6\""},{"partNumber":3,"size":123,"etag":"\"e4d909c290d0fb1ca068ffaddf22cbd0\""}]}"#,
        ),
    ]
}

pub fn complete_multipart_request() -> (CompleteMultipartRequest, &'static str) {
    (
        CompleteMultipartRequest {
            parts: vec![
                CompletedPart {
                    part_number: 1,
                    etag: "\"a\"".into(),
                },
                CompletedPart {
                    part_number: 2,
                    etag: "\"b\"".into(),
                },
            ],
        },
        r#"{"parts":[{"partNumber":1,"etag":"\"a\""},{"partNumber":2,"etag":"\"b\""}]}"#,
    )
}

pub fn complete_multipart_response() -> (CompleteMultipartResponse, &'static str) {
    (
        CompleteMultipartResponse {
            upload_id: "u1".into(),
            size: 16_777_339,
        },
        r#"{"uploadId":"u1","size":16777339}"#,
    )
}

/// A whole result with one shot and one cue.
pub fn analysis_result() -> AnalysisResult {
    AnalysisResult {
        video_metadata: metadata(),
        shots: vec![shot()],
        technical_cues: vec![TechnicalCue {
            kind: TechnicalCueType::BlackFrames,
            span: span(),
            confidence: 90.0,
        }],
        summary: summary(),
        analyzer: Analyzer {
            name: "vidpush-analysis".into(),
            version: "0.1.0".into(),
            analysis_width: 160,
        },
    }
}
