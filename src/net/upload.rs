//! Runs one multipart upload: create it, or continue a remembered one from the parts the server
//! lists; send a few parts at a time to their signed URLs with byte progress; retry after a
//! network failure; pause/resume/cancel; complete; then create the job. What to do next is
//! decided by `crate::upload_flow`, which parts remain and how many bytes are sent are kept by
//! `crate::multipart`; this file only performs requests and waits.

use crate::backoff::Backoff;
use crate::config::Endpoints;
use crate::connection::ConnectionState;
use crate::multipart::{self, PARALLEL_PARTS, PartAnswer, Parts, Remembered, Throughput};
use crate::net::multipart as api;
use crate::net::upload_control::UploadControl;
use crate::net::xhr::{Request, XhrError};
use crate::net::{http, now_ms, random, sleep_unless_woken, storage};
use crate::store::{Place, Store, UploadPhase, UploadView};
use crate::upload_flow::{Failure, Outcome, Step, UploadFlow, Wish};
use futures::channel::oneshot;
use leptos::prelude::*;
use std::cell::{Cell, RefCell};
use std::pin::Pin;
use std::rc::Rc;
use std::task::Poll;
use vidpush_protocol::UploadId;
use vidpush_protocol::multipart::part_size_for;
use web_sys::File;

/// One upload while it runs.
struct Upload {
    /// The page's state, to tell the socket when the server answers again.
    store: Store,
    /// Where the API is, and the token.
    endpoints: Endpoints,
    /// What is sent, part by part.
    file: File,
    /// The file's size in bytes.
    size: u64,
    /// Where the upload is remembered for a reload (a [`multipart::fingerprint`]).
    storage_key: String,
    /// What the upload card shows.
    view: RwSignal<UploadView>,
    /// The person's pause, resume and cancel.
    control: Rc<UploadControl>,
    /// The file's parts and where each stands; shared with the progress callbacks.
    parts: Rc<RefCell<Parts>>,
    /// Shared with the progress callbacks.
    speed: Rc<RefCell<Throughput>>,
    /// Reset by whichever part goes through, so the next failure waits briefly again.
    backoff: Cell<Backoff>,
}

impl Upload {
    /// Continues the remembered upload; its id, with the parts the server lists as stored.
    async fn resume(&self, remembered: &Remembered) -> Result<UploadId, Failure> {
        let listed = api::list(
            &self.endpoints,
            &self.control.in_flight,
            &remembered.upload_id,
        )
        .await?;
        *self.parts.borrow_mut() = Parts::resumed(self.size, remembered.part_size, &listed);
        Ok(remembered.upload_id.clone())
    }

    /// Creates a new upload and remembers it for a reload.
    async fn create(&self) -> Result<UploadId, Failure> {
        let created = api::create(
            &self.endpoints,
            &self.control.in_flight,
            self.file.name(),
            self.file.type_(),
            self.size,
        )
        .await?;
        *self.parts.borrow_mut() = Parts::new(self.size, created.part_size);
        let remembered = Remembered {
            upload_id: created.upload_id,
            part_size: created.part_size,
        };
        storage::set(&self.storage_key, &remembered.to_text());
        Ok(remembered.upload_id)
    }

    /// Sends every part not stored yet, [`PARALLEL_PARTS`] at a time, until all are stored, the
    /// person pauses or cancels, or one fails (then the others finish the part they send).
    async fn send_parts(&self, id: &UploadId) -> Result<(), Failure> {
        let failure = RefCell::new(None);
        together(
            (0..PARALLEL_PARTS)
                .map(|_| self.lane(id, &failure))
                .collect(),
        )
        .await;
        failure.into_inner().map_or(Ok(()), Err)
    }

    /// One of the parallel senders: part after part, while nothing failed.
    async fn lane(&self, id: &UploadId, failure: &RefCell<Option<Failure>>) {
        while self.control.wish() == Wish::Run && failure.borrow().is_none() {
            let Some(number) = self.parts.borrow_mut().start_next() else {
                return;
            };
            match self.send_part(id, number).await {
                Ok(etag) => {
                    self.parts.borrow_mut().stored(number, etag);
                    self.backoff.set(Backoff::default());
                    self.server_answered();
                }
                Err(failed) => {
                    self.parts.borrow_mut().unsent(number);
                    show_progress(&self.parts, &self.speed, self.view, self.size);
                    if failed != Failure::Stopped {
                        failure.borrow_mut().get_or_insert(failed);
                    }
                    return;
                }
            }
        }
    }

