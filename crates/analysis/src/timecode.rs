//! SMPTE timecodes and segment spans. Owns the arithmetic from frame numbers to milliseconds and
//! `HH:MM:SS:FF` text, including NTSC drop-frame counting; it never looks at pixels.

use vidpush_protocol::result::Span;

/// A frame rate as the exact fraction the container states, e.g. 30000/1001 for NTSC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameRate {
    /// Frames per `denominator` seconds.
    pub numerator: u64,
    /// Seconds per `numerator` frames.
    pub denominator: u64,
}

impl FrameRate {
    /// The rate used when a container states none: PAL's 25 frames per second.
    pub const FALLBACK: FrameRate = FrameRate {
        numerator: 25,
        denominator: 1,
    };

    /// Frames per second as a float, e.g. 29.97002997.
    pub fn fps(self) -> f64 {
        self.numerator as f64 / self.denominator as f64
    }

    /// Start of frame `frame`, in whole milliseconds.
    pub fn frame_to_millis(self, frame: u64) -> u64 {
        // u128: a day of 60 fps video times 1000 times 1001 does not fit comfortably in u64.
        let millis =
            u128::from(frame) * 1000 * u128::from(self.denominator) / u128::from(self.numerator);
        millis as u64
    }

    /// The nominal whole frame rate that timecode frames count to (30 for 29.97).
    fn nominal(self) -> u64 {
        ((self.numerator + self.denominator / 2) / self.denominator).max(1)
    }

    /// True for 29.97 and 59.94: the rates whose timecodes skip frame numbers to stay on the clock.
    pub fn is_drop_frame(self) -> bool {
        self.denominator == 1001 && matches!(self.nominal(), 30 | 60)
    }
}

/// A SMPTE timecode for one frame number at one frame rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timecode {
    hours: u64,
    minutes: u64,
    seconds: u64,
    frames: u64,
    drop_frame: bool,
}

impl Timecode {
    /// The timecode of frame `frame` (0-based) at `rate`.
    pub fn from_frame(frame: u64, rate: FrameRate) -> Self {
        let nominal = rate.nominal();
        let drop_frame = rate.is_drop_frame();
        let mut label = frame;
        if drop_frame {
            // Drop-frame skips the first `dropped` labels of every minute except each tenth
            // minute, so the timecode tracks wall-clock time at 1000/1001 of the nominal rate.
            let dropped = nominal / 15;
            let per_ten_minutes = nominal * 600 - dropped * 9;
            let per_minute = nominal * 60 - dropped;
            let tens = frame / per_ten_minutes;
            let rest = frame % per_ten_minutes;
            label += dropped * 9 * tens;
            if rest > dropped {
                label += dropped * ((rest - dropped) / per_minute);
            }
        }
        Timecode {
            hours: label / (nominal * 3600),
            minutes: label / (nominal * 60) % 60,
            seconds: label / nominal % 60,
            frames: label % nominal,
            drop_frame,
        }
    }
}

impl std::fmt::Display for Timecode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let separator = if self.drop_frame { ';' } else { ':' };
        write!(
            f,
            "{:02}:{:02}:{:02}{separator}{:02}",
            self.hours, self.minutes, self.seconds, self.frames
        )
    }
}

/// The span of frames `first..=last` at `rate`, as the protocol's `Span`.
pub fn span(first: u64, last: u64, rate: FrameRate) -> Span {
    let last = last.max(first);
    let start = rate.frame_to_millis(first);
    let end = rate.frame_to_millis(last + 1);
    let frames = last - first + 1;
    Span {
        start_timestamp_millis: start,
        end_timestamp_millis: end,
        duration_millis: end - start,
        start_timecode_smpte: Timecode::from_frame(first, rate).to_string(),
        end_timecode_smpte: Timecode::from_frame(last + 1, rate).to_string(),
        duration_smpte: Timecode::from_frame(frames, rate).to_string(),
        start_frame_number: first,
        end_frame_number: last,
        duration_frames: frames,
    }
}

