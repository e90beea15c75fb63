//! The job pipeline: a bounded queue, a fixed pool of workers, cancellation, the orphan grace
//! period, and recovery after a restart. [`api`] holds the `/api/jobs` endpoints, [`analyzer`]
//! the trait the workers analyse through and its ffmpeg implementation.
//!
//! Owns when each job's objects (source, thumbnails, result: the [`JobObjects`] port) are
//! made and removed, and the life `queued → running → completed | failed | cancelled`. Every
//! state change and partial result goes through the [`Publisher`], which stores it before
//! pushing; this module never pushes by itself.

pub mod analyzer;
pub mod api;
mod stream_so_far;

use crate::background::Background;
use crate::ports::{
    JobObjects, JobQueue, JobRecord, JobStore, QueueFull, QueuePlace, StoreError, Subscriptions,
};
use crate::publisher::Publisher;
use analyzer::{AnalysisFailure, VideoAnalyzer};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use stream_so_far::StreamSoFar;
use tokio::sync::mpsc;
use vidpush_analysis::{AnalysisEvent, CancelFlag};
use vidpush_protocol::limits::PROGRESS_MIN_INTERVAL_MS;
use vidpush_protocol::{EventBody, JobId, JobState};

/// Partial results buffered between the analysis thread and the publisher: enough to absorb a
/// burst of short shots, small enough that a slow disk slows the analysis instead of growing
/// memory.
const EVENTS_IN_FLIGHT: usize = 64;

/// The job pipeline; cheap to clone.
#[derive(Clone)]
pub struct Jobs {
    inner: Arc<Inner>,
}

struct Inner {
    /// Jobs and their events.
    job_store: Arc<dyn JobStore>,
    /// Who follows each job, for the orphan grace.
    subscriptions: Arc<dyn Subscriptions>,
    publisher: Publisher,
    analyzer: Arc<dyn VideoAnalyzer>,
    /// Each job's source, thumbnails and result.
    objects: Arc<dyn JobObjects>,
    /// Jobs waiting for a worker.
    queue: Arc<dyn JobQueue>,
    /// Cancel flags of running jobs, with the reason to report once the analysis stops.
    running: Mutex<HashMap<JobId, RunningJob>>,
    /// How long a job may go unwatched before it is cancelled; `None` (the default): jobs run
    /// to their end with nobody watching.
    orphan_grace: Option<Duration>,
    /// Set by [`Jobs::shutdown`]: analyses stopped from now on are interrupted, not cancelled,
    /// and stay `running` in the store so the next start re-queues them.
    stopping: AtomicBool,
    /// Woken whenever a running analysis ends, for [`Jobs::shutdown`] and [`Jobs::delete`] to
    /// wait on.
    ended: tokio::sync::Notify,
    /// Where workers, timers and the orphan watch run; stopped by the server's shutdown.
    background: Background,
}

/// A running job's cancel flag and the reason to report once its analysis stops.
type RunningJob = (CancelFlag, Arc<Mutex<String>>);

/// Keeps a job among the running ones for as long as its worker's turn lasts, however it
/// ends (an error included): a deletion waits for the turn, so nothing it writes afterwards (a
/// partial result, the final event) lands once the job's files are gone.
struct RunningTurn<'a> {
    inner: &'a Inner,
    id: &'a JobId,
}

impl Drop for RunningTurn<'_> {
    fn drop(&mut self) {
        let mut running = self.inner.running.lock().unwrap_or_else(|p| p.into_inner());
        running.remove(self.id);
        self.inner.ended.notify_waiters();
    }
}

/// How a worker's turn with a job ended, which says whether the queue may forget it.
enum Turn {
    /// The job is over (it ran to a final state, or was no longer queued): done with it.
    Over,
    /// Shutdown interrupted it: it stays with the queue and runs again.
    Interrupted,
}

