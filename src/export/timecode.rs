//! SMPTE timecodes from frame numbers, including drop-frame for 29.97 and 59.94 material.

/// A video frame rate as the exact fraction ffprobe reports (`30000/1001`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameRate {
    /// Whole frames per timecode second: 30 for 29.97, 24 for 23.976.
    pub nominal: u64,
    /// True for 29.97 and 59.94, whose timecodes skip frame numbers to stay on the clock.
    pub drop_frame: bool,
}

impl FrameRate {
    /// Parses `num/den` (or a plain number). Falls back to `fallback` frames per second when
    /// the fraction is missing or nonsense; never returns a zero rate.
    pub fn parse(fraction: &str, fallback: f64) -> Self {
        let parsed = match fraction.split_once('/') {
            Some((n, d)) => n
                .trim()
                .parse::<u64>()
                .ok()
                .zip(d.trim().parse::<u64>().ok()),
            None => fraction.trim().parse::<u64>().ok().map(|n| (n, 1)),
        };
        match parsed {
            Some((num, den)) if num > 0 && den > 0 => {
                let nominal = ((num as f64 / den as f64).round() as u64).max(1);
                let drop_frame = den == 1001 && (nominal == 30 || nominal == 60);
                Self {
                    nominal,
                    drop_frame,
                }
            }
            _ => Self {
                nominal: (fallback.round() as u64).max(1),
                drop_frame: false,
            },
        }
    }

    /// Frame numbers skipped at each minute that is not a multiple of ten.
    fn dropped_per_minute(self) -> u64 {
        if self.drop_frame {
            self.nominal / 15
        } else {
            0
        }
    }

    /// How many frames one hour of timecode spans (a drop-frame hour is 107 892 frames).
    pub fn frames_per_hour(self) -> u64 {
        let per_ten_minutes = self.nominal * 600 - 9 * self.dropped_per_minute();
        per_ten_minutes * 6
    }

    /// The timecode `HH:MM:SS:FF` of frame `frame` (0-based), with `;` before the frames when
    /// drop-frame. Hours wrap at 24, as timecode does.
    pub fn timecode(self, frame: u64) -> String {
        let drop = self.dropped_per_minute();
        let mut f = frame;
        if drop > 0 {
            let per_ten_minutes = self.nominal * 600 - 9 * drop;
            let per_minute = self.nominal * 60 - drop;
            let tens = f / per_ten_minutes;
            let rest = f % per_ten_minutes;
            f += 9 * drop * tens;
            if rest > drop {
                f += drop * ((rest - drop) / per_minute);
            }
        }
        let fps = self.nominal;
        let ff = f % fps;
        let ss = (f / fps) % 60;
        let mm = (f / (fps * 60)) % 60;
        let hh = (f / (fps * 3600)) % 24;
        let sep = if self.drop_frame { ';' } else { ':' };
        format!("{hh:02}:{mm:02}:{ss:02}{sep}{ff:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fractions_and_spots_drop_frame_rates() {
        let ntsc = FrameRate::parse("30000/1001", 29.97);
        assert_eq!((ntsc.nominal, ntsc.drop_frame), (30, true));
        let film = FrameRate::parse("24000/1001", 23.976);
        assert_eq!((film.nominal, film.drop_frame), (24, false));
        assert_eq!(FrameRate::parse("25/1", 0.0).nominal, 25);
        assert!(FrameRate::parse("60000/1001", 0.0).drop_frame);
        assert_eq!(FrameRate::parse("0/0", 29.97).nominal, 30);
        assert_eq!(FrameRate::parse("", 0.0).nominal, 1);
    }

    #[test]
    fn non_drop_timecodes_count_plain_frames() {
        let pal = FrameRate::parse("25/1", 25.0);
        assert_eq!(pal.timecode(0), "00:00:00:00");
        assert_eq!(pal.timecode(24), "00:00:00:24");
        assert_eq!(pal.timecode(25 * 3661 + 3), "01:01:01:03");
        assert_eq!(pal.frames_per_hour(), 90_000);
    }

    #[test]
    fn drop_frame_skips_two_numbers_each_minute_but_every_tenth() {
        let ntsc = FrameRate::parse("30000/1001", 29.97);
        assert_eq!(ntsc.timecode(1799), "00:00:59;29");
        assert_eq!(ntsc.timecode(1800), "00:01:00;02");
        assert_eq!(ntsc.timecode(3597), "00:01:59;29");
        assert_eq!(ntsc.timecode(3598), "00:02:00;02");
        assert_eq!(ntsc.timecode(17_981), "00:09:59;29");
        assert_eq!(ntsc.timecode(17_982), "00:10:00;00");
        assert_eq!(ntsc.frames_per_hour(), 107_892);
        assert_eq!(ntsc.timecode(107_892), "01:00:00;00");
    }

    #[test]
    fn drop_frame_at_59_94_skips_four() {
        let r = FrameRate::parse("60000/1001", 59.94);
        assert_eq!(r.timecode(3600), "00:01:00;04");
        assert_eq!(r.timecode(35_964), "00:10:00;00");
    }
}
