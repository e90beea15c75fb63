//! The page's state, shared by all components through context: the connection, the uploads in
//! progress, the followed jobs and the live-region text. Signals hold plain values from the
//! logic modules; the methods here are where pushed messages meet them.

use crate::config::Endpoints;
use crate::connection::ConnectionState;
use crate::job::{Applied, JobView};
use futures::channel::mpsc::{UnboundedReceiver, UnboundedSender, unbounded};
use futures::channel::oneshot;
use leptos::prelude::*;
use vidpush_protocol::{ClientAction, JobEvent, JobId, Reply, ServerMessage};

/// Where a followed job's card goes on the board.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// The place of the upload with this key: the job's card takes the upload card's place.
    OfUpload(u64),
    /// Above every card: the newest.
    Newest,
    /// Below every card: an older page of the server's list.
    Oldest,
}

/// Places below this are for older pages of the job list, counting down; keys and newer places
/// count up from it, so an older page always lands below everything already on the board.
const FIRST_KEY: u64 = 1 << 32;

/// A followed job.
#[derive(Clone, Debug)]
pub struct JobEntry {
    /// The job.
    pub id: JobId,
    /// Unique per page, the list key.
    pub key: u64,
    /// Where the card stands on the board, newest first: the key of the upload it came from, so
    /// the job's card takes the upload card's place instead of jumping past other uploads.
    pub place: u64,
    /// What is known about it.
    pub view: RwSignal<JobView>,
    /// The `<video>` preview's source: the local file's object URL in the page that uploaded
    /// it, else the server's copy (played with range requests).
    pub preview: Option<String>,
    /// Owns `view`. Entries are made in tasks with no reactive owner (a finished upload, the
    /// job list), so each gets its own: when the last copy of the entry goes (the card is
    /// removed), its signals are disposed with it.
    _owner: Owner,
}

impl JobEntry {
    /// A job's entry with a view of its own, before any event arrived.
    pub fn new(
        id: JobId,
        key: u64,
        place: u64,
        file_name: String,
        preview: Option<String>,
    ) -> Self {
        let owner = Owner::new();
        let view = owner.with(|| RwSignal::new(JobView::new(id.clone(), file_name)));
        Self {
            id,
            key,
            place,
            view,
            preview,
            _owner: owner,
        }
    }

    /// Whether this page uploaded the job's file (its preview plays the local copy): the jobs
    /// whose end is worth a notification.
    fn started_here(&self) -> bool {
        self.preview
            .as_deref()
            .is_some_and(|u| u.starts_with("blob:"))
    }

    /// Lets go of what the entry holds outside the reactive graph: the object URL of the local
    /// file its preview plays.
    fn release(&self) {
        if let Some(url) = self.preview.as_deref().filter(|u| u.starts_with("blob:")) {
            let _ = web_sys::Url::revoke_object_url(url);
        }
    }
}

/// Where one upload stands.
#[derive(Clone, Debug, PartialEq)]
pub enum UploadPhase {
    /// Asking the server where to start (create the upload, or list the parts it has).
    Starting,
    /// Sending bytes.
    Sending,
    /// Stopped by the person; nothing is sent.
    Paused,
    /// The network failed; the next attempt starts at `retry_at_ms` (`Date.now()` time).
    Retrying {
        /// When the next attempt starts.
        retry_at_ms: f64,
    },
    /// All parts are in; the upload is being completed and its job created.
    StartingJob,
    /// Stopped for good; the sentence says why.
    Failed(String),
}

impl UploadPhase {
    /// The phase's name for `data-phase`: `starting`, `sending`, `paused`, `retrying`,
    /// `startingjob` or `failed`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Starting => "starting",
            Self::Sending => "sending",
            Self::Paused => "paused",
            Self::Retrying { .. } => "retrying",
            Self::StartingJob => "startingjob",
            Self::Failed(_) => "failed",
        }
    }
}

/// One upload as shown on its card.
#[derive(Clone, Debug, PartialEq)]
pub struct UploadView {
    /// The file name.
    pub file_name: String,
    /// The file size in bytes.
    pub size: u64,
    /// Bytes sent so far: the stored parts and what the browser sent of the parts in flight.
    pub sent: u64,
    /// Smoothed bytes per second.
    pub rate: Option<f64>,
    /// Seconds left at that rate.
    pub seconds_left: Option<f64>,
    /// What the upload is doing.
    pub phase: UploadPhase,
}