impl Jobs {
    /// Starts `workers` workers taking jobs from `queue`, and the watch that
    /// applies the orphan grace to jobs the publisher reports on `orphans`. Every task runs in
    /// `background` and ends when it stops.
    #[allow(clippy::too_many_arguments)] // one call site; each argument a distinct port or setting
    pub fn start(
        job_store: Arc<dyn JobStore>,
        subscriptions: Arc<dyn Subscriptions>,
        publisher: Publisher,
        analyzer: Arc<dyn VideoAnalyzer>,
        objects: Arc<dyn JobObjects>,
        workers: usize,
        queue: Arc<dyn JobQueue>,
        orphan_grace: Option<Duration>,
        orphans: mpsc::Receiver<JobId>,
        background: Background,
    ) -> Self {
        let jobs = Self {
            inner: Arc::new(Inner {
                job_store,
                subscriptions,
                publisher,
                analyzer,
                objects,
                queue,
                running: Mutex::default(),
                orphan_grace,
                stopping: AtomicBool::new(false),
                ended: tokio::sync::Notify::new(),
                background: background.clone(),
            }),
        };
        for _ in 0..workers.max(1) {
            let jobs = jobs.clone();
            // A job in progress finishes its step (shutdown interrupts its analysis); the
            // worker then takes nothing more.
            background.spawn(|stop| async move {
                loop {
                    let next = tokio::select! {
                        () = stop.cancelled() => break,
                        next = jobs.inner.queue.next() => next,
                    };
                    let Some(id) = next else { break };
                    let turn = jobs.run(&id).await;
                    jobs.remove_objects_if_deleted(&id).await;
                    match turn {
                        Ok(Turn::Over) => jobs.inner.queue.done(&id).await,
                        // Stays with the queue: the next start (or another worker) runs it.
                        Ok(Turn::Interrupted) => {}
                        // Not done: the queue delivers the job again (or dead-letters it).
                        Err(error) => {
                            tracing::error!(job = %id, %error, "job failed inside the server");
                        }
                    }
                }
            });
        }
        let watcher = jobs.clone();
        background.spawn_until_stopped(async move {
            let mut orphans = orphans;
            while let Some(job) = orphans.recv().await {
                watcher.orphaned(job);
            }
        });
        jobs
    }

    /// Reserves a place in the queue, or says how long to wait.
    pub fn reserve(&self) -> Result<Box<dyn QueuePlace>, QueueFull> {
        self.inner.queue.reserve()
    }

    /// Cancels a queued or running job; returns false when it was already over.
    #[tracing::instrument(skip(self), fields(job = %job))]
    pub async fn cancel(&self, job: &JobId, reason: &str) -> Result<bool, StoreError> {
        let running = self
            .inner
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(job)
            .cloned();
        if let Some((flag, why)) = running {
            *why.lock().unwrap_or_else(|p| p.into_inner()) = reason.to_owned();
            flag.cancel();
            return Ok(true);
        }
        // Not running: a queued job is cancelled here; the worker skips it when its turn comes.
        let published = self
            .inner
            .publisher
            .publish(
                job,
                EventBody::Cancelled {
                    reason: reason.to_owned(),
                },
            )
            .await?;
        Ok(published.is_some())
    }

    /// Runs a failed or cancelled job again: it takes a place in the queue, and its run pushes
    /// only what its stream does not hold yet. `Ok(false)` when the job is not failed or
    /// cancelled (any more).
    pub async fn retry(&self, job: &JobId) -> Result<Result<bool, QueueFull>, StoreError> {
        retry_ended(self.reserve(), &self.inner.publisher, job).await
    }

    /// Deletes a job with everything it made: its analysis is stopped first (and awaited, so
    /// nothing writes a thumbnail after the objects are gone), then its records, then its
    /// objects. Returns false when there was no such job.
    #[tracing::instrument(skip(self), fields(job = %job))]
    pub async fn delete(&self, job: &JobId) -> Result<bool, StoreError> {
        self.cancel(job, "deleted by request").await?;
        loop {
            // Registered before the check, so an analysis ending in between still wakes us.
            let ended = self.inner.ended.notified();
            tokio::pin!(ended);
            ended.as_mut().enable();
            if !self.is_running(job) {
                break;
            }
            ended.await;
        }
        let existed = self.inner.job_store.delete_job(job).await?;
        self.inner.objects.remove_all(job).await;
        Ok(existed)
    }

