//! The life of one multipart upload as a state machine: start it (continue the upload this
//! browser remembers, or create one), send its parts, complete it; wait while the person
//! pauses; wait and try the same step again while the server cannot be reached; start anew
//! when the server forgot the remembered upload; abort it when the person cancels.
//!
//! [`UploadFlow::next`] says what to do next; the net layer (`net::upload`) does it — requests,
//! waits, `localStorage` — and reports back how it went. This module does no I/O, so every path
//! is tested natively.

use crate::multipart::Remembered;
use vidpush_protocol::UploadId;

/// What the person asked the upload to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wish {
    /// Go on.
    Run,
    /// Stop sending, keep what the server has.
    Pause,
    /// Stop and delete the upload on the server.
    Cancel,
}

/// Why a step did not give what was asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// No answer, or a passing failure (5xx, a busy server): try again later.
    Unreachable,
    /// The server no longer has the upload (expired, aborted, used for a job).
    Lost,
    /// Refused for good; the sentence says why.
    Refused(String),
    /// Aborted because the person paused or cancelled.
    Stopped,
}

/// What the net layer does next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Forget the upload this browser remembers (it cannot be continued any more).
    Forget,
    /// Delete the upload on the server, if one was started: the person cancelled.
    Abort(Option<UploadId>),
    /// Show the upload as paused and wait for the person.
    WaitForResume,
    /// Wait (with backoff) before trying the same step again.
    RetryLater,
    /// Ask the server which parts of the remembered upload it has.
    Resume(Remembered),
    /// Create a new upload and remember it.
    Create,
    /// Send the parts the server does not have yet.
    SendParts(UploadId),
    /// Complete the upload from its stored parts.
    Complete(UploadId),
    /// Nothing more to do.
    Finished(Outcome),
}

/// How an upload ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every part is in and the upload is complete: its job can be created.
    Completed(UploadId),
    /// The person cancelled it.
    Cancelled,
    /// It cannot go on; the sentence says why.
    Failed(String),
}

/// Where one upload stands.
#[derive(Debug)]
pub struct UploadFlow {
    /// The upload this browser remembers from before a reload, until it is started or lost.
    remembered: Option<Remembered>,
    /// The upload on the server, once created or resumed.
    current: Option<UploadId>,
    /// The remembered upload must be forgotten before anything else.
    forget: bool,
    /// The last step could not reach the server.
    retry: bool,
    /// How it ended, once it has.
    outcome: Option<Outcome>,
}

/// What a person reads when the server lost an upload it had started.
const LOST: &str = "The server lost this upload. Drop the file again to restart it.";

impl UploadFlow {
    /// An upload about to start, continuing `remembered` when this browser has one.
    pub fn new(remembered: Option<Remembered>) -> Self {
        Self {
            remembered,
            current: None,
            forget: false,
            retry: false,
            outcome: None,
        }
    }

    /// What to do now that the person wishes `wish` and the parts are `all_stored` or not.
    pub fn next(&mut self, wish: Wish, all_stored: bool) -> Step {
        if std::mem::take(&mut self.forget) {
            return Step::Forget;
        }
        if let Some(outcome) = &self.outcome {
            return Step::Finished(outcome.clone());
        }
        if std::mem::take(&mut self.retry) {
            return Step::RetryLater;
        }
        match wish {
            Wish::Cancel => {
                let started = self
                    .current
                    .take()
                    .or(self.remembered.take().map(|r| r.upload_id));
                self.forget = true;
                self.outcome = Some(Outcome::Cancelled);
                return Step::Abort(started);
            }
            Wish::Pause => return Step::WaitForResume,
            Wish::Run => {}
        }
        match (&self.current, &self.remembered) {
            (None, Some(remembered)) => Step::Resume(remembered.clone()),
            (None, None) => Step::Create,
            (Some(id), _) if all_stored => Step::Complete(id.clone()),
            (Some(id), _) => Step::SendParts(id.clone()),
        }
    }

    /// The upload was created or resumed as `id`.
    pub fn started(&mut self, id: UploadId) {
        self.current = Some(id);
    }

    /// The upload was completed.
    pub fn completed(&mut self) {
        if let Some(id) = self.current.clone() {
            self.outcome = Some(Outcome::Completed(id));
        }
    }

