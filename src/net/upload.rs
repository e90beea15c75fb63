//! Runs one tus upload: create or resume, `PATCH` chunk after chunk with byte progress, retry
//! from the server's offset after a network failure, pause/resume/cancel, then create the job.
//! Offsets and speed are kept by `crate::tus`; this file only performs requests.

use crate::backoff::Backoff;
use crate::connection::ConnectionState;
use crate::net::xhr::{Answer, Request, XhrError};
use crate::net::{http, now_ms, random, sleep_unless_woken, storage};
use crate::store::{Store, UploadPhase, UploadView};
use crate::tus::{self, Resume, Throughput};
use futures::channel::oneshot;
use leptos::prelude::*;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use vidpush_protocol::limits::{TUS_VERSION, UPLOAD_CHUNK_BYTES};
use web_sys::{File, XmlHttpRequest};

/// What the person asked the upload to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wish {
    Run,
    Pause,
    Cancel,
}

/// The buttons' side of a running upload.
#[derive(Default)]
pub struct UploadControl {
    /// The current wish.
    wish: Cell<Option<Wish>>,
    /// The request in flight, aborted on pause and cancel.
    current: RefCell<Option<XmlHttpRequest>>,
    /// Wakes a paused upload.
    wake: RefCell<Option<oneshot::Sender<()>>>,
}

impl UploadControl {
    fn wish(&self) -> Wish {
        self.wish.get().unwrap_or(Wish::Run)
    }

    fn interrupt(&self, wish: Wish) {
        self.wish.set(Some(wish));
        if let Some(xhr) = self.current.borrow_mut().take() {
            let _ = xhr.abort();
        }
        if let Some(wake) = self.wake.borrow_mut().take() {
            let _ = wake.send(());
        }
    }

    /// Stops sending; the confirmed offset is kept on the server.
    pub fn pause(&self) {
        self.interrupt(Wish::Pause);
    }

    /// Continues from the server's offset.
    pub fn resume(&self) {
        self.interrupt(Wish::Run);
    }

    /// Stops and deletes the upload on the server.
    pub fn cancel(&self) {
        self.interrupt(Wish::Cancel);
    }
}

/// `method url` with the tus version header and, when configured, the bearer token.
fn tus_request(method: &str, url: &str, bearer: Option<&str>) -> Request {
    let request = Request::new(method, url).header("Tus-Resumable", TUS_VERSION);
    match bearer {
        Some(bearer) => request.header("Authorization", bearer),
        None => request,
    }
}

struct Upload {
    /// The page's state, to tell the socket when the server answers again.
    store: Store,
    file: File,
    size: u64,
    storage_key: String,
    view: RwSignal<UploadView>,
    control: Rc<UploadControl>,
    auth: Option<String>,
}

impl Upload {
    /// A tus request, remembered as the one in flight so pause and cancel can abort it.
    fn request(&self, method: &str, url: &str) -> Request {
        let request = tus_request(method, url, self.auth.as_deref());
        *self.control.current.borrow_mut() = Some(request.handle());
        request
    }

    /// `HEAD`: where the server stands.
    async fn head(&self, url: &str) -> Result<Resume, XhrError> {
        let answer = self.request("HEAD", url).send(None, None).await?;
        Ok(tus::resume_from(
            answer.status,
            tus::parse_offset(answer.header("Upload-Offset").as_deref()),
            tus::parse_offset(answer.header("Upload-Length").as_deref()),
            self.size,
        ))
    }

