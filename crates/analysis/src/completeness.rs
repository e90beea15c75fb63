//! Whether the whole video decoded: how far ffmpeg got, read from its final progress report,
//! against the length the container declares. A file cut short after an index that describes
//! all of it (an MP4 written with `+faststart`, a WebM) opens and decodes without ffmpeg
//! failing; only this comparison shows that most of it is missing.
//!
//! Owns the tolerance. It never decodes and never reads the file.

use crate::complaint::{Complaint, PROGRESS_REPORT};
use crate::error::AnalysisError;
use crate::timecode::clock_millis;

/// Least share of the declared length that must decode for a file to count as whole (90%).
/// Real files fall short of their declared length by a frame or two of rounding, the last
/// frame's duration, an edit list trimming B-frame delay, or a variable frame rate whose last
/// frame is held: a few percent at most on short clips. A truncated upload loses far more.
const MIN_DECODED_SHARE: f64 = 0.9;

/// Least shortfall that counts as damage (1 s), whatever the share: on a clip of a few seconds
/// ten percent is only a few frames, which rounding and edit lists can account for.
const MIN_SHORTFALL_MILLIS: u64 = 1_000;

/// What ffmpeg's progress reports say the decoded time is: `time=HH:MM:SS.cc`.
const REPORT_TIME: &str = "time=";

/// Checks that decoding reached the end the container declares, within the tolerance.
/// `declared_millis` is the probe's duration (0 when unknown: nothing to compare with);
/// `stderr` is everything ffmpeg printed while decoding, including its final report, and goes
/// with the error for the operator's log.
pub fn check_decoded_to_end(stderr: &str, declared_millis: u64) -> Result<(), AnalysisError> {
    let Some(read_millis) = decoded_millis(stderr) else {
        // No report (an ffmpeg that prints none): no evidence either way.
        return Ok(());
    };
    if !is_cut_short(read_millis, declared_millis) {
        return Ok(());
    }
    Err(AnalysisError::Refused {
        complaint: Complaint::Incomplete {
            read_millis,
            declared_millis,
        },
        tool_output: stderr.to_owned(),
    })
}

/// True when `read_millis` falls short of `declared_millis` by more than real files ever do:
/// below [`MIN_DECODED_SHARE`] of it and more than [`MIN_SHORTFALL_MILLIS`] short.
fn is_cut_short(read_millis: u64, declared_millis: u64) -> bool {
    (read_millis as f64) < declared_millis as f64 * MIN_DECODED_SHARE
        && declared_millis.saturating_sub(read_millis) > MIN_SHORTFALL_MILLIS
}

/// The decoded time of ffmpeg's last progress report, in milliseconds; `None` without one, or
/// when it says `N/A` (no timestamps). The reports end in `\r` (or `\n` for the last one).
fn decoded_millis(stderr: &str) -> Option<u64> {
    let report = stderr.split(['\r', '\n']).rfind(|line| {
        line.trim_start().starts_with(PROGRESS_REPORT) && line.contains(REPORT_TIME)
    })?;
    let (_, after) = report.split_once(REPORT_TIME)?;
    let time = after.split_whitespace().next()?;
    clock_millis(time)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real stderr of ffmpeg 5.1 (`-loglevel error -stats`) decoding the first 60,000 bytes of
    /// a 10 s faststart MP4: it exits with success after 1.6 s of video.
    const TRUNCATED_FASTSTART: &str = "frame=    1 fps=0.0 q=-0.0 size=      10kB time=00:00:00.04 bitrate=2090.4kbits/s speed=8.73x    \r\
        [h264 @ 0x55e6110df7c0] Invalid NAL unit size (1955 > 942).\n\
        [mov,mp4,m4a,3gp,3g2,mj2 @ 0x55e6110af980] stream 0, offset 0xf3b0: partial file\n\
        frame=   40 fps=0.0 q=-0.0 Lsize=     405kB time=00:00:01.60 bitrate=2075.2kbits/s speed=41.5x    \n";

    /// Real stderr of the same ffmpeg decoding the whole file.
    const WHOLE: &str = "frame=    1 fps=0.0 q=-0.0 size=     113kB time=00:00:00.04 bitrate=23053.2kbits/s speed=11.3x    \r\
        frame=  250 fps=0.0 q=-0.0 Lsize=   28127kB time=00:00:10.00 bitrate=23041.2kbits/s speed=67.9x    \n";

    #[test]
    fn the_last_report_says_how_far_decoding_got() {
        assert_eq!(decoded_millis(TRUNCATED_FASTSTART), Some(1_600));
        assert_eq!(decoded_millis(WHOLE), Some(10_000));
        assert_eq!(decoded_millis("frame= 3 time=N/A bitrate=N/A\n"), None);
        assert_eq!(decoded_millis("no report at all\n"), None);
    }

    #[test]
    fn a_file_cut_short_after_its_index_is_incomplete_and_keeps_ffmpegs_words() {
        let error = check_decoded_to_end(TRUNCATED_FASTSTART, 10_000).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the file is damaged or incomplete: only 1.6 s of its 10.0 s could be read; \
             try again with the complete original file"
        );
        let said = error
            .tool_output()
            .expect("ffmpeg's words are kept for the log");
        assert!(said.contains("partial file"), "{said}");
    }

    #[test]
    fn a_whole_file_or_an_unknown_length_passes() {
        assert!(check_decoded_to_end(WHOLE, 10_000).is_ok());
        assert!(check_decoded_to_end(TRUNCATED_FASTSTART, 0).is_ok());
        assert!(check_decoded_to_end("", 10_000).is_ok());
    }

    #[test]
    fn shortfalls_real_files_have_are_tolerated() {
        // The last frame's duration, an edit list, a held last frame of variable-rate video.
        assert!(!is_cut_short(9_960, 10_000));
        assert!(!is_cut_short(9_100, 10_000));
        // A 2 s clip missing 0.5 s: a quarter, but within a second.
        assert!(!is_cut_short(1_500, 2_000));
        // An hour missing 2 minutes: over a second, but within ten percent.
        assert!(!is_cut_short(3_480_000, 3_600_000));
    }

    #[test]
    fn shortfalls_of_a_cut_file_are_not() {
        assert!(is_cut_short(8_900, 10_000));
        assert!(is_cut_short(1_600, 10_000));
        assert!(is_cut_short(0, 1_200));
        assert!(is_cut_short(3_000_000, 3_600_000));
    }
}