    /// After a turn: when the job was deleted while it ran (on AWS a delete does not wait for
    /// the worker), what the turn wrote after the delete removed the objects goes too.
    async fn remove_objects_if_deleted(&self, job: &JobId) {
        if let Ok(None) = self.inner.job_store.job(job).await {
            self.inner.objects.remove_all(job).await;
        }
    }

    fn is_running(&self, job: &JobId) -> bool {
        self.inner
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(job)
    }

    /// Called when a job's last subscriber is gone: when the orphan policy is on, cancels the
    /// job after the grace period unless someone subscribed again.
    pub fn orphaned(&self, job: JobId) {
        let Some(grace) = self.inner.orphan_grace else {
            return;
        };
        let jobs = self.clone();
        self.inner.background.spawn_until_stopped(async move {
            tokio::time::sleep(grace).await;
            let still_open = matches!(jobs.inner.job_store.job(&job).await, Ok(Some(JobRecord { state, .. })) if !state.is_final());
            let watched = jobs
                .inner
                .subscriptions
                .subscribers(&job)
                .await
                .map(|s| !s.is_empty())
                .unwrap_or(true);
            if still_open && !watched {
                let reason = format!(
                    "nobody was watching this job for {} s, so it was stopped",
                    grace.as_secs()
                );
                tracing::info!(%job, "cancelling unwatched job");
                if let Err(error) = jobs.cancel(&job, &reason).await {
                    tracing::error!(%job, %error, "could not cancel unwatched job");
                }
            }
        });
    }

    /// After a restart: jobs that were running run again (their stream says so with a new
    /// `job.queued`, and keeps what they pushed: see [`StreamSoFar`]), and every queued job
    /// goes back in the queue.
    pub async fn recover(&self) -> Result<usize, StoreError> {
        let store = &self.inner.job_store;
        for job in store.jobs_in(&[JobState::Running]).await? {
            tracing::info!(job = %job.id, "re-queueing a job that was running when the server stopped");
            self.inner
                .publisher
                .publish(&job.id, queued_again(&job))
                .await?;
        }
        let queued = store.jobs_in(&[JobState::Queued]).await?;
        let count = queued.len();
        let queue = self.inner.queue.clone();
        // The queue may be smaller than the backlog: feed it from a task that waits for room.
        self.inner.background.spawn_until_stopped(async move {
            for job in queued {
                if let Err(error) = queue.requeue(job.id).await {
                    tracing::error!(%error, "could not re-queue the jobs from before the restart");
                    break;
                }
            }
        });
        Ok(count)
    }