    /// The last step failed so.
    pub fn failed(&mut self, failure: Failure) {
        match failure {
            // The person paused or cancelled: the next step says which.
            Failure::Stopped => {}
            Failure::Unreachable => self.retry = true,
            // The remembered upload is gone before it started again: start a new one.
            Failure::Lost if self.current.is_none() && self.remembered.is_some() => {
                self.remembered = None;
                self.forget = true;
            }
            Failure::Lost => {
                self.forget = true;
                self.outcome = Some(Outcome::Failed(LOST.into()));
            }
            Failure::Refused(sentence) => self.outcome = Some(Outcome::Failed(sentence)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> UploadId {
        UploadId::from(s)
    }

    fn remembered(s: &str) -> Remembered {
        Remembered {
            upload_id: id(s),
            part_size: 8 << 20,
        }
    }

    #[test]
    fn a_new_upload_is_created_sent_and_completed() {
        let mut flow = UploadFlow::new(None);
        assert_eq!(flow.next(Wish::Run, false), Step::Create);
        flow.started(id("u1"));
        assert_eq!(flow.next(Wish::Run, false), Step::SendParts(id("u1")));
        assert_eq!(flow.next(Wish::Run, true), Step::Complete(id("u1")));
        flow.completed();
        assert_eq!(
            flow.next(Wish::Run, true),
            Step::Finished(Outcome::Completed(id("u1")))
        );
    }

    #[test]
    fn a_remembered_upload_is_continued_and_a_lost_one_forgotten_and_created_anew() {
        let mut flow = UploadFlow::new(Some(remembered("old")));
        assert_eq!(flow.next(Wish::Run, false), Step::Resume(remembered("old")));
        flow.failed(Failure::Lost);
        assert_eq!(flow.next(Wish::Run, false), Step::Forget);
        assert_eq!(flow.next(Wish::Run, false), Step::Create);
        flow.started(id("new"));
        assert_eq!(flow.next(Wish::Run, false), Step::SendParts(id("new")));

        let mut flow = UploadFlow::new(Some(remembered("old")));
        assert_eq!(flow.next(Wish::Run, false), Step::Resume(remembered("old")));
        flow.started(id("old"));
        assert_eq!(flow.next(Wish::Run, false), Step::SendParts(id("old")));
    }

    #[test]
    fn an_unreachable_server_is_waited_for_then_the_same_step_tried_again() {
        let mut flow = UploadFlow::new(None);
        assert_eq!(flow.next(Wish::Run, false), Step::Create);
        flow.failed(Failure::Unreachable);
        assert_eq!(flow.next(Wish::Run, false), Step::RetryLater);
        assert_eq!(flow.next(Wish::Run, false), Step::Create);
        flow.started(id("u1"));
        flow.failed(Failure::Unreachable);
        assert_eq!(flow.next(Wish::Run, false), Step::RetryLater);
        assert_eq!(flow.next(Wish::Run, false), Step::SendParts(id("u1")));
    }

    #[test]
    fn a_pause_waits_without_retrying_and_a_resume_goes_on_where_it_was() {
        let mut flow = UploadFlow::new(None);
        flow.next(Wish::Run, false);
        flow.started(id("u1"));
        assert_eq!(flow.next(Wish::Run, false), Step::SendParts(id("u1")));
        // Pausing aborts the parts in flight: that failure is no reason to retry.
        flow.failed(Failure::Stopped);
        assert_eq!(flow.next(Wish::Pause, false), Step::WaitForResume);
        assert_eq!(flow.next(Wish::Pause, false), Step::WaitForResume);
        assert_eq!(flow.next(Wish::Run, false), Step::SendParts(id("u1")));
    }

    #[test]
    fn a_cancel_aborts_what_was_started_forgets_it_and_ends() {
        let mut flow = UploadFlow::new(None);
        flow.next(Wish::Run, false);
        flow.started(id("u1"));
        flow.failed(Failure::Stopped);
        assert_eq!(flow.next(Wish::Cancel, false), Step::Abort(Some(id("u1"))));
        assert_eq!(flow.next(Wish::Cancel, false), Step::Forget);
        assert_eq!(
            flow.next(Wish::Cancel, false),
            Step::Finished(Outcome::Cancelled)
        );

        // Cancelled while the server could not be reached: the remembered upload is the one
        // to delete.
        let mut flow = UploadFlow::new(Some(remembered("old")));
        flow.next(Wish::Run, false);
        flow.failed(Failure::Unreachable);
        assert_eq!(flow.next(Wish::Cancel, false), Step::RetryLater);
        assert_eq!(flow.next(Wish::Cancel, false), Step::Abort(Some(id("old"))));

        let mut flow = UploadFlow::new(None);
        assert_eq!(flow.next(Wish::Cancel, false), Step::Abort(None));
    }

    #[test]
    fn a_refusal_or_a_lost_upload_ends_it_with_a_sentence() {
        let mut flow = UploadFlow::new(None);
        flow.next(Wish::Run, false);
        flow.failed(Failure::Refused("Too big.".into()));
        assert_eq!(
            flow.next(Wish::Run, false),
            Step::Finished(Outcome::Failed("Too big.".into()))
        );

        let mut flow = UploadFlow::new(None);
        flow.next(Wish::Run, false);
        flow.started(id("u1"));
        flow.failed(Failure::Lost);
        assert_eq!(flow.next(Wish::Run, false), Step::Forget);
        assert_eq!(
            flow.next(Wish::Run, false),
            Step::Finished(Outcome::Failed(LOST.into()))
        );
    }
}
