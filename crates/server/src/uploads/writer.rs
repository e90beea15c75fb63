//! Putting one PATCH body on disk: frames pass from the network to a blocking writer through a
//! bounded channel, so an upload is streamed to disk in bounded memory however large it is.
//!
//! Owns writing to an upload's file and recording its offset while a PATCH runs, and the cap
//! on how many PATCHes write at once. The offset a client is told is always flushed to disk
//! first. It never writes past the declared length; when a termination raises the stop signal
//! it stops at once and records nothing; when the body stops arriving it keeps what came and
//! lets go of the upload. The writer is async: its disk calls are short blocking-pool tasks, so
//! it never holds a blocking thread while it waits for the network or records an offset.

use crate::error::ApiFailure;
use crate::ports::UploadRecord;
use crate::state::AppState;
use crate::uploads::claims::{StopSignal, UploadClaim};
use axum::body::{Body, Bytes};
use futures_util::{Stream, StreamExt};
use sha1::{Digest, Sha1};
use std::io::SeekFrom;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncSeekExt, AsyncWriteExt};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use vidpush_protocol::UploadId;

/// While one PATCH streams, received bytes are flushed and the offset recorded every this many
/// bytes, so a crash in the middle of a huge PATCH loses at most this much.
const CHECKPOINT_BYTES: u64 = 64 * 1024 * 1024;

/// Body frames in flight between the network and the disk writer: the bound on an upload's
/// memory (a frame is at most a few hundred KiB).
const FRAMES_IN_FLIGHT: usize = 16;

/// The writer's buffer: large sequential writes keep the disk at full speed.
const WRITE_BUFFER_BYTES: usize = 1024 * 1024;

/// Most upload bodies (tus PATCHes and multipart parts) written at once. Each writer holds its
/// write buffer and frames in flight: 64 writers already keep a disk busier than it can usefully
/// be, and cap what uploads can hold in memory at about 64 × (1 MiB + 16 frames).
pub const MAX_UPLOAD_WRITERS: usize = 64;

/// The `Retry-After` of a PATCH refused because every writer is busy: a small upload finishes
/// in about that time, and tus clients retry on 503 anyway.
const WRITERS_BUSY_RETRY_AFTER_SECS: u64 = 2;

/// The writers a PATCH may take; cheap to clone.
#[derive(Clone)]
pub struct UploadWriters(Arc<Semaphore>);

impl Default for UploadWriters {
    fn default() -> Self {
        Self(Arc::new(Semaphore::new(MAX_UPLOAD_WRITERS)))
    }
}

/// One writer taken, held until the disk writer is done; frees it when dropped.
pub struct WriterSlot {
    /// Returned to the semaphore on drop.
    _permit: OwnedSemaphorePermit,
}

impl UploadWriters {
    /// A writer, or a 503 with `Retry-After` when all are busy: never a wait, so no number of
    /// uploads can pile up behind the cap.
    pub fn take(&self) -> Result<WriterSlot, ApiFailure> {
        self.0
            .clone()
            .try_acquire_owned()
            .map(|permit| WriterSlot { _permit: permit })
            .map_err(|_| ApiFailure::UploadsBusy {
                retry_after_secs: WRITERS_BUSY_RETRY_AFTER_SECS,
            })
    }
}

/// Why a request body ended before its last byte.
#[derive(Debug)]
pub(crate) enum BodyEnd {
    /// The connection failed or was closed.
    Network,
    /// No byte arrived for the body timeout: the client is gone or stuck.
    Stalled(Duration),
}

/// A body stream whose frames must each arrive within `timeout` of the one before; a pause
/// longer than that ends it with [`BodyEnd::Stalled`].
pub(crate) fn stalling_body(
    body: Body,
    timeout: Duration,
) -> Pin<Box<dyn Stream<Item = Result<Bytes, BodyEnd>> + Send>> {
    Box::pin(futures_util::stream::unfold(
        Some(body.into_data_stream()),
        move |body| async move {
            let mut body = body?;
            match tokio::time::timeout(timeout, body.next()).await {
                Ok(Some(Ok(frame))) => Some((Ok(frame), Some(body))),
                Ok(Some(Err(_))) => Some((Err(BodyEnd::Network), None)),
                Ok(None) => None,
                Err(_) => Some((Err(BodyEnd::Stalled(timeout)), None)),
            }
        },
    ))
}

