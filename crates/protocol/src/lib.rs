//! The wire contract between the vidpush browser app and server, and nothing else.
//!
//! Every JSON shape that crosses the network is defined here, once, so that a change of wire
//! format is a change to this crate (and to the pinned JSON in `tests/wire_format.rs`). The
//! crate does no I/O and depends on no other crate of ours; serde is its reference codec.
//!
//! Modules:
//! - [`ids`]: the opaque identifiers (`JobId`, `UploadId`) as distinct types.
//! - [`action`]: what a page sends over the WebSocket (`subscribe`, `unsubscribe`, `cancel`, `ping`).
//! - [`event`]: what the server pushes: job events with their per-job `seq`, and replies.
//! - [`result`]: the analysis result schema (Rekognition-style metadata, shots, technical cues).
//! - [`http`]: request and response bodies of the HTTP API (`/api/...`) and `config.json`.
//! - [`multipart`]: the multipart upload API (S3's model, with signed part URLs) the page
//!   uploads through on any host.
//! - [`limits`]: the numeric limits both sides obey, each with the reason for its value.
//! - [`sizes`]: sizes written for people, the same on the page and in the server's messages.
//! - `web` (feature `web`, for the browser app): the same messages decoded from the browser's
//!   `JSON.parse` and encoded with `JSON.stringify`, so the app's wasm carries no serde_json.

pub mod action;
pub mod event;
pub mod http;
pub mod ids;
pub mod limits;
pub mod multipart;
pub mod result;
pub mod sizes;
#[cfg(feature = "web")]
pub mod web;

pub use action::ClientAction;
pub use event::{ErrorCode, EventBody, JobEvent, JobState, Reply, ServerMessage, Stage};
pub use http::{
    ApiError, ClientConfig, ConnectCheck, ConnectVerdict, CreateJobRequest, CreateJobResponse,
    Health, JobList, JobListQuery, JobStatus,
};
pub use ids::{JobId, UploadId};
pub use result::{
    AnalysisResult, Analyzer, DominantColor, ResultSummary, Shot, ShotFacts, Span, TechnicalCue,
    TechnicalCueType, Transition, TransitionKind, VideoMetadata,
};
