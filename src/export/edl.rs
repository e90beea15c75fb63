//! CMX 3600 edit decision list: one cut event per shot, source and record timecodes computed
//! from frame numbers at the video's own rate (drop-frame for 29.97/59.94), so an editor can
//! rebuild the cut list on a timeline that starts at 01:00:00:00.

use super::timecode::FrameRate;
use vidpush_protocol::{AnalysisResult, TransitionKind};

/// Reel name: CMX allows 8 characters; `AX` is what editors use for "auxiliary source".
const REEL: &str = "AX";

/// Keeps a title or clip name on one line and within CMX's 70 columns.
fn one_line(text: &str, max: usize) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect()
}

/// The EDL text for `result`; `video_name` becomes the title and the clip name.
pub fn cmx3600(result: &AnalysisResult, video_name: &str) -> String {
    let meta = &result.video_metadata;
    let rate = FrameRate::parse(&meta.frame_rate_fraction, meta.frame_rate);
    let title = one_line(video_name, 60);
    let mut out = format!(
        "TITLE: {title}\nFCM: {}\n",
        if rate.drop_frame {
            "DROP FRAME"
        } else {
            "NON-DROP FRAME"
        }
    );
    let mut record = rate.frames_per_hour();
    for (n, shot) in result.shots.iter().enumerate() {
        let s = &shot.span;
        let src_in = s.start_frame_number;
        let src_out = s.end_frame_number + 1;
        let length = src_out.saturating_sub(src_in);
        out.push_str(&format!(
            "\n{:03}  {REEL:<8} V     C        {} {} {} {}\n* FROM CLIP NAME: {}\n",
            n + 1,
            rate.timecode(src_in),
            rate.timecode(src_out),
            rate.timecode(record),
            rate.timecode(record + length),
            one_line(video_name, 50),
        ));
        let kind = shot.transition_in.kind;
        if matches!(kind, TransitionKind::Dissolve | TransitionKind::Fade) {
            out.push_str(&format!(
                "* DETECTED {} OF {} FRAMES\n",
                if kind == TransitionKind::Dissolve {
                    "DISSOLVE"
                } else {
                    "FADE"
                },
                shot.transition_in.duration_frames
            ));
        }
        record += length;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::tests_support::result;

    #[test]
    fn events_carry_source_and_record_timecodes() {
        let text = cmx3600(&result(), "beach.mp4");
        let expected = "TITLE: beach.mp4\nFCM: NON-DROP FRAME\n\
            \n001  AX       V     C        00:00:00:00 00:00:03:00 01:00:00:00 01:00:03:00\n\
            * FROM CLIP NAME: beach.mp4\n\
            \n002  AX       V     C        00:00:03:00 00:00:10:00 01:00:03:00 01:00:10:00\n\
            * FROM CLIP NAME: beach.mp4\n";
        assert_eq!(text, expected);
    }

    #[test]
    fn ntsc_material_gets_drop_frame_timecodes() {
        let mut r = result();
        r.video_metadata.frame_rate = 29.97;
        r.video_metadata.frame_rate_fraction = "30000/1001".into();
        r.shots[1].span.start_frame_number = 1800;
        r.shots[1].span.end_frame_number = 17_981;
        r.shots[0].span.end_frame_number = 1799;
        let text = cmx3600(&r, "ntsc.mov");
        assert!(text.contains("FCM: DROP FRAME\n"), "{text}");
        assert!(
            text.contains("00:00:00;00 00:01:00;02 01:00:00;00 01:01:00;02"),
            "{text}"
        );
        assert!(
            text.contains("00:01:00;02 00:10:00;00 01:01:00;02 01:10:00;00"),
            "{text}"
        );
    }

    #[test]
    fn gradual_transitions_are_noted_and_names_stay_on_one_line() {
        let mut r = result();
        r.shots[1].transition_in.kind = TransitionKind::Dissolve;
        r.shots[1].transition_in.duration_frames = 12;
        let text = cmx3600(&r, "evil\nname.mp4");
        assert!(text.contains("* DETECTED DISSOLVE OF 12 FRAMES\n"));
        assert!(text.starts_with("TITLE: evil name.mp4\n"));
    }
}
