//! The check that an upload is a video: the first PATCH's leading bytes are read before a
//! single byte is stored, and judged by [`sniff`].
//!
//! Owns the refusals of a file that is not a video and of a first PATCH too short to judge. It
//! never stores or deletes anything: the handler deletes an upload refused as not a video.

use crate::error::ApiFailure;
use crate::uploads::sniff::{SNIFF_BYTES, Sniffed, sniff};
use axum::body::Bytes;
use futures_util::{Stream, StreamExt};
use vidpush_protocol::limits::NAMED_FORMATS;

/// Reads frames until they hold [`SNIFF_BYTES`] or the body ends, and returns them whole: they
/// still have to be written once the check passes.
pub(crate) async fn read_first_frames<S, E>(body: &mut S) -> Vec<Bytes>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    let mut first = Vec::new();
    while first.iter().map(Bytes::len).sum::<usize>() < SNIFF_BYTES {
        match body.next().await {
            Some(Ok(chunk)) => first.push(chunk),
            Some(Err(_)) | None => break,
        }
    }
    first
}

/// Refuses an upload whose first bytes (the frames [`read_first_frames`] returned) are not a
/// known video container.
pub(crate) fn check_video_head(first: &[Bytes], length: u64) -> Result<(), ApiFailure> {
    let head: Vec<u8> = first
        .iter()
        .flat_map(|c| c.iter().copied())
        .take(SNIFF_BYTES)
        .collect();
    match sniff(&head) {
        Sniffed::Video(_) => Ok(()),
        Sniffed::NotVideo(what) => Err(ApiFailure::UnsupportedMedia(format!(
            "this file is not a video: it looks like {what}. Choose an {NAMED_FORMATS} file"
        ))),
        Sniffed::TooShort if (head.len() as u64) < length => Err(ApiFailure::BadRequest(format!(
            "the first PATCH must carry at least {SNIFF_BYTES} bytes (or the whole file) so the server can check it is a video"
        ))),
        Sniffed::TooShort => Err(ApiFailure::UnsupportedMedia(format!(
            "this file is only {length} bytes: far too short to be a video"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_first_patch_is_a_bad_request_but_a_short_whole_file_is_not_a_video() {
        let few = [Bytes::from_static(b"\0\0\0")];
        assert!(matches!(
            check_video_head(&few, 1_000_000),
            Err(ApiFailure::BadRequest(_))
        ));
        assert!(matches!(
            check_video_head(&few, 3),
            Err(ApiFailure::UnsupportedMedia(_))
        ));
    }

    #[test]
    fn the_head_is_judged_across_frames() {
        let split = [
            Bytes::from_static(b"\0\0\0\x20ft"),
            Bytes::from_static(b"ypisom\0\0"),
        ];
        assert!(check_video_head(&split, 1_000_000).is_ok());
    }
}
