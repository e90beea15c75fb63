//! The tus 1.0 client's bookkeeping, without I/O: what to send next, what the server's answers
//! mean, how fast it goes. `net::upload` does the XMLHttpRequests and keeps this honest.
//!
//! The only offset trusted is the server's (`Upload-Offset` of a `PATCH` or `HEAD` answer);
//! bytes the browser reports as sent are shown as progress but never used to resume.

use std::ops::Range;
use vidpush_protocol::UploadId;

/// `localStorage` key prefix of unfinished uploads.
pub const STORAGE_PREFIX: &str = "vidpush.upload.";

/// Identifies "the same file" across reloads, as tus-js-client does: name, size and
/// modification time. Used as the `localStorage` key of the upload URL.
pub fn fingerprint(name: &str, size: u64, last_modified_ms: f64) -> String {
    format!("{STORAGE_PREFIX}{name}-{size}-{}", last_modified_ms as i64)
}

/// The file name and size a [`fingerprint`] was made from; `None` for other keys.
pub fn fingerprinted_file(key: &str) -> Option<(&str, u64)> {
    let rest = key.strip_prefix(STORAGE_PREFIX)?;
    let (rest, _modified) = rest.rsplit_once('-')?;
    let (name, size) = rest.rsplit_once('-')?;
    Some((name, size.parse().ok()?))
}

/// The drop zone's line about uploads a reload interrupted, by file name; `None` when there
/// are none.
pub fn resume_hint(names: &[&str]) -> Option<String> {
    let quoted: Vec<String> = names.iter().map(|n| format!("“{n}”")).collect();
    match quoted.as_slice() {
        [] => None,
        [one] => Some(format!(
            "The upload of {one} stopped before it was done: choose the same file again to continue where it stopped."
        )),
        [first @ .., last] => Some(format!(
            "The uploads of {} and {last} stopped before they were done: choose the same files again to continue where they stopped.",
            first.join(", ")
        )),
    }
}

/// The `Upload-Metadata` header: `filename <base64>,filetype <base64>`.
pub fn metadata_header(file_name: &str, file_type: &str) -> String {
    let mut header = format!("filename {}", base64(file_name.as_bytes()));
    if !file_type.is_empty() {
        header.push_str(",filetype ");
        header.push_str(&base64(file_type.as_bytes()));
    }
    header
}

/// Standard base64 with padding (tus metadata values). Written out rather than taken from the
/// `base64` crate: these dozen lines are all the page needs, and every dependency is shipped
/// to each visitor inside the wasm.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The upload id is the last path segment of the `Location` the server answered with.
pub fn upload_id(location: &str) -> Option<UploadId> {
    let path = location.split(['?', '#']).next().unwrap_or_default();
    let id = path.trim_end_matches('/').rsplit('/').next()?;
    vidpush_protocol::ids::is_well_formed(id).then(|| UploadId::from(id))
}

/// Parses a numeric tus header such as `Upload-Offset`.
pub fn parse_offset(header: Option<&str>) -> Option<u64> {
    header?.trim().parse().ok()
}

/// The byte range of the next `PATCH`: from the confirmed `offset`, at most `chunk` bytes.
pub fn next_chunk(offset: u64, length: u64, chunk: u64) -> Option<Range<u64>> {
    (offset < length).then(|| offset..length.min(offset.saturating_add(chunk.max(1))))
}

/// What a `HEAD` on a remembered upload URL says about resuming.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resume {
    /// Continue from this offset.
    From(u64),
    /// The server forgot the upload or it is for another file: start a new one.
    StartOver,
}

/// Interprets a `HEAD` answer for a file of `length` bytes.
pub fn resume_from(
    status: u16,
    offset: Option<u64>,
    upload_length: Option<u64>,
    length: u64,
) -> Resume {
    match (status, offset) {
        (200 | 204, Some(offset))
            if offset <= length && upload_length.is_none_or(|l| l == length) =>
        {
            Resume::From(offset)
        }
        _ => Resume::StartOver,
    }
}

/// Upload speed and time left, smoothed so the numbers do not jitter with every event.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Throughput {
    /// Smoothed bytes per second; 0 until two samples are known.
    rate: f64,
    /// The previous sample: (milliseconds, bytes).
    last: Option<(f64, u64)>,
}

/// Weight of a new rate sample: about the last second dominates at a few events per second.
const SMOOTHING: f64 = 0.3;

impl Throughput {
    /// Records that `bytes` are sent at time `now_ms` (e.g. `performance.now()`).
    pub fn sample(&mut self, now_ms: f64, bytes: u64) {
        if let Some((t, b)) = self.last {
            let dt = (now_ms - t) / 1000.0;
            if dt < 0.05 {
                return;
            }
            let instant = bytes.saturating_sub(b) as f64 / dt;
            self.rate = if self.rate == 0.0 {
                instant
            } else {
                self.rate + SMOOTHING * (instant - self.rate)
            };
        }
        self.last = Some((now_ms, bytes));
    }

