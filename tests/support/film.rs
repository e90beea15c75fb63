//! A made-up feature film's analysis, for pushing a film's worth of events without decoding
//! one: shots of 2 s at 25 fps, every 25th beginning with a fade and every other 10th with a
//! dissolve. Shared by the browser tests and `cargo xtask bench app --film`.

use vidpush_protocol::{
    DominantColor, Shot, ShotFacts, Span, Transition, TransitionKind, VideoMetadata,
};

/// Each shot's length.
const SHOT_MS: u64 = 2_000;
/// The film's frame rate.
const FPS: u64 = 25;
/// How long a dissolve or a fade lasts, in frames.
const TRANSITION_FRAMES: u64 = 12;

/// Shot `index` of the film.
pub fn shot(index: u32) -> Shot {
    let start = u64::from(index) * SHOT_MS;
    let frame = |ms: u64| ms * FPS / 1000;
    let kind = match index {
        0 => TransitionKind::Start,
        i if i % 25 == 0 => TransitionKind::Fade,
        i if i % 10 == 0 => TransitionKind::Dissolve,
        _ => TransitionKind::Cut,
    };
    let gradual = matches!(kind, TransitionKind::Fade | TransitionKind::Dissolve);
    Shot {
        index,
        span: Span {
            start_timestamp_millis: start,
            end_timestamp_millis: start + SHOT_MS,
            duration_millis: SHOT_MS,
            start_timecode_smpte: String::from("00:00:00:00"),
            end_timecode_smpte: String::from("00:00:02:00"),
            duration_smpte: String::from("00:00:02:00"),
            start_frame_number: frame(start),
            end_frame_number: frame(start + SHOT_MS) - 1,
            duration_frames: frame(SHOT_MS),
        },
        confidence: 90.0,
        transition_in: Transition {
            kind,
            duration_frames: if gradual { TRANSITION_FRAMES } else { 1 },
        },
        thumbnail_frame: frame(start + SHOT_MS / 2),
        facts: ShotFacts {
            dominant_colors: vec![DominantColor {
                hex: String::from("#336699"),
                share: 1.0,
            }],
            mean_brightness: 0.5,
            motion: 0.1,
        },
    }
}

/// The metadata of the film, `shots` shots long.
pub fn metadata(shots: u32) -> VideoMetadata {
    VideoMetadata {
        codec: "h264".into(),
        format: "mov,mp4,m4a,3gp,3g2,mj2".into(),
        duration_millis: u64::from(shots) * SHOT_MS,
        frame_rate: FPS as f64,
        frame_rate_fraction: format!("{FPS}/1"),
        frame_width: 1920,
        frame_height: 1080,
        color_range: "LIMITED".into(),
        frame_count: Some(u64::from(shots) * SHOT_MS * FPS / 1000),
        audio_codec: Some("aac".into()),
    }
}
