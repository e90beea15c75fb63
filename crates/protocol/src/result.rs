//! The analysis result: what `vidpush-analyze` prints, what the server stores and serves at
//! `GET /api/jobs/{id}/result`, and what the page exports.
//!
//! Names follow Amazon Rekognition Video (`VideoMetadata`, `GetSegmentDetection` segments) in
//! camelCase, so code written against Rekognition reads ours without a mapping table.

use serde::{Deserialize, Serialize};

/// The container's facts, as Rekognition's `VideoMetadata`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VideoMetadata {
    /// Video codec, e.g. `h264`, `vp9`.
    pub codec: String,
    /// Container format, e.g. `mov,mp4,m4a,3gp,3g2,mj2` as ffprobe names it (Rekognition: `Format`).
    pub format: String,
    /// Duration of the video stream in milliseconds.
    pub duration_millis: u64,
    /// Frames per second, e.g. 29.97002997 for NTSC.
    pub frame_rate: f64,
    /// The exact frame rate as a fraction `numerator/denominator`, e.g. `30000/1001`; SMPTE
    /// timecodes are computed from it, so 29.97 material gets drop-frame timecodes.
    pub frame_rate_fraction: String,
    /// Width of a frame in pixels.
    pub frame_width: u32,
    /// Height of a frame in pixels.
    pub frame_height: u32,
    /// `FULL` or `LIMITED`, as Rekognition reports it.
    pub color_range: String,
    /// Number of frames, when the container says or decoding counted them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame_count: Option<u64>,
    /// Audio codec of the first audio stream, if there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_codec: Option<String>,
}

/// Where a segment sits in the video, as Rekognition's segment timing fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Span {
    /// Start of the segment's first frame, in milliseconds.
    pub start_timestamp_millis: u64,
    /// End of the segment's last frame, in milliseconds.
    pub end_timestamp_millis: u64,
    /// `end - start`, in milliseconds.
    pub duration_millis: u64,
    /// Start as SMPTE timecode `HH:MM:SS:FF` (`;` before frames when drop-frame).
    #[serde(rename = "startTimecodeSMPTE")]
    pub start_timecode_smpte: String,
    /// End as SMPTE timecode (exclusive: the frame after the last one).
    #[serde(rename = "endTimecodeSMPTE")]
    pub end_timecode_smpte: String,
    /// Duration as SMPTE timecode.
    #[serde(rename = "durationSMPTE")]
    pub duration_smpte: String,
    /// Number of the segment's first frame (0-based).
    pub start_frame_number: u64,
    /// Number of the segment's last frame (inclusive).
    pub end_frame_number: u64,
    /// `end_frame_number - start_frame_number + 1`.
    pub duration_frames: u64,
}

/// How a shot begins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TransitionKind {
    /// The first shot of the video.
    Start,
    /// A hard cut from the previous shot.
    Cut,
    /// A dissolve (cross-fade) from the previous shot.
    Dissolve,
    /// A fade in from black (often after a fade out of the previous shot).
    Fade,
}

/// The transition into a shot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transition {
    /// What kind of boundary it is.
    #[serde(rename = "type")]
    pub kind: TransitionKind,
    /// How many frames the transition spans (1 for a cut).
    pub duration_frames: u64,
}

/// One of a shot's dominant colours.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DominantColor {
    /// `#rrggbb`.
    pub hex: String,
    /// Share of the shot's pixels near this colour, 0.0 to 1.0.
    pub share: f32,
}

/// Facts about a shot that a person finds useful when scanning a timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShotFacts {
    /// Up to five dominant colours, largest share first.
    pub dominant_colors: Vec<DominantColor>,
    /// Mean luma over the shot, 0.0 (black) to 1.0 (white).
    pub mean_brightness: f32,
    /// Mean frame-to-frame change within the shot, 0.0 (still) to 1.0 (constant upheaval).
    pub motion: f32,
}

/// One shot, as a Rekognition `SHOT` segment plus our facts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Shot {
    /// Position of the shot in the video, 0-based (Rekognition: `ShotSegment.Index`).
    pub index: u32,
    /// Where the shot sits.
    #[serde(flatten)]
    pub span: Span,
    /// How sure the detector is of the boundary that starts this shot, 50.0 to 100.0.
    pub confidence: f32,
    /// How the shot begins.
    pub transition_in: Transition,
    /// The frame shown as the shot's thumbnail.
    pub thumbnail_frame: u64,
    /// Colours, brightness, motion.
    pub facts: ShotFacts,
}

/// Kinds of technical cue (Rekognition's `TechnicalCueSegment.Type` values we detect).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TechnicalCueType {
    /// A run of (nearly) black frames.
    BlackFrames,
}

/// One technical cue, as a Rekognition `TECHNICAL_CUE` segment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TechnicalCue {
    /// What was found.
    #[serde(rename = "type")]
    pub kind: TechnicalCueType,
    /// Where it sits.
    #[serde(flatten)]
    pub span: Span,
    /// How sure the detector is, 50.0 to 100.0.
    pub confidence: f32,
}

/// Counts and timings of a whole result, small enough to push.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultSummary {
    /// Number of shots.
    pub shot_count: u32,
    /// Number of hard cuts between shots.
    pub cut_count: u32,
    /// Number of gradual transitions (dissolves and fades) between shots.
    pub gradual_count: u32,
    /// Number of technical cues.
    pub cue_count: u32,
    /// Duration of the video in milliseconds.
    pub duration_millis: u64,
    /// Frames decoded and analysed.
    pub frames_analyzed: u64,
    /// Wall-clock time the analysis took, in milliseconds.
    pub processing_millis: u64,
}

/// Which detector produced a result, so results from different versions can be told apart.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Analyzer {
    /// Program name, `vidpush-analysis`.
    pub name: String,
    /// Its version.
    pub version: String,
    /// The width frames were downscaled to for detection.
    pub analysis_width: u32,
}

/// The full analysis of one video.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalysisResult {
    /// The container's facts.
    pub video_metadata: VideoMetadata,
    /// Every shot, in order, covering the whole video.
    pub shots: Vec<Shot>,
    /// Technical cues, in order.
    pub technical_cues: Vec<TechnicalCue>,
    /// Counts and timings.
    pub summary: ResultSummary,
    /// What produced this result.
    pub analyzer: Analyzer,
}