    /// `POST`: a new upload; its absolute URL, or `Ok(None)` when the server could not be
    /// reached or had a passing failure (5xx), so asking again later may work.
    async fn create(&self, api: &crate::config::Endpoints) -> Result<Option<String>, String> {
        let metadata = tus::metadata_header(&self.file.name(), &self.file.type_());
        let Ok(answer) = self
            .request("POST", &api.api_url("/api/uploads"))
            .header("Upload-Length", &self.size.to_string())
            .header("Upload-Metadata", &metadata)
            .send(None, None)
            .await
        else {
            return Ok(None);
        };
        match (answer.status, answer.header("Location")) {
            (201, Some(location)) => Ok(Some(crate::config::resolve_url(&api.api, &location))),
            (status, _) if status >= 500 => Ok(None),
            _ => Err(answer.error_message("The server refused the upload")),
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
    async fn retry_later(&self, backoff: &mut Backoff) {
        let delay = backoff.next_delay(random());
        self.set_phase(UploadPhase::Retrying {
            retry_at_ms: now_ms() + delay.as_millis() as f64,
        });
        self.wait(delay).await;
    }

    /// `PATCH` from `offset`; the server's new offset.
    async fn patch(
        &self,
        url: &str,
        offset: u64,
        speed: &Rc<RefCell<Throughput>>,
    ) -> Result<Answer, XhrError> {
        let range =
            tus::next_chunk(offset, self.size, UPLOAD_CHUNK_BYTES).unwrap_or(offset..offset);
        let blob = self
            .file
            .slice_with_f64_and_f64(range.start as f64, range.end as f64)
            .map_err(|_| XhrError::Network)?;
        let (view, speed2, size) = (self.view, speed.clone(), self.size);
        let on_progress = Box::new(move |loaded: f64| {
            let sent = offset + loaded as u64;
            let mut speed = speed2.borrow_mut();
            speed.sample(now_ms(), sent);
            let (rate, left) = (speed.rate(), speed.seconds_left(size.saturating_sub(sent)));
            view.update(|v| {
                v.sent = sent;
                v.rate = rate;
                v.seconds_left = left;
                v.phase = UploadPhase::Sending;
            });
        });
        self.request("PATCH", url)
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", &offset.to_string())
            .send(Some(&blob), Some(on_progress))
            .await
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
}

/// Uploads `file`, then starts its job and hands it to the store. `view` mirrors progress.
pub async fn run(
    store: Store,
    key: u64,
    file: File,
    view: RwSignal<UploadView>,
    control: Rc<UploadControl>,
    preview: String,
) {
    let endpoints = store.endpoints.get_untracked();
    let size = file.size() as u64;
    let upload = Upload {
        store,
        storage_key: tus::fingerprint(&file.name(), size, file.last_modified()),
        size,
        file,
        view,
        control,
        auth: endpoints.bearer(),
    };
    match send_all(&upload, &endpoints).await {
        Ok(Some(url)) => {
            upload.set_phase(UploadPhase::StartingJob);
            let Some(upload_id) = tus::upload_id(&url) else {
                upload.set_phase(UploadPhase::Failed(
                    "The server gave the upload an unusable address.".into(),
                ));
                return;
            };
            match http::create_job(&endpoints, upload_id).await {
                Ok(job_id) => {
                    storage::remove(&upload.storage_key);
                    store.uploads.update(|u| u.retain(|e| e.key != key));
                    store.follow(job_id, upload.file.name(), Some(preview), Some(key));
                }
                Err(message) => upload.set_phase(UploadPhase::Failed(message)),
            }
        }
        Ok(None) => {
            store.uploads.update(|u| u.retain(|e| e.key != key));
            let _ = web_sys::Url::revoke_object_url(&preview);
            store.announce(format!("Upload of {} cancelled", upload.file.name()));
        }
        Err(message) => upload.set_phase(UploadPhase::Failed(message)),
    }
}

/// Sends every byte. `Ok(Some(url))` when done, `Ok(None)` when cancelled.
async fn send_all(
    upload: &Upload,
    endpoints: &crate::config::Endpoints,
) -> Result<Option<String>, String> {
    // A URL remembered from before a reload is used when the server still has the upload.
    let mut url = storage::get(&upload.storage_key);
    let mut offset = 0;
    if let Some(known) = &url {
        match upload.head(known).await {
            Ok(Resume::From(o)) => offset = o,
            _ => {
                storage::remove(&upload.storage_key);
                url = None;
            }
        }
    }
    let speed = Rc::new(RefCell::new(Throughput::default()));
    let mut backoff = Backoff::default();
    loop {
        match upload.control.wish() {
            Wish::Cancel => {
                if let Some(url) = &url {
                    let _ = upload.request("DELETE", url).send(None, None).await;
                }
                storage::remove(&upload.storage_key);
                return Ok(None);
            }
            Wish::Pause => {
                upload.set_phase(UploadPhase::Paused);
                let (tx, rx) = oneshot::channel();
                *upload.control.wake.borrow_mut() = Some(tx);
                let _ = rx.await;
                speed.borrow_mut().restart();
                if upload.control.wish() == Wish::Run {
                    upload.set_phase(UploadPhase::Starting);
                    if let Some(url) = &url
                        && let Ok(Resume::From(o)) = upload.head(url).await
                    {
                        offset = o;
                    }
                }
                continue;
            }
            Wish::Run => {}
        }
        // Not created yet: the server was unreachable, or this is the first attempt.
        let Some(url) = url.clone() else {
            upload.set_phase(UploadPhase::Starting);
            match upload.create(endpoints).await? {
                Some(created) => {
                    storage::set(&upload.storage_key, &created);
                    url = Some(created);
                    backoff.reset();
                    upload.server_answered();
                }
                None => upload.retry_later(&mut backoff).await,
            }
            continue;
        };
        if offset >= upload.size {
            return Ok(Some(url));
        }
        upload.view.update(|v| v.sent = offset);
        match upload.patch(&url, offset, &speed).await {
            Ok(answer) if answer.status == 204 || answer.status == 200 => {
                backoff.reset();
                upload.server_answered();
                offset = tus::parse_offset(answer.header("Upload-Offset").as_deref())
                    .ok_or("The server's answer had no Upload-Offset.")?;
            }
            // 409 (offset moved on) and 423 (a dropped request is still writing) mean: ask with
            // HEAD and go on from the server's offset, as tus clients do.
            Ok(answer) if answer.status < 500 && !matches!(answer.status, 409 | 423) => {
                // The progress events counted the refused chunk as sent; it was not kept.
                upload.view.update(|v| {
                    v.sent = offset;
                    v.rate = None;
                    v.seconds_left = None;
                });
                return Err(answer.error_message("The server refused part of the upload"));
            }
            Err(XhrError::Aborted) => {}
            Ok(_) | Err(XhrError::Network) => {
                upload.retry_later(&mut backoff).await;
                speed.borrow_mut().restart();
                match upload.head(&url).await {
                    Ok(Resume::From(o)) => offset = o,
                    Ok(Resume::StartOver) => {
                        storage::remove(&upload.storage_key);
                        return Err(
                            "The server lost this upload. Drop the file again to restart it."
                                .into(),
                        );
                    }
                    Err(_) => {}
                }
            }
        }
    }
}

/// Ends the wait of every upload waiting to retry, so they go on as soon as the server is
/// known to be back (the socket is live again) rather than when their own backoff says.
pub fn retry_waiting_now() {
    CONTROLS.with(|controls| {
        for (_, control) in controls.borrow().iter() {
            // A paused upload woken this way sees it is still paused and waits again.
            if let Some(wake) = control.wake.borrow_mut().take() {
                let _ = wake.send(());
            }
        }
    });
}

/// Forgets remembered uploads the server no longer has (expired or deleted), so the drop zone
/// does not offer to continue them. Those it still has, or cannot say about now, are kept.
pub async fn forget_lost(store: Store) {
    let endpoints = store.endpoints.get_untracked();
    let mut forgot = false;
    for remembered in storage::unfinished_uploads() {
        let Some(url) = storage::get(&remembered.key) else {
            continue;
        };
        let request = tus_request("HEAD", &url, endpoints.bearer().as_deref());
        if let Ok(answer) = request.send(None, None).await
            && matches!(answer.status, 404 | 410)
        {
            storage::remove(&remembered.key);
            forgot = true;
        }
    }
    if forgot {
        store.remembered_uploads.notify();
    }
}

thread_local! {
    /// The controls of running uploads, by upload key, for the cards' buttons. A few at a time,
    /// so a list: a `HashMap` would add its hasher to the wasm for nothing.
    static CONTROLS: RefCell<Vec<(u64, Rc<UploadControl>)>> = RefCell::default();
}

/// Makes `control` reachable by the card of upload `key`.
pub fn register(key: u64, control: Rc<UploadControl>) {
    CONTROLS.with(|c| c.borrow_mut().push((key, control)));
}

/// Forgets the control of a finished upload.
pub fn unregister(key: u64) {
    CONTROLS.with(|c| c.borrow_mut().retain(|(k, _)| *k != key));
}

/// The control of upload `key`, while it runs.
pub fn control(key: u64) -> Option<Rc<UploadControl>> {
    CONTROLS.with(|c| {
        c.borrow()
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, control)| control.clone())
    })
}
