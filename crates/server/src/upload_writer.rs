//! Putting one PATCH body on disk: frames pass from the network to a blocking writer through a
//! bounded channel, so an upload is streamed to disk in bounded memory however large it is.
//!
//! Owns writing to an upload's file and recording its offset while a PATCH runs. The offset a
//! client is told is always flushed to disk first. It never writes past the declared length,
//! and when a termination raises the stop signal it stops at once and records nothing.

use crate::app::AppState;
use crate::error::ApiFailure;
use crate::ports::UploadRecord;
use crate::upload_claims::{StopSignal, UploadClaim};
use axum::body::Bytes;
use futures_util::{Stream, StreamExt};
use sha1::{Digest, Sha1};
use std::io::{Seek, SeekFrom, Write};
use tokio::sync::mpsc;
use vidpush_protocol::UploadId;

/// While one PATCH streams, received bytes are flushed and the offset recorded every this many
/// bytes, so a crash in the middle of a huge PATCH loses at most this much.
const CHECKPOINT_BYTES: u64 = 64 * 1024 * 1024;

/// Body frames in flight between the network and the disk writer: the bound on an upload's
/// memory (a frame is at most a few hundred KiB).
const FRAMES_IN_FLIGHT: usize = 16;

/// The writer's buffer: large sequential writes keep the disk at full speed.
const WRITE_BUFFER_BYTES: usize = 1024 * 1024;

/// Writes `frames` at the upload's offset and returns the offset recorded. Bytes past the
/// declared length are dropped, and then the answer is 413 once the rest is recorded.
pub(crate) async fn write_body<S, E>(
    app: &AppState,
    upload: &UploadRecord,
    claim: UploadClaim,
    expected_sha1: Option<Vec<u8>>,
    mut frames: S,
) -> Result<u64, ApiFailure>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    let remaining = upload.length - upload.offset;
    let (tx, rx) = mpsc::channel::<Bytes>(FRAMES_IN_FLIGHT);
    let write = WriteJob {
        app: app.clone(),
        id: upload.id.clone(),
        start: upload.offset,
        limit: remaining,
        expected_sha1,
        runtime: tokio::runtime::Handle::current(),
        stop: claim.stop_signal(),
        _claim: claim,
    };
    // The writer owns the claim and records the offset itself: if the client goes away and
    // the PATCH handler is dropped mid-body, the bytes that arrived are still flushed and
    // recorded, and no resumed PATCH can write to the file until the writer is done.
    let writer = tokio::task::spawn_blocking(move || write.run(rx));

    let mut overflow = false;
    let mut sent: u64 = 0;
    while let Some(frame) = frames.next().await {
        let Ok(mut chunk) = frame else {
            tracing::info!(upload = %upload.id, "client went away mid-PATCH; keeping what arrived");
            break;
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
    /// To record offsets from this blocking thread.
    runtime: tokio::runtime::Handle,
    /// Raised when the upload is being terminated: then the writer stops at once and records
    /// nothing, since the termination deletes the file as soon as the claim is released.
    stop: StopSignal,
    /// Held until the writer is done, so no other request writes to the same file meanwhile.
    _claim: UploadClaim,
}

impl WriteJob {
    /// Writes received frames at `start`, flushing to disk before recording any offset (at
    /// every checkpoint and at the end). Returns the offset recorded.
    fn run(self, mut rx: mpsc::Receiver<Bytes>) -> Result<u64, ApiFailure> {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .open(self.app.upload_path(&self.id))?;
        file.seek(SeekFrom::Start(self.start))?;
        let mut out = std::io::BufWriter::with_capacity(WRITE_BUFFER_BYTES, file);
        let mut hasher = self.expected_sha1.is_some().then(Sha1::new);
        let mut written: u64 = 0;
        let mut since_checkpoint: u64 = 0;
        while let Some(chunk) = rx.blocking_recv() {
            if self.stop.is_raised() {
                break;
            }
            let take = chunk.len().min((self.limit - written) as usize);
            out.write_all(&chunk[..take])?;
            if let Some(hasher) = hasher.as_mut() {
                hasher.update(&chunk[..take]);
            }
            written += take as u64;
            since_checkpoint += take as u64;
            if hasher.is_none() && since_checkpoint >= CHECKPOINT_BYTES {
                self.record(&mut out, written)?;
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
        self.record(&mut out, written)?;
        Ok(self.start + written)
    }

    /// Flushes and syncs what was written, then records the new offset.
    fn record(
        &self,
        out: &mut std::io::BufWriter<std::fs::File>,
        written: u64,
    ) -> Result<(), ApiFailure> {
        out.flush()?;
        out.get_ref().sync_data()?;
        self.runtime.block_on(
            self.app
                .uploads
                .set_upload_offset(&self.id, self.start + written),
        )?;
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