/// Writes `frames` at the upload's offset and returns the offset recorded. Bytes past the
/// declared length are dropped, and then the answer is 413 once the rest is recorded.
pub(crate) async fn write_body<S>(
    app: &AppState,
    upload: &UploadRecord,
    (claim, slot): (UploadClaim, WriterSlot),
    expected_sha1: Option<Vec<u8>>,
    mut frames: S,
) -> Result<u64, ApiFailure>
where
    S: Stream<Item = Result<Bytes, BodyEnd>> + Unpin,
{
    let remaining = upload.length - upload.offset;
    let (tx, rx) = mpsc::channel::<Bytes>(FRAMES_IN_FLIGHT);
    let write = WriteJob {
        app: app.clone(),
        id: upload.id.clone(),
        start: upload.offset,
        limit: remaining,
        expected_sha1,
        stop: claim.stop_signal(),
        _claim: claim,
        _slot: slot,
    };
    // The writer owns the claim and records the offset itself: if the client goes away and
    // the PATCH handler is dropped mid-body, the bytes that arrived are still flushed and
    // recorded, and no resumed PATCH can write to the file until the writer is done.
    // A task of its own (not the handler's future), so it runs to its end either way. Every
    // disk call in it is a short blocking-pool task, and it never holds a blocking thread while
    // waiting for the network or the datastore: no number of uploads can fill the pool.
    let writer = tokio::spawn(write.run(rx));

    let mut overflow = false;
    let mut stalled = None;
    let mut sent: u64 = 0;
    while let Some(frame) = frames.next().await {
        let mut chunk = match frame {
            Ok(chunk) => chunk,
            Err(BodyEnd::Network) => {
                tracing::info!(upload = %upload.id, "client went away mid-PATCH; keeping what arrived");
                break;
            }
            Err(BodyEnd::Stalled(waited)) => {
                tracing::info!(upload = %upload.id, ?waited, "PATCH body stopped arriving; keeping what arrived");
                stalled = Some(waited);
                break;
            }
        };
        if sent + chunk.len() as u64 > remaining {
            chunk.truncate((remaining - sent) as usize);
            overflow = true;
        }
        sent += chunk.len() as u64;
        if tx.send(chunk).await.is_err() || overflow {
            break;
        }
    }
    drop((tx, frames));
    let offset = writer.await.map_err(ApiFailure::internal)??;
    if let Some(waited) = stalled {
        return Err(ApiFailure::BodyStalled {
            waited_secs: waited.as_secs(),
            offset,
        });
    }
    if overflow {
        return Err(ApiFailure::TooLarge(format!(
            "the upload declared {} bytes and more were sent; the first {} were kept",
            upload.length, upload.length
        )));
    }
    Ok(offset)
}

/// One PATCH's disk writer: everything it needs to write, flush and record on its own.
struct WriteJob {
    app: AppState,
    id: UploadId,
    /// The offset the PATCH starts at.
    start: u64,
    /// Bytes the upload still lacks; more are not written.
    limit: u64,
    /// The `Upload-Checksum` digest, when the client sent one: then nothing is recorded
    /// unless the whole body matches, and no checkpoints are taken.
    expected_sha1: Option<Vec<u8>>,
    /// Raised when the upload is being terminated: then the writer stops at once and records
    /// nothing, since the termination deletes the file as soon as the claim is released.
    stop: StopSignal,
    /// Held until the writer is done, so no other request writes to the same file meanwhile.
    _claim: UploadClaim,
    /// Held until the writer is done: one of the [`MAX_UPLOAD_WRITERS`].
    _slot: WriterSlot,
}

impl WriteJob {
    /// Writes received frames at `start`, flushing to disk before recording any offset (at
    /// every checkpoint and at the end). Returns the offset recorded.
    async fn run(self, mut rx: mpsc::Receiver<Bytes>) -> Result<u64, ApiFailure> {
        let mut file = tokio::fs::OpenOptions::new()
            .write(true)
            .open(self.app.upload_path(&self.id))
            .await?;
        file.seek(SeekFrom::Start(self.start)).await?;
        let mut out = tokio::io::BufWriter::with_capacity(WRITE_BUFFER_BYTES, file);
        let mut hasher = self.expected_sha1.is_some().then(Sha1::new);
        let mut written: u64 = 0;
        let mut since_checkpoint: u64 = 0;
        while let Some(chunk) = rx.recv().await {
            if self.stop.is_raised() {
                break;
            }
            let take = chunk.len().min((self.limit - written) as usize);
            out.write_all(&chunk[..take]).await?;
            if let Some(hasher) = hasher.as_mut() {
                hasher.update(&chunk[..take]);
            }
            written += take as u64;
            since_checkpoint += take as u64;
            if hasher.is_none() && since_checkpoint >= CHECKPOINT_BYTES {
                self.record(&mut out, written).await?;
                since_checkpoint = 0;
            }
        }
        if self.stop.is_raised() {
            return Err(stopped_by_termination(&self.id));
        }
        if let (Some(hasher), Some(expected)) = (hasher, &self.expected_sha1)
            && hasher.finalize().as_slice() != expected.as_slice()
        {
            return Err(ApiFailure::ChecksumMismatch);
        }
        self.record(&mut out, written).await?;
        Ok(self.start + written)
    }

    /// Flushes and syncs what was written, then records the new offset.
    async fn record(
        &self,
        out: &mut tokio::io::BufWriter<tokio::fs::File>,
        written: u64,
    ) -> Result<(), ApiFailure> {
        out.flush().await?;
        out.get_ref().sync_data().await?;
        self.app
            .uploads
            .set_upload_offset(&self.id, self.start + written)
            .await?;
        Ok(())
    }
}

/// The answer of a PATCH stopped because its upload is being terminated: tus answers requests
/// to a terminated upload with 404.
pub(crate) fn stopped_by_termination(id: &UploadId) -> ApiFailure {
    tracing::info!(upload = %id, "PATCH stopped: the upload is being terminated");
    ApiFailure::NotFound(
        "this upload was cancelled while the request was sending it; start a new upload to send the file again".into(),
    )
}