    /// Signs part `number` and `PUT`s its bytes; its `ETag`.
    async fn send_part(&self, id: &UploadId, number: u32) -> Result<String, Failure> {
        let range = self.parts.borrow().range(number).unwrap_or_default();
        let blob = self
            .file
            .slice_with_f64_and_f64(range.start as f64, range.end as f64)
            .map_err(|_| {
                Failure::Refused(
                    "The file could not be read any more. Choose it again to continue.".into(),
                )
            })?;
        let mut signed_again = false;
        loop {
            let url = api::sign(&self.endpoints, &self.control.in_flight, id, number).await?;
            if self.control.wish() != Wish::Run {
                return Err(Failure::Stopped);
            }
            // No Authorization header: the URL's signature is the authorisation, as with S3.
            let request = Request::new("PUT", &url).abortable(&self.control.in_flight);
            let (parts, speed, view, size) =
                (self.parts.clone(), self.speed.clone(), self.view, self.size);
            let on_progress = Box::new(move |loaded: f64| {
                parts.borrow_mut().progress(number, loaded as u64);
                show_progress(&parts, &speed, view, size);
            });
            let answer = match request.send(Some(&blob), Some(on_progress)).await {
                Ok(answer) => answer,
                Err(XhrError::Aborted) => return Err(Failure::Stopped),
                Err(XhrError::Network) => return Err(Failure::Unreachable),
            };
            return Err(
                match multipart::part_answer(answer.status, answer.header("ETag").as_deref()) {
                    PartAnswer::Stored(etag) => return Ok(etag),
                    // The URL expired while the part waited (a long pause, a slow link).
                    PartAnswer::SignAgain if !signed_again => {
                        signed_again = true;
                        continue;
                    }
                    PartAnswer::SignAgain | PartAnswer::Refused => Failure::Refused(
                        answer.error_message("The server refused part of the upload"),
                    ),
                    PartAnswer::TryLater => Failure::Unreachable,
                    PartAnswer::Lost => Failure::Lost,
                    PartAnswer::NoEtag => Failure::Refused(
                        "The server stored a part but did not show its ETag to this page, so the upload cannot be finished. The server must expose the ETag header to this page's origin (CORS).".into(),
                    ),
                },
            );
        }
    }

    /// Waits `delay`, or less when the person pauses, resumes or cancels meanwhile.
    async fn wait(&self, delay: std::time::Duration) {
        let (tx, rx) = oneshot::channel();
        *self.control.wake.borrow_mut() = Some(tx);
        sleep_unless_woken(delay, rx).await;
        self.control.wake.borrow_mut().take();
    }

    /// Shows when the next attempt starts and waits for it.
    async fn retry_later(&self) {
        let mut backoff = self.backoff.get();
        let delay = backoff.next_delay(random());
        self.backoff.set(backoff);
        self.set_phase(UploadPhase::Retrying {
            retry_at_ms: now_ms() + delay.as_millis() as f64,
        });
        self.wait(delay).await;
        self.speed.borrow_mut().restart();
    }

    /// The server answered: a socket waiting out its backoff can stop waiting, so the pill
    /// does not say "cannot be reached" while this upload goes through.
    fn server_answered(&self) {
        if self
            .store
            .connection
            .with_untracked(ConnectionState::is_reconnecting)
        {
            self.store.retry_connection_now();
        }
    }

    fn set_phase(&self, phase: UploadPhase) {
        self.view.update(|v| v.phase = phase);
    }

    /// Does what the upload's [`UploadFlow`] says until it ends: every step's I/O is here,
    /// every decision there.
    async fn send_all(&self) -> Outcome {
        // An upload remembered from before a reload is continued when the server still has it.
        let remembered = storage::get(&self.storage_key)
            .as_deref()
            .and_then(Remembered::from_text);
        let mut flow = UploadFlow::new(remembered);
        loop {
            let all_stored = self.parts.borrow().all_stored();
            match flow.next(self.control.wish(), all_stored) {
                Step::Forget => storage::remove(&self.storage_key),
                Step::Abort(started) => {
                    if let Some(id) = started {
                        api::abort(&self.endpoints, &self.control.in_flight, &id).await;
                    }
                }
                Step::WaitForResume => {
                    self.set_phase(UploadPhase::Paused);
                    let (tx, rx) = oneshot::channel();
                    *self.control.wake.borrow_mut() = Some(tx);
                    let _ = rx.await;
                    self.speed.borrow_mut().restart();
                }
                Step::RetryLater => self.retry_later().await,
                Step::Resume(remembered) => {
                    self.set_phase(UploadPhase::Starting);
                    let resumed = self.resume(&remembered).await;
                    self.started(&mut flow, resumed);
                }
                Step::Create => {
                    self.set_phase(UploadPhase::Starting);
                    let created = self.create().await;
                    self.started(&mut flow, created);
                }
                Step::SendParts(id) => {
                    self.set_phase(UploadPhase::Sending);
                    // All stored, or the person paused or cancelled: the flow says which next.
                    if let Err(failure) = self.send_parts(&id).await {
                        flow.failed(failure);
                    }
                }
                Step::Complete(id) => {
                    self.set_phase(UploadPhase::StartingJob);
                    let parts = self.parts.borrow().completion().unwrap_or_default();
                    match api::complete(&self.endpoints, &self.control.in_flight, &id, parts).await
                    {
                        Ok(()) => flow.completed(),
                        Err(failure) => flow.failed(failure),
                    }
                }
                Step::Finished(outcome) => return outcome,
            }
        }
    }