    /// Forgets the last sample (after a pause or a retry) but keeps the rate estimate.
    pub fn restart(&mut self) {
        self.last = None;
    }

    /// Bytes per second, if known.
    pub fn rate(&self) -> Option<f64> {
        (self.rate > 0.0).then_some(self.rate)
    }

    /// Seconds left to send `remaining` bytes, if the rate is known.
    pub fn seconds_left(&self, remaining: u64) -> Option<f64> {
        self.rate().map(|r| remaining as f64 / r)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_fingerprint_gives_back_its_file_name_and_size() {
        let key = fingerprint("my-clip - final.mp4", 1234, 1_700_000_000_000.0);
        assert_eq!(
            fingerprinted_file(&key),
            Some(("my-clip - final.mp4", 1234))
        );
        assert_eq!(fingerprinted_file("vidpush.jobs"), None);
        assert_eq!(fingerprinted_file("vidpush.upload.broken"), None);
    }

    #[test]
    fn the_resume_hint_names_every_interrupted_file() {
        assert_eq!(resume_hint(&[]), None);
        assert_eq!(
            resume_hint(&["a.mp4"]).as_deref(),
            Some(
                "The upload of “a.mp4” stopped before it was done: choose the same file again to continue where it stopped."
            )
        );
        let many = resume_hint(&["a.mp4", "b.mov", "c.webm"]).unwrap();
        assert!(
            many.starts_with("The uploads of “a.mp4”, “b.mov” and “c.webm” stopped"),
            "{many}"
        );
    }

    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ];
        for (input, expected) in cases {
            assert_eq!(base64(input.as_bytes()), expected);
        }
    }

    #[test]
    fn metadata_header_names_file_and_type() {
        assert_eq!(
            metadata_header("a.mp4", "video/mp4"),
            "filename YS5tcDQ=,filetype dmlkZW8vbXA0"
        );
        assert_eq!(metadata_header("a.mkv", ""), "filename YS5ta3Y=");
    }

    #[test]
    fn upload_id_is_the_last_location_segment() {
        assert_eq!(upload_id("/api/uploads/u_123"), Some("u_123".into()));
        assert_eq!(
            upload_id("https://h/api/uploads/abc/?x=1"),
            Some("abc".into())
        );
        assert_eq!(upload_id("/api/uploads/.."), None);
        assert_eq!(upload_id(""), None);
    }

    #[test]
    fn chunks_run_from_the_confirmed_offset_to_the_end() {
        assert_eq!(next_chunk(0, 20, 8), Some(0..8));
        assert_eq!(next_chunk(16, 20, 8), Some(16..20));
        assert_eq!(next_chunk(20, 20, 8), None);
        assert_eq!(
            next_chunk(0, 5, 0),
            Some(0..1),
            "a zero chunk size still progresses"
        );
    }

    #[test]
    fn head_answers_decide_where_to_resume() {
        assert_eq!(resume_from(200, Some(8), Some(20), 20), Resume::From(8));
        assert_eq!(resume_from(204, Some(20), None, 20), Resume::From(20));
        assert_eq!(resume_from(404, None, None, 20), Resume::StartOver);
        assert_eq!(resume_from(410, Some(3), None, 20), Resume::StartOver);
        assert_eq!(resume_from(200, Some(8), Some(99), 20), Resume::StartOver);
        assert_eq!(resume_from(200, Some(30), None, 20), Resume::StartOver);
        assert_eq!(parse_offset(Some(" 42 ")), Some(42));
        assert_eq!(parse_offset(Some("x")), None);
    }

    #[test]
    fn fingerprint_changes_with_any_fact() {
        let a = fingerprint("a.mp4", 10, 1.0);
        assert!(a.starts_with(STORAGE_PREFIX));
        assert_ne!(a, fingerprint("a.mp4", 11, 1.0));
        assert_ne!(a, fingerprint("a.mp4", 10, 2.0));
    }

    #[test]
    fn throughput_smooths_rate_and_predicts_time_left() {
        let mut t = Throughput::default();
        assert_eq!(t.rate(), None);
        t.sample(0.0, 0);
        t.sample(1000.0, 1000);
        assert_eq!(t.rate(), Some(1000.0));
        t.sample(2000.0, 3000);
        assert_eq!(t.rate(), Some(1300.0));
        assert_eq!(t.seconds_left(2600), Some(2.0));
        t.restart();
        t.sample(9000.0, 3000);
        assert_eq!(
            t.rate(),
            Some(1300.0),
            "a pause does not count as zero speed"
        );
    }
}
