//! The multipart upload client's bookkeeping, without I/O: which parts remain, how many bytes
//! are sent across the parts in flight, what a part's answer means, the completion list, and
//! how fast it goes. `net::upload` does the requests and keeps this honest.
//!
//! The protocol is S3's multipart upload with presigned part URLs (see
//! `vidpush_protocol::multipart`). A part counts as stored only once its `PUT` answered with
//! an `ETag` (or the server listed it after a reload); bytes the browser reports as sent are
//! shown as progress but never taken as stored.

use std::ops::Range;
use vidpush_protocol::UploadId;
use vidpush_protocol::multipart::{CompletedPart, UploadedPart, part_count};

/// How many parts are sent at once. Measured in headless Chromium over loopback against the
/// native-release server, a 512 MiB file in 8 MiB parts, 8 interleaved rounds on a shared
/// 2-core machine (medians): 1 part at a time 124 MB/s, 2 at 158, 3 at 167, 4 at 179 (6: 197 in
/// 5 rounds). 4 is the best of 1–4; 6 would take all six connections Chromium opens to one
/// HTTP/1.1 host, so the signing calls would queue behind parts, and a dropped link would
/// resend up to six parts.
pub const PARALLEL_PARTS: usize = 4;

/// `localStorage` key prefix of unfinished uploads.
pub const STORAGE_PREFIX: &str = "vidpush.upload.";

/// Identifies "the same file" across reloads, as tus-js-client and Uppy do: name, size and
/// modification time. Used as the `localStorage` key of the upload it is being sent as.
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

/// What is remembered of an unfinished upload, to continue it after a reload: the server's
/// upload id and its part size (which only the server's create answer says).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remembered {
    /// The multipart upload.
    pub upload_id: UploadId,
    /// Its part size in bytes.
    pub part_size: u64,
}

impl Remembered {
    /// The stored text: `<uploadId> <partSize>`.
    pub fn to_text(&self) -> String {
        format!("{} {}", self.upload_id, self.part_size)
    }

    /// Reads [`Remembered::to_text`]; `None` for anything else, such as the tus URL an older
    /// page stored, which the start-up check then forgets.
    pub fn from_text(text: &str) -> Option<Self> {
        let (id, part_size) = text.split_once(' ')?;
        let part_size = part_size.parse().ok().filter(|&n| n > 0)?;
        vidpush_protocol::ids::is_well_formed(id).then(|| Self {
            upload_id: UploadId::from(id),
            part_size,
        })
    }
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

/// Where one part stands.
#[derive(Clone, Debug, PartialEq, Eq)]
enum PartState {
    /// Not sent, or sent without an answer: to be sent.
    Pending,
    /// Being sent; the browser has sent this many of its bytes so far.
    Sending(u64),
    /// Stored by the server, which answered with this `ETag`.
    Stored(String),
}

/// The parts of one file and where each stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parts {
    /// The file's size in bytes.
    size: u64,
    /// Every part but the last has this many bytes.
    part_size: u64,
    /// Part `n` is at index `n - 1`.
    states: Vec<PartState>,
}

impl Parts {
    /// A file of `size` bytes cut into parts of `part_size`, none stored yet.
    pub fn new(size: u64, part_size: u64) -> Self {
        let part_size = part_size.max(1);
        let count = part_count(size, part_size) as usize;
        Self {
            size,
            part_size,
            states: vec![PartState::Pending; count],
        }
    }

    /// The same, with the parts the server listed as stored. A listed part whose size is not
    /// the size this file's part has (another file, another part size) is sent again.
    pub fn resumed(size: u64, part_size: u64, listed: &[UploadedPart]) -> Self {
        let mut parts = Self::new(size, part_size);
        for part in listed {
            if parts.range(part.part_number).map(|r| r.end - r.start) == Some(part.size) {
                parts.states[part.part_number as usize - 1] = PartState::Stored(part.etag.clone());
            }
        }
        parts
    }

    /// How many parts the file has.
    pub fn count(&self) -> u32 {
        self.states.len() as u32
    }

    /// The byte range of part `number` (1-based) in the file.
    pub fn range(&self, number: u32) -> Option<Range<u64>> {
        if number == 0 || number > self.count() {
            return None;
        }
        let start = u64::from(number - 1) * self.part_size;
        Some(start..self.size.min(start + self.part_size))
    }

    /// Takes the lowest part nobody sends yet and marks it as being sent.
    pub fn start_next(&mut self) -> Option<u32> {
        let index = self.states.iter().position(|s| *s == PartState::Pending)?;
        self.states[index] = PartState::Sending(0);
        Some(index as u32 + 1)
    }

    /// The browser has sent `loaded` bytes of part `number`.
    pub fn progress(&mut self, number: u32, loaded: u64) {
        let size = self.range(number).map_or(0, |r| r.end - r.start);
        if let Some(state @ PartState::Sending(_)) = self.state_mut(number) {
            *state = PartState::Sending(loaded.min(size));
        }
    }

