//! The one error type of the crate. Every `Display` is a sentence a person can read: the server
//! shows it as the job's failure reason, the CLI prints it.

use crate::complaint::{Complaint, NO_VIDEO_STREAM, SOUND_ONLY};
use std::time::Duration;

/// Why an analysis did not produce a result.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    /// The file has no video stream (a still cover image, subtitles, data).
    #[error("{}", NO_VIDEO_STREAM)]
    NotAVideo,
    /// The file has sound and no picture (a recording of audio only, maybe with cover art).
    #[error("{}", SOUND_ONLY)]
    SoundOnly,
    /// ffprobe or ffmpeg refused the file, decoding ended well before the file's declared end,
    /// or the probe found frames larger than we decode (the complaint says which).
    #[error("{complaint}")]
    Refused {
        /// What the refusal means, as the person who sent the file reads it.
        complaint: Complaint,
        /// The tool's stderr as captured (bounded; with ffmpeg's progress reports when decoding
        /// stopped short; empty when the refusal is ours, from what ffprobe reported): for the
        /// operator's log, never for users, since it names server paths and memory addresses.
        tool_output: String,
    },
    /// The tools ran, but what they produced does not make a video (no frame size, no
    /// decodable frames, an implausible stream list); the text says which.
    #[error("the file could not be read as a video: {0}")]
    Unreadable(String),
    /// Decoding started but ffmpeg failed part-way.
    #[error("the video could not be decoded to the end: {0}")]
    DecodeFailed(String),
    /// Someone cancelled the analysis.
    #[error("the analysis was cancelled")]
    Cancelled,
    /// The wall-clock limit ran out.
    #[error(
        "the analysis took longer than its limit of {} s and was stopped; try a shorter video",
        .0.as_secs()
    )]
    TimedOut(Duration),
    /// ffmpeg produced more decoded bytes than allowed.
    #[error(
        "the video decodes to more than the limit of {} MiB of frames and was stopped; try a shorter video",
        .0 / (1024 * 1024)
    )]
    TooLarge(u64),
    /// ffmpeg or ffprobe could not be started at all.
    #[error("{program} could not be started ({reason}); install ffmpeg and try again")]
    ToolMissing {
        /// `ffmpeg` or `ffprobe`.
        program: String,
        /// What the operating system said.
        reason: String,
    },
    /// Reading a pipe or writing output failed.
    #[error("the analysis failed while reading or writing data: {0}")]
    Io(#[from] std::io::Error),
}

impl AnalysisError {
    /// The error for a tool that exited with a failure on `input`, from its `stderr`.
    pub fn refused(stderr: String, input: &str) -> Self {
        Self::Refused {
            complaint: Complaint::from_stderr(&stderr, input),
            tool_output: stderr,
        }
    }

    /// What ffprobe or ffmpeg printed, when they refused the file and said something: for logs,
    /// not for users.
    pub fn tool_output(&self) -> Option<&str> {
        match self {
            Self::Refused { tool_output, .. } if !tool_output.is_empty() => Some(tool_output),
            _ => None,
        }
    }

    /// True when the analysis stopped because it was cancelled, not because it failed.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, Self::Cancelled)
    }
}