/// An upload card's entry.
#[derive(Clone, Debug)]
pub struct UploadEntry {
    /// Unique per page, the list key.
    pub key: u64,
    /// Where the card stands on the board (higher is nearer the top): files picked together
    /// stand in the order they were picked, above everything older.
    pub place: u64,
    /// Its state.
    pub view: RwSignal<UploadView>,
    /// Owns `view` (uploads start in tasks with no reactive owner): when the last copy of the
    /// entry goes, its signal is disposed with it.
    _owner: Owner,
}

impl UploadEntry {
    /// An upload's entry with a view of its own.
    pub fn new(key: u64, place: u64, view: UploadView) -> Self {
        let owner = Owner::new();
        let view = owner.with(|| RwSignal::new(view));
        Self {
            key,
            place,
            view,
            _owner: owner,
        }
    }
}

/// A file the page refused before uploading.
#[derive(Clone, Debug, PartialEq)]
pub struct Refusal {
    /// Unique per page, the list key.
    pub key: u64,
    /// Why, as a sentence.
    pub message: String,
}

/// The messages the socket task sends, in order.
pub type Outbox = UnboundedReceiver<ClientAction>;

/// All page state. `Copy`, so closures take it freely.
#[derive(Clone, Copy)]
pub struct Store {
    /// The socket's state, for the header pill.
    pub connection: RwSignal<ConnectionState>,
    /// Where the API and gateway are.
    pub endpoints: RwSignal<Endpoints>,
    /// Uploads not yet turned into jobs.
    pub uploads: RwSignal<Vec<UploadEntry>>,
    /// Followed jobs, newest first.
    pub jobs: RwSignal<Vec<JobEntry>>,
    /// Files refused by the checks.
    pub refusals: RwSignal<Vec<Refusal>>,
    /// The largest upload the server takes, from `/api/health` (the protocol's default until
    /// the server answers).
    pub max_upload_bytes: RwSignal<u64>,
    /// The server's cursor to this token's older jobs, when there are more than the board
    /// shows; `None` once every job is listed (or the list could not be read).
    pub older_jobs: RwSignal<Option<String>>,
    /// Notified when remembered unfinished uploads (kept in `localStorage`) are forgotten.
    pub remembered_uploads: Trigger,
    /// Sentences for the ARIA live region not yet added to it, oldest first; the region
    /// takes them out as it adds them.
    pub announcements: RwSignal<Vec<String>>,
    /// Queue to the socket task; actions wait there while disconnected.
    outbox: StoredValue<UnboundedSender<ClientAction>>,
    /// Source of `key`s (and of the places of new cards).
    next_key: StoredValue<u64>,
    /// Source of the places of cards from older pages of the job list, counting down.
    next_older_place: StoredValue<u64>,
    /// Ends the socket task's wait before its next connection attempt.
    retry_now: StoredValue<Option<oneshot::Sender<()>>>,
}

impl Store {
    /// An empty store, and the receiving end of its outbox for the socket task.
    pub fn new(endpoints: Endpoints) -> (Self, Outbox) {
        let (tx, rx) = unbounded();
        let store = Self {
            connection: RwSignal::new(ConnectionState::Connecting),
            endpoints: RwSignal::new(endpoints),
            uploads: RwSignal::new(Vec::new()),
            jobs: RwSignal::new(Vec::new()),
            refusals: RwSignal::new(Vec::new()),
            max_upload_bytes: RwSignal::new(vidpush_protocol::limits::DEFAULT_MAX_UPLOAD_BYTES),
            older_jobs: RwSignal::new(None),
            remembered_uploads: Trigger::new(),
            announcements: RwSignal::new(Vec::new()),
            outbox: StoredValue::new(tx),
            next_key: StoredValue::new(FIRST_KEY),
            next_older_place: StoredValue::new(FIRST_KEY),
            retry_now: StoredValue::new(None),
        };
        (store, rx)
    }

    /// A fresh key for list items.
    pub fn key(&self) -> u64 {
        self.next_key.update_value(|k| *k += 1);
        self.next_key.get_value()
    }

    /// Has screen readers read `text` out.
    pub fn announce(&self, sentence: String) {
        self.announcements.update(|queue| queue.push(sentence));
    }

