//! `vidpush-analysis`: what is in a video — its container facts, its shots, black stretches,
//! a thumbnail and a few facts per shot. A library plus the `vidpush-analyze` CLI; it knows
//! nothing about networks. ffmpeg and ffprobe run as bounded child processes; the shot detector
//! is our own Rust code over small decoded frames.
//!
//! Modules, in the order data flows through them:
//!
//! - [`options`]: `AnalysisOptions` (sizes and limits), the largest frame analysed
//!   (`MAX_FRAME_PIXELS`) and the `CancelFlag`.
//! - [`process`]: ffmpeg/ffprobe children under an address-space limit, with a watchdog (time
//!   limit, cancel), bounded stderr, and kill-and-reap on drop.
//! - [`probe`]: ffprobe's JSON to the protocol's `VideoMetadata`; refuses frames over the limit.
//! - [`decode`]: ffmpeg decoding to downscaled YUV frames on a pipe (started alongside the
//!   probe; ffmpeg picks the size), with a size limit, a thread cap, and a decoder that refuses
//!   frames over the limit before allocating them.
//! - [`completeness`]: whether decoding reached the end the container declares; a file cut
//!   short after its index fails as damaged.
//! - [`features`]: per-frame features (small luma/chroma image, soft colour histogram) and
//!   distances between frames.
//! - [`detector`]: `ShotDetector` — hard cuts, flashes, and the orchestration of gradual ones.
//! - [`gradual`]: the blend-window test that finds dissolves and fades.
//! - [`motion`]: global motion between frames, and the blend test with moved window ends.
//! - [`boundary`]: `Boundary` and merging fades through black.
//! - [`black`]: `BlackFrameDetector`, the black-frame technical cues.
//! - [`timecode`]: `Timecode` (SMPTE, drop-frame) and spans.
//! - [`colors`]: dominant colours of a shot.
//! - [`thumbnail`]: JPEG encoding of a frame.
//! - [`shot`]: assembling shots, their facts and thumbnails from settled frames.
//! - [`pipeline`]: `analyze`, which runs all of the above and reports `AnalysisEvent`s.
//! - [`synthetic`]: clips with known boundaries rendered by ffmpeg, and their scoring — for the
//!   accuracy tests and the benchmark only.
//! - [`complaint`]: ffprobe's and ffmpeg's stderr sorted into sentences for users.
//! - [`error`]: `AnalysisError`, whose messages are sentences for users.

pub mod black;
pub mod boundary;
pub mod colors;
pub mod complaint;
pub mod completeness;
pub mod decode;
pub mod detector;
pub mod error;
pub mod features;
pub mod gradual;
pub mod motion;
pub mod options;
pub mod pipeline;
pub mod probe;
pub mod process;
pub mod shot;
pub mod synthetic;
pub mod thumbnail;
pub mod timecode;

pub use error::AnalysisError;
pub use options::{AnalysisOptions, CancelFlag};
pub use pipeline::{AnalysisEvent, analyze};
pub use probe::probe;
pub use vidpush_protocol::result::AnalysisResult;
