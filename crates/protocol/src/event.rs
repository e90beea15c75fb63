//! What the server pushes over the WebSocket: job events and replies to actions.
//!
//! A job event carries its job's `seq` (1, 2, 3 … without gaps). Events are stored before
//! they are pushed, so a page can always ask for "everything after `seq`" and miss nothing;
//! a page ignores any event whose `seq` it has already applied.

use crate::ids::JobId;
use crate::result::{ResultSummary, Shot, TechnicalCue, VideoMetadata};
use serde::{Deserialize, Serialize};

/// The life of a job: `queued → running → completed | failed | cancelled`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Waiting for a worker.
    Queued,
    /// A worker is analysing the video.
    Running,
    /// Finished; the result can be fetched.
    Completed,
    /// Ended with an error; the `job.failed` event says why.
    Failed,
    /// Cancelled by a person or because nobody was watching any more.
    Cancelled,
}

impl JobState {
    /// True for states a job never leaves.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Cancelled)
    }

    /// The lower-case name, as on the wire and in `data-state` attributes.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }
}

/// What a running job is doing, for the progress display.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Stage {
    /// Reading the container's facts with ffprobe.
    Probing,
    /// Decoding frames and finding shot boundaries.
    Detecting,
    /// Writing thumbnails and the final result.
    Finishing,
}

/// One event of one job, as stored and as pushed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobEvent {
    /// The job this event belongs to.
    pub job_id: JobId,
    /// Position in the job's event stream: 1 for the first event, then +1 without gaps.
    pub seq: u64,
    /// When the server recorded the event, in milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// What happened; on the wire its `type` tag sits beside the fields above.
    #[serde(flatten)]
    pub body: EventBody,
}

/// What happened to a job. The `type` tag is `job.<name>`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum EventBody {
    /// The job was accepted and waits for a worker.
    #[serde(rename = "job.queued")]
    Queued {
        /// The original file name as the person chose it, for display only.
        file_name: String,
        /// The uploaded size in bytes.
        size_bytes: u64,
    },
    /// A worker picked the job up.
    #[serde(rename = "job.started")]
    Started,
    /// How far the job is. Rate-limited (see `limits::PROGRESS_MIN_INTERVAL_MS`).
    #[serde(rename = "job.progress")]
    Progress {
        /// What the worker is doing now.
        stage: Stage,
        /// Fraction of the whole job done, 0.0 to 1.0.
        fraction: f64,
        /// Frames analysed so far, when decoding.
        frames_done: u64,
    },
    /// The container's facts, known right after probing.
    #[serde(rename = "job.metadata")]
    Metadata {
        /// Codec, format, duration, frame rate and size.
        metadata: VideoMetadata,
    },
    /// One shot, pushed as soon as its end is known.
    #[serde(rename = "job.shot")]
    Shot {
        /// The shot with its timing and facts.
        shot: Shot,
        /// Where its JPEG thumbnail can be fetched (relative to the API URL).
        thumbnail_url: String,
    },
    /// A technical cue (such as a run of black frames), pushed as soon as it is known.
    #[serde(rename = "job.cue")]
    Cue {
        /// The cue with its timing.
        cue: TechnicalCue,
    },
    /// The job finished; the full result is fetched from `result_url`.
    #[serde(rename = "job.completed")]
    Completed {
        /// Counts and timings of the whole result.
        summary: ResultSummary,
        /// Where the full result JSON can be fetched (relative to the API URL).
        result_url: String,
    },
    /// The job ended with an error.
    #[serde(rename = "job.failed")]
    Failed {
        /// A sentence a person can read, e.g. "not a video: no video stream found".
        reason: String,
    },
    /// The job was cancelled.
    #[serde(rename = "job.cancelled")]
    Cancelled {
        /// Why, e.g. "cancelled by request" or "nobody was watching for 60 s".
        reason: String,
    },
}

impl EventBody {
    /// The state a job is in once this event has been applied, if the event changes it.
    pub fn state_after(&self) -> Option<JobState> {
        match self {
            Self::Queued { .. } => Some(JobState::Queued),
            Self::Started => Some(JobState::Running),
            Self::Completed { .. } => Some(JobState::Completed),
            Self::Failed { .. } => Some(JobState::Failed),
            Self::Cancelled { .. } => Some(JobState::Cancelled),
            Self::Progress { .. }
            | Self::Metadata { .. }
            | Self::Shot { .. }
            | Self::Cue { .. } => None,
        }
    }
}

/// Why an action was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ErrorCode {
    /// The message was not valid JSON or not a known action.
    BadRequest,
    /// No job with that id exists.
    NotFound,
    /// The job belongs to another token.
    Forbidden,
    /// The server failed; the message says what to do.
    Internal,
}

/// A direct answer to an action, sent only to the connection that sent it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Reply {
    /// The subscription is recorded; replayed events follow (or preceded) this reply.
    Subscribed {
        /// The job now followed.
        job_id: JobId,
        /// The job's state at the moment of subscribing.
        state: JobState,
        /// The job's newest `seq` at that moment.
        last_seq: u64,
    },
    /// The subscription is gone.
    Unsubscribed {
        /// The job no longer followed.
        job_id: JobId,
    },
    /// Answer to `ping`.
    Pong,
    /// The action was refused.
    Error {
        /// Machine-readable reason.
        code: ErrorCode,
        /// A sentence a person can read.
        message: String,
        /// The job the refused action named, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        job_id: Option<JobId>,
    },
}

/// Anything the server sends over the WebSocket.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ServerMessage {
    /// A job event (`type` starts with `job.`).
    Event(JobEvent),
    /// A reply to an action.
    Reply(Reply),
}

impl ServerMessage {
    /// Parses one text frame from the server.
    ///
    /// Picks the variant by its `type` tag (`job.…` is an event) instead of going through the
    /// derived `untagged` impl: that one tries each variant in turn and, when none fits, can only
    /// say "data did not match any variant", where this names the field that is wrong. (The
    /// browser app decodes with `web::decode`, which dispatches the same way.)
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        /// Only the tag; every other field is skipped.
        #[derive(Deserialize)]
        struct Tag {
            #[serde(rename = "type")]
            kind: String,
        }
        let tag: Tag = serde_json::from_str(text)?;
        if tag.kind.starts_with("job.") {
            serde_json::from_str(text).map(Self::Event)
        } else {
            serde_json::from_str(text).map(Self::Reply)
        }
    }
}

impl JobEvent {
    /// The JSON text to store and push. Serialising these plain structs cannot fail.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a JobEvent always serialises")
    }
}

impl Reply {
    /// The JSON text to send. Serialising these plain structs cannot fail.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a Reply always serialises")
    }
}