    /// Resolves when [`Store::retry_connection_now`] is called; the socket task waits on it
    /// beside its backoff timer.
    pub fn retry_requested(&self) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        self.retry_now.set_value(Some(tx));
        rx
    }

    /// Tries to connect now instead of when the backoff says: the person asked, or the browser
    /// is back online.
    pub fn retry_connection_now(&self) {
        if let Some(tx) = self.retry_now.try_update_value(Option::take).flatten() {
            let _ = tx.send(());
        }
    }

    /// Queues `action` for the socket.
    pub fn send(&self, action: ClientAction) {
        self.outbox.with_value(|tx| {
            let _ = tx.unbounded_send(action);
        });
    }

    /// Starts following a job: new from an upload (its card takes that upload's place), or
    /// one the server lists (the newest page above the board, older pages below it).
    pub fn follow(&self, id: JobId, file_name: String, preview: Option<String>, place: Place) {
        if self
            .jobs
            .with_untracked(|jobs| jobs.iter().any(|j| j.id == id))
        {
            return;
        }
        let key = self.key();
        let place = match place {
            Place::OfUpload(upload) => upload,
            Place::Newest => key,
            Place::Oldest => {
                self.next_older_place.update_value(|p| *p -= 1);
                self.next_older_place.get_value()
            }
        };
        let entry = JobEntry::new(id.clone(), key, place, file_name, preview);
        self.jobs.update(|jobs| jobs.insert(0, entry));
        self.remember_jobs();
        self.send(ClientAction::Subscribe {
            job_id: id,
            after_seq: 0,
        });
    }

    /// Stops following a job and removes its card; what the card held goes with it.
    pub fn dismiss(&self, id: &JobId) {
        self.jobs.update(|jobs| {
            jobs.retain(|j| {
                let keep = &j.id != id;
                if !keep {
                    j.release();
                }
                keep
            })
        });
        self.remember_jobs();
        self.send(ClientAction::Unsubscribe { job_id: id.clone() });
    }

    fn remember_jobs(&self) {
        self.jobs.with_untracked(|jobs| {
            crate::net::storage::save_followed_jobs(
                jobs.iter()
                    .map(|j| (&j.id, j.view.with_untracked(|v| v.file_name.clone())))
                    .collect::<Vec<_>>()
                    .iter()
                    .map(|(id, name)| (*id, name.as_str())),
            )
        });
    }

    /// What to send after (re)connecting: a subscription per unfinished job, from its last `seq`.
    pub fn resubscriptions(&self) -> Vec<ClientAction> {
        self.jobs.with_untracked(|jobs| {
            jobs.iter()
                .filter_map(|j| {
                    j.view.with_untracked(|v| {
                        (!v.is_final()).then(|| ClientAction::Subscribe {
                            job_id: v.job_id.clone(),
                            after_seq: v.last_seq,
                        })
                    })
                })
                .collect()
        })
    }

    /// Applies one message from the server. Returns an action to send when events are missing.
    pub fn receive(&self, message: ServerMessage) -> Option<ClientAction> {
        match message {
            ServerMessage::Event(event) => self.apply(&event),
            ServerMessage::Reply(Reply::Error {
                message,
                job_id: Some(job_id),
                ..
            }) => {
                if let Some(entry) = self.entry(&job_id) {
                    entry.view.update(|v| v.error = Some(message));
                }
                None
            }
            ServerMessage::Reply(Reply::Error { message, .. }) => {
                leptos::logging::warn!("the server refused an action: {message}");
                None
            }
            ServerMessage::Reply(_) => None,
        }
    }

    fn entry(&self, id: &JobId) -> Option<JobEntry> {
        self.jobs
            .with_untracked(|jobs| jobs.iter().find(|j| &j.id == id).cloned())
    }

    /// Applies a job event to its job, once. Returns a resubscription when events are missing.
    pub fn apply(&self, event: &JobEvent) -> Option<ClientAction> {
        let entry = self.entry(&event.job_id)?;
        let mut applied = Applied::Duplicate;
        entry.view.maybe_update(|view| {
            applied = view.apply(event);
            matches!(applied, Applied::New { .. })
        });
        let ended = matches!(applied, Applied::New { .. })
            && event.body.state_after().is_some_and(|s| s.is_final());
        if ended
            && entry.started_here()
            && let Some((title, body)) = entry.view.with_untracked(crate::tab_title::end_notice)
        {
            crate::net::notify::tell(&title, &body);
        }
        match applied {
            Applied::New {
                announce: Some(text),
            } => {
                self.announce(text);
                None
            }
            Applied::Gap { expected } => Some(ClientAction::Subscribe {
                job_id: event.job_id.clone(),
                after_seq: expected - 1,
            }),
            _ => None,
        }
    }
}