    /// The server stored part `number` and answered with `etag`.
    pub fn stored(&mut self, number: u32, etag: String) {
        if let Some(state) = self.state_mut(number) {
            *state = PartState::Stored(etag);
        }
    }

    /// Part `number` was not stored (a failure, a pause): it is to be sent again from its start.
    pub fn unsent(&mut self, number: u32) {
        if let Some(state @ PartState::Sending(_)) = self.state_mut(number) {
            *state = PartState::Pending;
        }
    }

    fn state_mut(&mut self, number: u32) -> Option<&mut PartState> {
        self.states.get_mut((number as usize).checked_sub(1)?)
    }

    /// Bytes the server has stored.
    pub fn stored_bytes(&self) -> u64 {
        (1..=self.count())
            .filter(|&n| matches!(self.states[n as usize - 1], PartState::Stored(_)))
            .filter_map(|n| self.range(n))
            .map(|r| r.end - r.start)
            .sum()
    }

    /// Bytes sent so far: the stored parts and what the browser sent of the parts in flight.
    pub fn sent_bytes(&self) -> u64 {
        let in_flight: u64 = self
            .states
            .iter()
            .map(|s| match s {
                PartState::Sending(loaded) => *loaded,
                _ => 0,
            })
            .sum();
        self.stored_bytes() + in_flight
    }

    /// Whether every part is stored.
    pub fn all_stored(&self) -> bool {
        self.states
            .iter()
            .all(|s| matches!(s, PartState::Stored(_)))
    }

    /// The completion's list, parts 1…n in order with their `ETag`s; `None` while any part is
    /// not stored.
    pub fn completion(&self) -> Option<Vec<CompletedPart>> {
        self.states
            .iter()
            .zip(1..)
            .map(|(state, part_number)| match state {
                PartState::Stored(etag) => Some(CompletedPart {
                    part_number,
                    etag: etag.clone(),
                }),
                _ => None,
            })
            .collect()
    }
}

/// What the answer to a part's `PUT` means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PartAnswer {
    /// Stored, with this `ETag`.
    Stored(String),
    /// The part URL expired (or was refused): ask for a new one and send again.
    SignAgain,
    /// A passing failure (5xx, a busy server): send again later.
    TryLater,
    /// Stored, but the answer's `ETag` could not be read (the server's CORS settings do not
    /// expose it): no completion can name the part, and sending again will not help.
    NoEtag,
    /// The server no longer has the upload.
    Lost,
    /// Refused for good (e.g. 415, not a video): the server's words say why.
    Refused,
}