/// ffmpeg's clock text, `HH:MM:SS.fraction` (its progress reports, Matroska's `DURATION` tags),
/// in milliseconds; negative or malformed times are `None`.
pub fn clock_millis(clock: &str) -> Option<u64> {
    let mut parts = clock.split(':');
    let (hours, minutes, seconds) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let hours: u64 = hours.parse().ok()?;
    let minutes: u64 = minutes.parse().ok()?;
    let seconds: f64 = seconds.parse().ok()?;
    if !seconds.is_finite() || seconds < 0.0 {
        return None;
    }
    Some((hours * 3600 + minutes * 60) * 1000 + (seconds * 1000.0).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ffmpeg_clock_text_reads_as_milliseconds() {
        assert_eq!(clock_millis("01:02:03.45"), Some(3_723_450));
        assert_eq!(clock_millis("00:00:04.007000000"), Some(4_007));
        assert_eq!(clock_millis("-00:00:00.04"), None);
        assert_eq!(clock_millis("N/A"), None);
    }

    const NTSC: FrameRate = FrameRate {
        numerator: 30000,
        denominator: 1001,
    };
    const NTSC_60: FrameRate = FrameRate {
        numerator: 60000,
        denominator: 1001,
    };
    const PAL: FrameRate = FrameRate {
        numerator: 25,
        denominator: 1,
    };

    fn tc(frame: u64, rate: FrameRate) -> String {
        Timecode::from_frame(frame, rate).to_string()
    }

    #[test]
    fn non_drop_frame_counts_plainly() {
        assert_eq!(tc(0, PAL), "00:00:00:00");
        assert_eq!(tc(24, PAL), "00:00:00:24");
        assert_eq!(tc(25, PAL), "00:00:01:00");
        assert_eq!(tc(25 * 3661 + 3, PAL), "01:01:01:03");
    }

    #[test]
    fn drop_frame_skips_two_labels_each_minute_but_not_each_tenth() {
        assert_eq!(tc(1799, NTSC), "00:00:59;29");
        assert_eq!(tc(1800, NTSC), "00:01:00;02");
        assert_eq!(tc(3597, NTSC), "00:01:59;29");
        assert_eq!(tc(3598, NTSC), "00:02:00;02");
        assert_eq!(tc(17981, NTSC), "00:09:59;29");
        assert_eq!(tc(17982, NTSC), "00:10:00;00");
        assert_eq!(tc(107892, NTSC), "01:00:00;00");
    }

    #[test]
    fn drop_frame_at_59_94_skips_four_labels() {
        assert_eq!(tc(3599, NTSC_60), "00:00:59;59");
        assert_eq!(tc(3600, NTSC_60), "00:01:00;04");
    }

    #[test]
    fn film_rate_23_976_is_not_drop_frame() {
        let film = FrameRate {
            numerator: 24000,
            denominator: 1001,
        };
        assert!(!film.is_drop_frame());
        assert_eq!(tc(24, film), "00:00:01:00");
    }

    #[test]
    fn span_covers_first_to_last_frame_inclusive() {
        let s = span(25, 49, PAL);
        assert_eq!(s.start_timestamp_millis, 1000);
        assert_eq!(s.end_timestamp_millis, 2000);
        assert_eq!(s.duration_millis, 1000);
        assert_eq!(s.duration_frames, 25);
        assert_eq!(s.start_timecode_smpte, "00:00:01:00");
        assert_eq!(s.end_timecode_smpte, "00:00:02:00");
        assert_eq!(s.duration_smpte, "00:00:01:00");
    }

    #[test]
    fn ntsc_milliseconds_follow_the_exact_fraction() {
        assert_eq!(NTSC.frame_to_millis(30), 1001);
        assert_eq!(NTSC.frame_to_millis(30000), 1_001_000);
    }
}