    /// Runs one job to its end. A job is run when it is queued, or running with no runner
    /// here (its worker stopped: see below).
    #[tracing::instrument(name = "job", skip(self), fields(job = %id))]
    async fn run(&self, id: &JobId) -> Result<Turn, StoreError> {
        let publisher = &self.inner.publisher;
        if self.inner.stopping.load(Ordering::SeqCst) {
            return Ok(Turn::Interrupted); // stays queued; the next start runs it
        }
        // The setting is read from the stored job, so a run after a restart keeps it.
        let sensitivity = match self.inner.job_store.job(id).await? {
            Some(job) if job.state == JobState::Queued => job.sensitivity,
            // Running, but not here: its worker stopped without finishing it (on AWS the queue
            // hands a job out again only when its holder stopped renewing it). It runs again,
            // as after a restart: a new `job.queued` says so, and what it pushed stays.
            Some(job) if job.state == JobState::Running && !self.is_running(id) => {
                tracing::info!(job = %id, "taking over a job whose worker stopped");
                if publisher.publish(id, queued_again(&job)).await?.is_none() {
                    return Ok(Turn::Over);
                }
                job.sensitivity
            }
            _ => return Ok(Turn::Over), // cancelled while it waited, or delivered twice
        };
        let cancel = CancelFlag::new();
        let reason = Arc::new(Mutex::new(String::from("cancelled by request")));
        self.inner
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.clone(), (cancel.clone(), reason.clone()));
        let _turn = RunningTurn {
            inner: &self.inner,
            id,
        };
        // What the stream holds from earlier runs: this run pushes only what is new to it, and
        // what it holds at the end is the partial result of a job that stops early.
        let stored = self.inner.job_store.events_after(id, 0).await?;
        let mut stream = StreamSoFar::from_stored(&stored);
        let started = Instant::now();
        let outcome = self.analyze(id, sensitivity, &cancel, &mut stream).await;
        let final_event = match outcome {
            Ok(Some(body)) => body,
            Ok(None) => return Ok(Turn::Over),
            Err(AnalysisFailure::Cancelled) if self.inner.stopping.load(Ordering::SeqCst) => {
                tracing::info!(job = %id, "analysis interrupted by shutdown; it runs again after the restart");
                return Ok(Turn::Interrupted);
            }
            // The thumbnails stay: the `job.shot` events already pushed and stored point to
            // them, and a page (or a later replay) still shows those shots. The source goes
            // below, as for every other end.
            Err(AnalysisFailure::Cancelled) => EventBody::Cancelled {
                reason: reason.lock().unwrap_or_else(|p| p.into_inner()).clone(),
            },
            Err(AnalysisFailure::Failed(reason)) => EventBody::Failed { reason },
        };
        if !matches!(final_event, EventBody::Completed { .. })
            && let Some(partial) = stream.partial_result(started.elapsed().as_millis() as u64)
        {
            // Stored before the page hears of the end, so its exports can fetch it at once.
            let json = serde_json::to_vec(&partial).expect("a result always serialises");
            if let Err(error) = self.inner.objects.put_result(id, json).await {
                tracing::warn!(job = %id, %error, "could not keep the shots of a job that stopped early");
            }
        }
        // The source stays, whatever the end: the page plays it after a reload, and a failed
        // or cancelled job can run again. It goes when the job is deleted.
        publisher.publish(id, final_event).await?;
        Ok(Turn::Over)
    }

    /// Runs the analysis and publishes its partial results; returns the `job.completed` body,
    /// `None` when the job was already over before it started.
    async fn analyze(
        &self,
        id: &JobId,
        sensitivity: Option<f64>,
        cancel: &CancelFlag,
        earlier: &mut StreamSoFar,
    ) -> Result<Option<EventBody>, AnalysisFailure> {
        let publisher = &self.inner.publisher;
        let internal = |error: StoreError| {
            AnalysisFailure::Failed(format!("the server could not record progress: {error}"))
        };
        if publisher
            .publish(id, EventBody::Started)
            .await
            .map_err(internal)?
            .is_none()
        {
            return Ok(None);
        }
        let objects = &self.inner.objects;
        let source = objects.source_file(id).await.map_err(|e| {
            AnalysisFailure::Failed(format!(
                "the server could not read the video it stored: {e}"
            ))
        })?;
        let (tx, mut rx) = mpsc::channel(EVENTS_IN_FLIGHT);
        let analyzer = self.inner.analyzer.clone();
        let flag = cancel.clone();
        let started = Instant::now();
        let analysis = tokio::task::spawn_blocking(move || {
            analyzer.analyze(&source, sensitivity, &flag, &mut |event| {
                // The receiver only goes away when the job is being torn down.
                let _ = tx.blocking_send(event);
            })
        });
        let mut last_progress: Option<Instant> = None;
        while let Some(event) = rx.recv().await {
            let body = match event {
                AnalysisEvent::Metadata(metadata) => EventBody::Metadata { metadata },
                AnalysisEvent::Progress {
                    stage,
                    fraction,
                    frames_done,
                } => {
                    let due = last_progress.is_none_or(|at| {
                        at.elapsed() >= Duration::from_millis(PROGRESS_MIN_INTERVAL_MS)
                    });
                    if !due {
                        continue;
                    }
                    last_progress = Some(Instant::now());
                    EventBody::Progress {
                        stage,
                        fraction,
                        frames_done,
                    }
                }
                AnalysisEvent::Shot { shot, .. } if !earlier.is_new_shot(shot.index) => continue,
                AnalysisEvent::Shot {
                    shot,
                    thumbnail_jpeg,
                } => {
                    if let Err(error) = objects.put_thumbnail(id, shot.index, thumbnail_jpeg).await
                    {
                        cancel.cancel();
                        return Err(AnalysisFailure::Failed(format!(
                            "the server could not save a thumbnail: {error}"
                        )));
                    }
                    let thumbnail_url = format!("/api/jobs/{id}/thumbnails/{}.jpg", shot.index);
                    EventBody::Shot {
                        shot,
                        thumbnail_url,
                    }
                }
                AnalysisEvent::Cue(cue) => EventBody::Cue { cue },
            };
            if !earlier.is_new(&body) {
                continue;
            }
            if let Err(error) = publisher.publish(id, body).await {
                cancel.cancel();
                return Err(internal(error));
            }
        }
        let mut result = analysis.await.map_err(|_| {
            AnalysisFailure::Failed("the analysis crashed on this file; it may be damaged".into())
        })??;
        result.summary.processing_millis = started.elapsed().as_millis() as u64;
        let json = serde_json::to_vec(&result).expect("a result always serialises");
        objects.put_result(id, json).await.map_err(|e| {
            AnalysisFailure::Failed(format!("the server could not save the result: {e}"))
        })?;
        Ok(Some(EventBody::Completed {
            summary: result.summary,
            result_url: format!("/api/jobs/{id}/result"),
        }))
    }

    /// Stops every running analysis (killing its ffmpeg processes) without ending the jobs:
    /// they stay `running` in the store and the next start re-queues them. Waits until every
    /// analysis has returned.
    pub async fn shutdown(&self) {
        self.inner.stopping.store(true, Ordering::SeqCst);
        let flags: Vec<CancelFlag> = self
            .inner
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .map(|(flag, _)| flag.clone())
            .collect();
        for flag in flags {
            flag.cancel();
        }
        loop {
            // Registered before the count is read, so an analysis ending in between still wakes us.
            let ended = self.inner.ended.notified();
            tokio::pin!(ended);
            ended.as_mut().enable();
            if self.running_count() == 0 {
                return;
            }
            ended.await;
        }
    }

    /// Stops each running analysis whose job another process has already ended or deleted in
    /// the store, checking every `interval` until the background stops. On AWS a cancel is stored by the
    /// message function, not by the worker running the job: this is how it reaches that worker
    /// (within `interval` plus one datastore read). The worker's own final event then finds
    /// the job closed and adds nothing.
    pub fn follow_stored_cancels(&self, interval: Duration) {
        let jobs = self.clone();
        self.inner.background.spawn_until_stopped(async move {
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let running: Vec<(JobId, CancelFlag)> = jobs
                    .inner
                    .running
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .iter()
                    .map(|(id, (flag, _))| (id.clone(), flag.clone()))
                    .collect();
                for (id, flag) in running {
                    let ended = match jobs.inner.job_store.job(&id).await {
                        Ok(Some(job)) => job.state.is_final(),
                        Ok(None) => true, // deleted
                        Err(_) => false,
                    };
                    if ended {
                        tracing::info!(job = %id, "ended or deleted elsewhere; stopping its analysis");
                        flag.cancel();
                    }
                }
            }
        });
    }

    /// The running jobs' count, for health and tests.
    pub fn running_count(&self) -> usize {
        self.inner
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }
}

/// Runs a failed or cancelled job again in `place` (or says how long to wait when the queue had
/// none): its new `job.queued` is stored and pushed, then it takes the place. `Ok(false)` when
/// the job is not failed or cancelled (any more). Whoever runs jobs retries this way, in
/// process or on AWS.
pub async fn retry_ended(
    place: Result<Box<dyn QueuePlace>, QueueFull>,
    publisher: &Publisher,
    job: &JobId,
) -> Result<Result<bool, QueueFull>, StoreError> {
    let place = match place {
        Ok(place) => place,
        Err(full) => return Ok(Err(full)),
    };
    if publisher.requeue_ended(job).await?.is_none() {
        return Ok(Ok(false));
    }
    place.put(job.clone()).await?;
    Ok(Ok(true))
}

/// The event that puts a job that was running back in line, keeping what it pushed.
fn queued_again(job: &JobRecord) -> EventBody {
    EventBody::Queued {
        file_name: job.file_name.clone(),
        size_bytes: job.size_bytes,
    }
}