/// Interprets a part `PUT`'s status and `ETag` header.
pub fn part_answer(status: u16, etag: Option<&str>) -> PartAnswer {
    match (status, etag.map(str::trim).filter(|e| !e.is_empty())) {
        (200..=299, Some(etag)) => PartAnswer::Stored(etag.to_owned()),
        (200..=299, None) => PartAnswer::NoEtag,
        (403, _) => PartAnswer::SignAgain,
        (404 | 410, _) => PartAnswer::Lost,
        // 409 is a part still being written by a dropped request, 429 a busy server.
        (409 | 429, _) => PartAnswer::TryLater,
        (status, _) if status >= 500 => PartAnswer::TryLater,
        _ => PartAnswer::Refused,
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
    use super::*;

    const MIB: u64 = 1024 * 1024;

    fn listed(part_number: u32, size: u64, etag: &str) -> UploadedPart {
        UploadedPart {
            part_number,
            size,
            etag: etag.into(),
        }
    }

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
    fn fingerprint_changes_with_any_fact() {
        let a = fingerprint("a.mp4", 10, 1.0);
        assert!(a.starts_with(STORAGE_PREFIX));
        assert_ne!(a, fingerprint("a.mp4", 11, 1.0));
        assert_ne!(a, fingerprint("a.mp4", 10, 2.0));
    }

    #[test]
    fn a_remembered_upload_reads_back_and_a_tus_url_does_not() {
        let remembered = Remembered {
            upload_id: "u_123".into(),
            part_size: 8 * MIB,
        };
        assert_eq!(
            Remembered::from_text(&remembered.to_text()),
            Some(remembered)
        );
        assert_eq!(
            Remembered::from_text("http://127.0.0.1:8080/api/uploads/u_123"),
            None
        );
        assert_eq!(Remembered::from_text("u_123 0"), None);
        assert_eq!(Remembered::from_text("../x 8"), None);
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

    #[test]
    fn parts_cover_the_file_and_the_last_has_the_rest() {
        let parts = Parts::new(20, 8);
        assert_eq!(parts.count(), 3);
        assert_eq!(parts.range(1), Some(0..8));
        assert_eq!(parts.range(3), Some(16..20));
        assert_eq!(parts.range(0), None);
        assert_eq!(parts.range(4), None);
        let empty = Parts::new(0, 8);
        assert_eq!(empty.count(), 1, "an empty file is one empty part");
        assert_eq!(empty.range(1), Some(0..0));
    }

    #[test]
    fn parts_are_handed_out_lowest_first_and_each_once() {
        let mut parts = Parts::new(40, 8);
        assert_eq!(parts.start_next(), Some(1));
        assert_eq!(parts.start_next(), Some(2));
        assert_eq!(parts.start_next(), Some(3));
        parts.stored(2, "\"b\"".into());
        parts.unsent(1);
        assert_eq!(
            parts.start_next(),
            Some(1),
            "a failed part is sent again first"
        );
        assert_eq!(parts.start_next(), Some(4));
        assert_eq!(parts.start_next(), Some(5));
        assert_eq!(parts.start_next(), None);
    }

    #[test]
    fn progress_sums_stored_parts_and_the_bytes_of_parts_in_flight() {
        let mut parts = Parts::new(20, 8);
        let (a, b, c) = (
            parts.start_next().unwrap(),
            parts.start_next().unwrap(),
            parts.start_next().unwrap(),
        );
        parts.progress(a, 5);
        parts.progress(b, 3);
        parts.progress(c, 99);
        assert_eq!(
            parts.sent_bytes(),
            5 + 3 + 4,
            "a part counts at most its size"
        );
        assert_eq!(parts.stored_bytes(), 0);
        parts.stored(a, "\"a\"".into());
        assert_eq!(parts.sent_bytes(), 8 + 3 + 4);
        assert_eq!(parts.stored_bytes(), 8);
        parts.unsent(b);
        assert_eq!(
            parts.sent_bytes(),
            8 + 4,
            "an interrupted part's bytes are no longer counted"
        );
        parts.progress(b, 6);
        assert_eq!(
            parts.sent_bytes(),
            8 + 4,
            "a late progress event of an interrupted part is ignored"
        );
    }

    #[test]
    fn the_completion_names_every_part_in_order_once_all_are_stored() {
        let mut parts = Parts::new(20, 8);
        for _ in 0..3 {
            parts.start_next();
        }
        parts.stored(3, "\"c\"".into());
        parts.stored(1, "\"a\"".into());
        assert_eq!(parts.completion(), None);
        assert!(!parts.all_stored());
        parts.stored(2, "\"b\"".into());
        assert!(parts.all_stored());
        let names: Vec<(u32, String)> = parts
            .completion()
            .unwrap()
            .into_iter()
            .map(|p| (p.part_number, p.etag))
            .collect();
        assert_eq!(
            names,
            vec![
                (1, "\"a\"".to_owned()),
                (2, "\"b\"".to_owned()),
                (3, "\"c\"".to_owned())
            ]
        );
    }

    #[test]
    fn a_resumed_upload_sends_only_the_parts_the_server_does_not_have() {
        let size = 3 * 8 * MIB - 100;
        let parts = Parts::resumed(
            size,
            8 * MIB,
            &[
                listed(1, 8 * MIB, "\"a\""),
                listed(3, 8 * MIB - 100, "\"c\""),
            ],
        );
        assert_eq!(parts.stored_bytes(), 2 * 8 * MIB - 100);
        let mut parts = parts;
        assert_eq!(parts.start_next(), Some(2));
        assert_eq!(parts.start_next(), None);
        parts.stored(2, "\"b\"".into());
        assert_eq!(parts.completion().map(|c| c.len()), Some(3));
    }

    #[test]
    fn a_listed_part_of_the_wrong_size_or_number_is_sent_again() {
        let mut parts = Parts::resumed(
            20,
            8,
            &[listed(1, 7, "\"short\""), listed(9, 8, "\"unknown\"")],
        );
        assert_eq!(parts.stored_bytes(), 0);
        assert_eq!(parts.start_next(), Some(1));
    }

    #[test]
    fn part_answers_decide_what_happens_next() {
        assert_eq!(
            part_answer(200, Some(" \"abc\" ")),
            PartAnswer::Stored("\"abc\"".into())
        );
        assert_eq!(part_answer(200, None), PartAnswer::NoEtag);
        assert_eq!(part_answer(200, Some("")), PartAnswer::NoEtag);
        assert_eq!(part_answer(403, None), PartAnswer::SignAgain);
        assert_eq!(part_answer(404, None), PartAnswer::Lost);
        assert_eq!(part_answer(410, None), PartAnswer::Lost);
        assert_eq!(part_answer(409, None), PartAnswer::TryLater);
        assert_eq!(part_answer(503, None), PartAnswer::TryLater);
        assert_eq!(part_answer(415, None), PartAnswer::Refused);
        assert_eq!(part_answer(400, None), PartAnswer::Refused);
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
