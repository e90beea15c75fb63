//! One job as the page knows it, built only from pushed events.
//!
//! [`JobView::apply`] is the whole state machine: events are applied strictly in `seq` order,
//! each exactly once, whatever the socket delivers (replays after a reconnect, duplicates
//! during a connection renewal, events of other jobs). It never talks to the network.

use crate::format;
use vidpush_protocol::{
    EventBody, JobEvent, JobId, JobState, ResultSummary, Shot, Stage, TechnicalCue, VideoMetadata,
};

/// A shot with the thumbnail URL it was pushed with.
#[derive(Clone, Debug, PartialEq)]
pub struct ShotView {
    /// The shot's timing and facts.
    pub shot: Shot,
    /// Thumbnail path relative to the API base, as pushed.
    pub thumbnail_url: String,
}

/// Everything the page shows about one job.
#[derive(Clone, Debug, PartialEq)]
pub struct JobView {
    /// The job.
    pub job_id: JobId,
    /// File name shown on the card; known locally before `job.queued` arrives.
    pub file_name: String,
    /// Uploaded size, from `job.queued`.
    pub size_bytes: u64,
    /// Where the job is in its life.
    pub state: JobState,
    /// The newest applied `seq`; the `afterSeq` of a resubscription.
    pub last_seq: u64,
    /// What a running job is doing.
    pub stage: Option<Stage>,
    /// Fraction done, 0.0 to 1.0.
    pub fraction: f64,
    /// Container facts, once probed.
    pub metadata: Option<VideoMetadata>,
    /// Shots in the order pushed (which is index order).
    pub shots: Vec<ShotView>,
    /// Technical cues in the order pushed.
    pub cues: Vec<TechnicalCue>,
    /// Totals, once completed.
    pub summary: Option<ResultSummary>,
    /// Where the full result is, once completed (relative to the API base).
    pub result_url: Option<String>,
    /// Why the job failed or was cancelled, or why the page could not follow it.
    pub error: Option<String>,
    /// How many times the job was queued: more than once after a server restart interrupted
    /// it, or after a Retry.
    pub runs: u32,
}

/// What applying one event did.
#[derive(Clone, Debug, PartialEq)]
pub enum Applied {
    /// The event was new and is now part of the view; `announce` is a sentence for the live
    /// region, when the event is worth announcing.
    New {
        /// Sentence for screen readers, if any.
        announce: Option<String>,
    },
    /// Already applied (`seq` not above `last_seq`): ignored.
    Duplicate,
    /// Events are missing before this one: ignored; resubscribe with `afterSeq = last_seq`.
    Gap {
        /// The `seq` the view waits for.
        expected: u64,
    },
    /// The event belongs to another job: ignored.
    OtherJob,
}

impl JobView {
    /// A job the page has just created or remembered, before any event arrived.
    pub fn new(job_id: JobId, file_name: impl Into<String>) -> Self {
        Self {
            job_id,
            file_name: file_name.into(),
            size_bytes: 0,
            state: JobState::Queued,
            last_seq: 0,
            stage: None,
            fraction: 0.0,
            metadata: None,
            shots: Vec::new(),
            cues: Vec::new(),
            summary: None,
            result_url: None,
            error: None,
            runs: 0,
        }
    }

    /// True when the job needs no more events: resubscribing would bring nothing new.
    pub fn is_final(&self) -> bool {
        self.state.is_final()
    }

