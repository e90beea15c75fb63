//! Putting one part's body into its place in the upload's file: streamed chunk by chunk (never
//! buffered whole), exactly the part's size, and `fdatasync`ed before its `ETag` is returned, so
//! a part the page was told is stored survives a crash.
//!
//! The `ETag` names the stored copy of the part, so a completion can prove it names the copies
//! that are on disk. It is a fresh random tag, not S3's MD5 of the bytes: the page treats ETags
//! as opaque, and hashing every byte cost about 1.9 CPU-seconds per GiB, a quarter of the upload
//! speed on two cores (`cargo xtask bench upload`).
//!
//! Parts of one upload may be written in parallel: each owns a disjoint byte range of the file
//! (part `n` starts at `(n - 1) × partSize`), so the file is the assembled video once every part
//! is in, with no copy at completion.

use super::part_url::hex;
use crate::error::ApiFailure;
use crate::uploads::writer::BodyEnd;
use axum::body::Bytes;
use futures_util::{Stream, StreamExt};
use std::io::SeekFrom;
use std::path::Path;
use tokio::io::{AsyncSeekExt, AsyncWriteExt};

/// Where a part goes and how big it must be.
pub(crate) struct PartPlace<'a> {
    /// The upload's file.
    pub file: &'a Path,
    /// 1-based part number, for messages.
    pub number: u32,
    /// The part's first byte in the file.
    pub offset: u64,
    /// Its exact size.
    pub size: u64,
}

/// Writes the part from `body` (a stream that ends with [`BodyEnd::Stalled`] when the client
/// goes silent, see `upload_writer::stalling_body`) and returns its quoted `ETag`. A body
/// of the wrong size, one that stops arriving, or a failed write stores nothing the page is
/// told about: the part is simply not recorded, and sending it again overwrites the same range.
pub(crate) async fn write_part<S>(place: PartPlace<'_>, body: S) -> Result<String, ApiFailure>
where
    S: Stream<Item = Result<Bytes, BodyEnd>> + Unpin,
{
    let mut body = body;
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .open(place.file)
        .await
        .map_err(ApiFailure::internal)?;
    file.seek(SeekFrom::Start(place.offset)).await?;
    let mut received: u64 = 0;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|end| match end {
            BodyEnd::Stalled(waited) => ApiFailure::PartStalled {
                part: place.number,
                waited_secs: waited.as_secs(),
            },
            BodyEnd::Network => ApiFailure::BadRequest(format!(
                "part {} could not be read to its end; send it again",
                place.number
            )),
        })?;
        received += chunk.len() as u64;
        if received > place.size {
            return Err(wrong_size(&place, "more"));
        }
        file.write_all(&chunk).await?;
    }
    if received != place.size {
        return Err(wrong_size(&place, &received.to_string()));
    }
    file.flush().await?;
    file.sync_data().await?;
    Ok(format!("\"{}\"", hex(&rand::random::<[u8; 16]>())))
}

/// The refusal for a body that is not the part's size.
fn wrong_size(place: &PartPlace<'_>, got: &str) -> ApiFailure {
    ApiFailure::BadRequest(format!(
        "part {} must be exactly {} bytes, and {got} bytes were sent; send the part again",
        place.number, place.size
    ))
}