    /// Tells the flow how starting went; a started upload shows its stored parts at once.
    fn started(&self, flow: &mut UploadFlow, started: Result<UploadId, Failure>) {
        match started {
            Ok(id) => {
                flow.started(id);
                self.backoff.set(Backoff::default());
                self.server_answered();
                show_progress(&self.parts, &self.speed, self.view, self.size);
            }
            Err(failure) => flow.failed(failure),
        }
    }
}

/// Runs `futures` together until every one is done. futures' `join_all` does the same, but
/// brings its `FuturesOrdered` machinery into the wasm for what is never more than a few.
async fn together<F: Future<Output = ()>>(futures: Vec<F>) {
    let mut running: Vec<Option<Pin<Box<F>>>> =
        futures.into_iter().map(|f| Some(Box::pin(f))).collect();
    std::future::poll_fn(|cx| {
        for slot in &mut running {
            if slot
                .as_mut()
                .is_some_and(|f| f.as_mut().poll(cx).is_ready())
            {
                *slot = None;
            }
        }
        if running.iter().all(Option::is_none) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
}

/// Shows the bytes sent across the stored parts and the parts in flight, with rate and time
/// left.
fn show_progress(
    parts: &RefCell<Parts>,
    speed: &RefCell<Throughput>,
    view: RwSignal<UploadView>,
    size: u64,
) {
    let sent = parts.borrow().sent_bytes();
    let mut speed = speed.borrow_mut();
    speed.sample(now_ms(), sent);
    let (rate, left) = (speed.rate(), speed.seconds_left(size.saturating_sub(sent)));
    view.update(|v| {
        v.sent = sent;
        v.rate = rate;
        v.seconds_left = left;
    });
}

/// Uploads `file`, then starts its job with the hard-cut `sensitivity` and hands it to the
/// store. `view` mirrors progress.
pub async fn run(
    store: Store,
    key: u64,
    file: File,
    view: RwSignal<UploadView>,
    control: Rc<UploadControl>,
    preview: String,
    sensitivity: Option<f64>,
) {
    let endpoints = store.endpoints.get_untracked();
    let size = file.size() as u64;
    let upload = Upload {
        store,
        endpoints,
        storage_key: multipart::fingerprint(&file.name(), size, file.last_modified()),
        size,
        file,
        view,
        control,
        parts: Rc::new(RefCell::new(Parts::new(size, part_size_for(size)))),
        speed: Rc::default(),
        backoff: Cell::default(),
    };
    match upload.send_all().await {
        Outcome::Completed(upload_id) => {
            upload.set_phase(UploadPhase::StartingJob);
            match http::create_job(&upload.endpoints, upload_id, sensitivity).await {
                Ok(job_id) => {
                    storage::remove(&upload.storage_key);
                    // The job's card takes the upload card's place.
                    let place = store
                        .uploads
                        .with_untracked(|u| u.iter().find(|e| e.key == key).map(|e| e.place))
                        .unwrap_or(key);
                    store.uploads.update(|u| u.retain(|e| e.key != key));
                    store.follow(
                        job_id,
                        upload.file.name(),
                        Some(preview),
                        Place::OfUpload(place),
                    );
                }
                Err(message) => upload.set_phase(UploadPhase::Failed(message)),
            }
        }
        Outcome::Cancelled => {
            store.uploads.update(|u| u.retain(|e| e.key != key));
            let _ = web_sys::Url::revoke_object_url(&preview);
            store.announce(format!("Upload of {} cancelled", upload.file.name()));
        }
        Outcome::Failed(message) => {
            // The bar shows what the server has, not what the browser sent of refused parts.
            let stored = upload.parts.borrow().stored_bytes();
            upload.view.update(|v| {
                v.sent = stored;
                v.rate = None;
                v.seconds_left = None;
                v.phase = UploadPhase::Failed(message);
            });
        }
    }
}

/// Forgets remembered uploads the server no longer has (expired, aborted, used for a job), and
/// ones this page cannot continue (a tus upload an older page started), so the drop zone does
/// not offer to continue them. Those it still has, or cannot say about now, are kept.
pub async fn forget_lost(store: Store) {
    let endpoints = store.endpoints.get_untracked();
    // Nothing aborts these: a person cannot stop the check.
    let in_flight = Rc::default();
    let mut forgot = false;
    for stopped in storage::unfinished_uploads() {
        let lost = match storage::get(&stopped.key)
            .as_deref()
            .and_then(Remembered::from_text)
        {
            Some(remembered) => {
                api::list(&endpoints, &in_flight, &remembered.upload_id).await == Err(Failure::Lost)
            }
            None => true,
        };
        if lost {
            storage::remove(&stopped.key);
            forgot = true;
        }
    }
    if forgot {
        store.remembered_uploads.notify();
    }
}
