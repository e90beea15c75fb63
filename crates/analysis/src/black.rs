//! Black-frame technical cues: runs of frames that are (nearly) entirely black, as ffmpeg's
//! `blackdetect` and Rekognition's `BlackFrames` understand them. Owns only that judgement.

use crate::features::FrameFeatures;

/// Share of pixels that must be dark for a frame to be black (as `blackdetect`'s `pic_th`): a
/// logo or a line of text on black still counts as black.
const BLACK_PIXEL_SHARE: f32 = 0.98;

/// Shortest run reported, in milliseconds: a single dark frame in a fade is no cue, a tenth of a
/// second of black is a visible pause.
const MIN_RUN_MILLIS: f64 = 100.0;

/// A finished run of black frames.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BlackRun {
    /// First black frame.
    pub first: u64,
    /// Last black frame.
    pub last: u64,
    /// 50.0 to 100.0: how black the least black frame of the run was.
    pub confidence: f32,
}

/// Finds runs of black frames in a stream of features.
#[derive(Debug)]
pub struct BlackFrameDetector {
    min_frames: u64,
    frames_seen: u64,
    /// Start of the current run and its lowest dark share.
    run: Option<(u64, f32)>,
}

impl BlackFrameDetector {
    /// A detector for video at `fps` frames per second.
    pub fn new(fps: f64) -> Self {
        let min_frames = (MIN_RUN_MILLIS / 1000.0 * fps).ceil().max(2.0) as u64;
        BlackFrameDetector {
            min_frames,
            frames_seen: 0,
            run: None,
        }
    }

    /// Adds the next frame; returns a run that just ended, if it is long enough.
    pub fn push(&mut self, features: &FrameFeatures) -> Option<BlackRun> {
        let frame = self.frames_seen;
        self.frames_seen += 1;
        if features.dark_share >= BLACK_PIXEL_SHARE {
            let run = self.run.get_or_insert((frame, 1.0));
            run.1 = run.1.min(features.dark_share);
            return None;
        }
        self.end_run(frame)
    }

    /// Ends the video; returns a run that lasted to the end, if long enough.
    pub fn finish(&mut self) -> Option<BlackRun> {
        self.end_run(self.frames_seen)
    }

    /// Closes the current run just before frame `end`.
    fn end_run(&mut self, end: u64) -> Option<BlackRun> {
        let (first, lowest) = self.run.take()?;
        let share = ((lowest - BLACK_PIXEL_SHARE) / (1.0 - BLACK_PIXEL_SHARE)).clamp(0.0, 1.0);
        (end - first >= self.min_frames).then(|| BlackRun {
            first,
            last: end - 1,
            confidence: 50.0 + 50.0 * share,
        })
    }
}
