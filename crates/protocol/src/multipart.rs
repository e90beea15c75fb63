//! Bodies of the multipart upload API: the one upload protocol the page uses on any host.
//!
//! The model is S3's multipart upload with presigned part URLs, as Uppy's `@uppy/aws-s3`
//! drives it: create → `{uploadId, key, partSize}`; sign a part → a URL the browser `PUT`s
//! the part's bytes to, reading the `ETag` header of the answer; list parts to resume;
//! complete with every `{partNumber, etag}`; abort. On AWS the part URLs are S3's own; on the
//! local server they point at the server itself, HMAC-signed and expiring. Either way the page
//! treats a part URL as opaque, and a finished upload is analysed with `POST /api/jobs`.

use crate::ids::UploadId;
use serde::{Deserialize, Serialize};

/// `POST /api/multipart`: start a multipart upload of a file whose size is known.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateMultipartRequest {
    /// The file's name as the person chose it, for display only; never a path.
    pub file_name: String,
    /// The browser's MIME type for the file (may be empty).
    #[serde(default)]
    pub file_type: String,
    /// The file's size in bytes, checked against the server's limit before anything is stored.
    pub size: u64,
}

/// `201 Created` answer to [`CreateMultipartRequest`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateMultipartResponse {
    /// The upload; `POST /api/jobs` takes it once completed.
    pub upload_id: UploadId,
    /// Where the object is stored (S3's object key; locally the upload id).
    pub key: String,
    /// Every part but the last has exactly this many bytes; the last has the rest.
    pub part_size: u64,
    /// How many parts the file is cut into.
    pub part_count: u32,
}

/// `GET /api/multipart/{uploadId}/parts/{partNumber}/url`: where to `PUT` one part.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedPart {
    /// The URL to `PUT` the part's bytes to, absolute or relative to the API's base URL.
    pub url: String,
    /// When the URL stops being accepted, in milliseconds since the Unix epoch.
    pub expires_at_ms: u64,
}

/// One stored part, as `GET /api/multipart/{uploadId}/parts` lists it (S3's ListParts).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadedPart {
    /// 1-based part number.
    pub part_number: u32,
    /// The part's size in bytes.
    pub size: u64,
    /// The `ETag` its `PUT` answered with (quoted, as S3 writes it).
    pub etag: String,
}

/// `GET /api/multipart/{uploadId}/parts`: the parts stored so far, by part number.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListPartsResponse {
    /// Every stored part, in part-number order.
    pub parts: Vec<UploadedPart>,
}

/// One part named in a completion: the number and the `ETag` its `PUT` returned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompletedPart {
    /// 1-based part number.
    pub part_number: u32,
    /// The `ETag` the part's `PUT` answered with.
    pub etag: String,
}

/// `POST /api/multipart/{uploadId}/complete`: every part, in order, with its `ETag`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompleteMultipartRequest {
    /// Parts 1…n, each exactly once.
    pub parts: Vec<CompletedPart>,
}

/// `200` answer to [`CompleteMultipartRequest`]: the upload is whole and can be analysed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompleteMultipartResponse {
    /// The finished upload, for `POST /api/jobs`.
    pub upload_id: UploadId,
    /// Its size in bytes.
    pub size: u64,
}

/// The part size for a file of `size` bytes: [`MIN_PART_BYTES`] unless that would need more
/// than [`MAX_PARTS`] parts, then the smallest whole number of MiB that fits.
pub fn part_size_for(size: u64) -> u64 {
    const MIB: u64 = 1024 * 1024;
    let needed = size.div_ceil(u64::from(MAX_PARTS));
    needed.div_ceil(MIB).saturating_mul(MIB).max(MIN_PART_BYTES)
}

/// How many parts of `part_size` bytes a file of `size` bytes has (at least one).
pub fn part_count(size: u64, part_size: u64) -> u32 {
    u32::try_from(size.div_ceil(part_size).max(1)).unwrap_or(u32::MAX)
}

/// Smallest part the page sends (8 MiB): above S3's 5 MiB minimum for every part but the last,
/// big enough for full speed on a fast link, small enough that a dropped part loses little.
pub const MIN_PART_BYTES: u64 = 8 * 1024 * 1024;

/// Most parts one upload may have (S3's limit).
pub const MAX_PARTS: u32 = 10_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_files_use_the_minimum_part_size() {
        assert_eq!(part_size_for(1), MIN_PART_BYTES);
        assert_eq!(part_count(1, MIN_PART_BYTES), 1);
        assert_eq!(part_count(MIN_PART_BYTES + 1, MIN_PART_BYTES), 2);
    }

    #[test]
    fn huge_files_stay_within_ten_thousand_parts() {
        let size = 200 * 1024 * 1024 * 1024u64;
        let part = part_size_for(size);
        assert!(part > MIN_PART_BYTES);
        assert_eq!(part % (1024 * 1024), 0);
        assert!(part_count(size, part) <= MAX_PARTS);
    }

    #[test]
    fn bodies_are_camel_case() {
        let json = serde_json::to_value(CompletedPart {
            part_number: 3,
            etag: "\"abc\"".into(),
        })
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"partNumber": 3, "etag": "\"abc\""})
        );
    }
}
