//! CSV of shots (RFC 4180: comma separated, CRLF line ends, quoted when needed).

use crate::format::fixed;
use vidpush_protocol::{AnalysisResult, TransitionKind};

const HEADER: &str = "index,start_ms,end_ms,duration_ms,start_timecode,end_timecode,\
start_frame,end_frame,duration_frames,transition,confidence,mean_brightness,motion,dominant_colors";

/// Quotes a field when it holds a comma, a quote or a line break; quotes inside are doubled.
pub fn field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

fn transition(kind: TransitionKind) -> &'static str {
    match kind {
        TransitionKind::Start => "start",
        TransitionKind::Cut => "cut",
        TransitionKind::Dissolve => "dissolve",
        TransitionKind::Fade => "fade",
    }
}

/// One header row and one row per shot.
pub fn csv(result: &AnalysisResult) -> String {
    let mut out = String::from(HEADER);
    out.push_str("\r\n");
    for shot in &result.shots {
        let s = &shot.span;
        let colors: Vec<String> = shot
            .facts
            .dominant_colors
            .iter()
            .map(|c| format!("{} {}%", c.hex, fixed(f64::from(c.share * 100.0), 0)))
            .collect();
        let row = [
            shot.index.to_string(),
            s.start_timestamp_millis.to_string(),
            s.end_timestamp_millis.to_string(),
            s.duration_millis.to_string(),
            field(&s.start_timecode_smpte),
            field(&s.end_timecode_smpte),
            s.start_frame_number.to_string(),
            s.end_frame_number.to_string(),
            s.duration_frames.to_string(),
            transition(shot.transition_in.kind).to_owned(),
            fixed(f64::from(shot.confidence), 1),
            fixed(f64::from(shot.facts.mean_brightness), 3),
            fixed(f64::from(shot.facts.motion), 3),
            field(&colors.join(", ")),
        ];
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::tests_support::result;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
    }

    #[test]
    fn one_row_per_shot_with_crlf() {
        let text = csv(&result());
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(
            lines.len(),
            4,
            "header, two shots, trailing empty: {text:?}"
        );
        assert!(lines[0].starts_with("index,start_ms,"));
        assert_eq!(
            lines[1],
            "0,0,3000,3000,00:00:00:00,00:00:03:00,0,74,75,start,97.5,0.400,0.100,#336699 60%"
        );
        assert!(lines[2].starts_with("1,3000,10000,7000,"));
        assert!(lines[2].contains(",cut,"));
    }

    #[test]
    fn several_colours_are_one_quoted_field() {
        let mut r = result();
        r.shots[0]
            .facts
            .dominant_colors
            .push(vidpush_protocol::DominantColor {
                hex: "#ffffff".into(),
                share: 0.25,
            });
        assert!(csv(&r).contains(",\"#336699 60%, #ffffff 25%\"\r\n"));
    }
}