    /// Applies `event` if it is the next one of this job.
    pub fn apply(&mut self, event: &JobEvent) -> Applied {
        if event.job_id != self.job_id {
            return Applied::OtherJob;
        }
        if event.seq <= self.last_seq {
            return Applied::Duplicate;
        }
        if event.seq != self.last_seq + 1 {
            return Applied::Gap {
                expected: self.last_seq + 1,
            };
        }
        self.last_seq = event.seq;
        if let Some(state) = event.body.state_after() {
            self.state = state;
        }
        let announce = match &event.body {
            EventBody::Queued {
                file_name,
                size_bytes,
            } => {
                // A later `job.queued` means the job runs again (the server restarted while it
                // ran, or a person asked for a retry). The server pushes only what is new in
                // that run, so what the page shows stays: the shots, the details, the progress.
                self.runs += 1;
                self.file_name = file_name.clone();
                self.size_bytes = *size_bytes;
                self.stage = None;
                self.error = None;
                self.result_url = None;
                (self.runs > 1).then(|| {
                    format!(
                        "Analysis of {} runs again; the {} found so far stay",
                        self.file_name,
                        format::count(self.shots.len() as u64, "shot")
                    )
                })
            }
            EventBody::Started => Some(format!("Analysis of {} started", self.file_name)),
            EventBody::Progress {
                stage, fraction, ..
            } => {
                self.stage = Some(*stage);
                self.fraction = fraction.clamp(0.0, 1.0);
                None
            }
            EventBody::Metadata { metadata } => {
                self.metadata = Some(metadata.clone());
                None
            }
            EventBody::Shot {
                shot,
                thumbnail_url,
            } => {
                let view = ShotView {
                    shot: shot.clone(),
                    thumbnail_url: thumbnail_url.clone(),
                };
                // A shot the page has already shows is not shown twice (a server older than
                // this page pushes a re-run's shots again).
                // Shots are in index order, so the known one is found by halves: a film has
                // thousands.
                let at = self.shots.partition_point(|s| s.shot.index < shot.index);
                if let Some(known) = self
                    .shots
                    .get_mut(at)
                    .filter(|s| s.shot.index == shot.index)
                {
                    *known = view;
                    return Applied::New { announce: None };
                }
                // Named after its file: with several jobs running, a bare "Shot 4" says nothing.
                let announce = format!(
                    "Shot {} of {} found at {}",
                    shot.index + 1,
                    self.file_name,
                    format::clock(shot.span.start_timestamp_millis)
                );
                self.shots.insert(at, view);
                Some(announce)
            }
            EventBody::Cue { cue } => {
                self.cues.push(cue.clone());
                None
            }
            EventBody::Completed {
                summary,
                result_url,
            } => {
                self.fraction = 1.0;
                self.summary = Some(summary.clone());
                self.result_url = Some(result_url.clone());
                Some(format!(
                    "Analysis of {} completed: {}",
                    self.file_name,
                    format::count(u64::from(summary.shot_count), "shot")
                ))
            }
            EventBody::Failed { reason } => {
                self.error = Some(reason.clone());
                self.keep_partial_result();
                Some(format!(
                    "Analysis of {} failed. {}",
                    self.file_name,
                    format::sentence(reason)
                ))
            }
            EventBody::Cancelled { reason } => {
                self.error = Some(reason.clone());
                self.keep_partial_result();
                // The server's reason mostly says "cancelled" itself ("cancelled by request").
                let reason = reason.trim().trim_end_matches('.');
                Some(match reason.strip_prefix("cancelled") {
                    Some(rest) => format!("Analysis of {} cancelled{rest}.", self.file_name),
                    None => format!(
                        "Analysis of {} cancelled. {}",
                        self.file_name,
                        format::sentence(reason)
                    ),
                })
            }
        };
        Applied::New { announce }
    }

    /// A job that stopped early with shots and the container's facts keeps them on the server
    /// as a partial result, at the same place as a whole one: its exports fetch it there.
    fn keep_partial_result(&mut self) {
        if self.metadata.is_some() && !self.shots.is_empty() {
            self.result_url = Some(format!("/api/jobs/{}/result", self.job_id));
        }
    }

    /// Whether the job can be run again: it failed or was cancelled.
    pub fn can_retry(&self) -> bool {
        matches!(self.state, JobState::Failed | JobState::Cancelled)
    }

    /// What the card says the job is doing, `connected` saying whether the page hears from the
    /// server now: while it cannot, an unfinished job's last known stage would be stale.
    pub fn status(&self, connected: bool) -> &'static str {
        if !connected && !self.is_final() {
            return "The server cannot be reached; this card catches up when it is back";
        }
        self.stage_label()
    }

    /// A short label for the current stage.
    pub fn stage_label(&self) -> &'static str {
        match (self.state, self.stage) {
            (JobState::Queued, _) if self.runs > 1 && !self.shots.is_empty() => {
                "Waiting to run again; the shots found so far stay"
            }
            (JobState::Queued, _) => "Waiting for a worker",
            (JobState::Running, None | Some(Stage::Probing)) => "Reading the file",
            (JobState::Running, Some(Stage::Detecting)) => "Finding shots",
            (JobState::Running, Some(Stage::Finishing)) => "Writing thumbnails",
            (JobState::Completed, _) => "Done",
            (JobState::Failed, _) => "Failed",
            (JobState::Cancelled, _) => "Cancelled",
        }
    }
}

#[cfg(test)]
#[path = "job_tests.rs"]
mod tests;
