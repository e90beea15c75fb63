//! Sample protocol values for tests (native and browser): a shot, metadata, events.
//! Compiled only for tests and the `fixtures` of browser tests; never part of the app's logic.

use vidpush_protocol::{
    DominantColor, EventBody, JobEvent, JobId, ResultSummary, Shot, ShotFacts, Span, Transition,
    TransitionKind, VideoMetadata,
};

/// Metadata of a 10 s 25 fps 1280×720 H.264 file.
pub fn metadata() -> VideoMetadata {
    VideoMetadata {
        codec: "h264".into(),
        format: "mov,mp4,m4a,3gp,3g2,mj2".into(),
        duration_millis: 10_000,
        frame_rate: 25.0,
        frame_rate_fraction: "25/1".into(),
        frame_width: 1280,
        frame_height: 720,
        color_range: "LIMITED".into(),
        frame_count: Some(250),
        audio_codec: Some("aac".into()),
    }
}

/// Shot `index` covering frames `start..end` (end exclusive) at 25 fps.
pub fn shot(index: u32, start: u64, end: u64) -> Shot {
    let ms = |f: u64| f * 40;
    let tc = |f: u64| format!("00:00:{:02}:{:02}", f / 25, f % 25);
    Shot {
        index,
        span: Span {
            start_timestamp_millis: ms(start),
            end_timestamp_millis: ms(end),
            duration_millis: ms(end - start),
            start_timecode_smpte: tc(start),
            end_timecode_smpte: tc(end),
            duration_smpte: tc(end - start),
            start_frame_number: start,
            end_frame_number: end - 1,
            duration_frames: end - start,
        },
        confidence: 97.5,
        transition_in: Transition {
            kind: if index == 0 {
                TransitionKind::Start
            } else {
                TransitionKind::Cut
            },
            duration_frames: 1,
        },
        thumbnail_frame: start,
        facts: ShotFacts {
            dominant_colors: vec![DominantColor {
                hex: "#336699".into(),
                share: 0.6,
            }],
            mean_brightness: 0.4,
            motion: 0.1,
        },
    }
}

/// Totals for a result with `shots` shots.
pub fn summary(shots: u32) -> ResultSummary {
    ResultSummary {
        shot_count: shots,
        cut_count: shots.saturating_sub(1),
        gradual_count: 0,
        cue_count: 0,
        duration_millis: 10_000,
        frames_analyzed: 250,
        processing_millis: 900,
    }
}

/// Event `seq` of job `job` with `body`.
pub fn event(job: &str, seq: u64, body: EventBody) -> JobEvent {
    JobEvent {
        job_id: JobId::from(job),
        seq,
        at_ms: 1_700_000_000_000 + seq,
        body,
    }
}

/// A `job.shot` event for shot `index` (frames `start..end`).
pub fn shot_event(job: &str, seq: u64, index: u32, start: u64, end: u64) -> JobEvent {
    event(
        job,
        seq,
        EventBody::Shot {
            shot: shot(index, start, end),
            thumbnail_url: format!("/api/jobs/{job}/thumbnails/{index}.jpg"),
        },
    )
}
