//! WebVTT chapters: one cue per shot, for a `<track kind="chapters">` or a player's chapter list.

use crate::format;
use vidpush_protocol::AnalysisResult;

/// `HH:MM:SS.mmm`, as WebVTT requires (hours always present, so any length works).
pub fn timestamp(millis: u64) -> String {
    let (h, m, s, ms) = (
        millis / 3_600_000,
        (millis / 60_000) % 60,
        (millis / 1000) % 60,
        millis % 1000,
    );
    format!("{h:02}:{m:02}:{s:02}.{ms:03}")
}

/// The chapters file.
pub fn chapters(result: &AnalysisResult) -> String {
    let mut out = String::from("WEBVTT\n");
    for shot in &result.shots {
        let s = &shot.span;
        out.push_str(&format!(
            "\nshot-{}\n{} --> {}\nShot {} ({})\n",
            shot.index + 1,
            timestamp(s.start_timestamp_millis),
            timestamp(s.end_timestamp_millis),
            shot.index + 1,
            format::clock(s.start_timestamp_millis),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::tests_support::result;

    #[test]
    fn timestamps_have_hours_and_milliseconds() {
        assert_eq!(timestamp(0), "00:00:00.000");
        assert_eq!(timestamp(3_723_004), "01:02:03.004");
        assert_eq!(timestamp(36_000_000 * 3), "30:00:00.000");
    }

    #[test]
    fn one_cue_per_shot() {
        assert_eq!(
            chapters(&result()),
            "WEBVTT\n\nshot-1\n00:00:00.000 --> 00:00:03.000\nShot 1 (0:00)\n\
             \nshot-2\n00:00:03.000 --> 00:00:10.000\nShot 2 (0:03)\n"
        );
    }
}
