//! The wire contract between the vidpush browser app and server, and nothing else.
//!
//! Every JSON shape that crosses the network is defined here, once, so that a change of wire
//! format is a change to this crate (and to the pinned JSON in `tests/wire_format.rs`). The
//! crate is serde only: it does no I/O and depends on no other crate of ours.
//!
//! Modules:
//! - [`ids`]: the opaque identifiers (`JobId`, `UploadId`) as distinct types.
//! - [`action`]: what a page sends over the WebSocket (`subscribe`, `unsubscribe`, `cancel`, `ping`).
//! - [`event`]: what the server pushes: job events with their per-job `seq`, and replies.
//! - [`result`]: the analysis result schema (Rekognition-style metadata, shots, technical cues).
//! - [`http`]: request and response bodies of the HTTP API (`/api/...`) and `config.json`.
//! - [`limits`]: the numeric limits both sides obey, each with the reason for its value.

pub mod action;
pub mod event;
pub mod http;
pub mod ids;
pub mod limits;
pub mod result;

pub use action::ClientAction;
pub use event::{ErrorCode, EventBody, JobEvent, JobState, Reply, ServerMessage, Stage};
pub use http::{
    ApiError, ClientConfig, ConnectCheck, ConnectVerdict, CreateJobRequest, CreateJobResponse,
    Health, JobStatus,
};
pub use ids::{JobId, UploadId};
pub use result::{
    AnalysisResult, Analyzer, DominantColor, ResultSummary, Shot, ShotFacts, Span, TechnicalCue,
    TechnicalCueType, Transition, TransitionKind, VideoMetadata,
};
