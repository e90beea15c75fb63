//! Our shot detector. Frames go in one at a time as [`FrameFeatures`]; final [`Boundary`]s come
//! out a fixed look-ahead later. Owns the decisions — hard cut, flash, gradual, fade — and never
//! touches ffmpeg, pixels or timing.
//!
//! - Hard cut at frame `t`: the change from `t - 1` to `t` stands out against the median change
//!   of its neighbours on both sides (adaptive, so steady fast motion raises the bar), and it
//!   carries most of the change across a few frames around it (a dissolve spreads it out). A
//!   cut between a still shot and a fast pan raises the bar with the pan's own motion: it need
//!   only stand out against the calmer side, provided the picture's global motion does not
//!   explain the change (else it is a pan starting or stopping).
//! - Flash: the picture returns — frame `t - 1` matches `t + 1` or `t + 2` (or the other way
//!   round) — so a flash, a strobe or one corrupt frame is no cut. Longer excursions (a flash
//!   decaying over four frames, lightning flickering for six, an object passing close to the
//!   lens) are no cut either when the picture after matches the picture before and every frame
//!   between is that picture under more light (brighter, its pattern kept) or partly hidden
//!   (much of it unchanged).
//! - Gradual: windows whose inner frames blend their two ends (see [`crate::gradual`]); a run of
//!   such windows is one transition, kind fade when one end is dark, else dissolve.
//! - Fades through black are merged by [`BoundaryMerger`].

use crate::boundary::{Boundary, BoundaryMerger};
use crate::features::FrameFeatures;
use crate::gradual::{self, BlendWindow, MAX_HALF, MAX_SETTLE};
use crate::motion;
use crate::options::{DEFAULT_SENSITIVITY, MAX_SENSITIVITY, MIN_SENSITIVITY};
use std::collections::VecDeque;
use vidpush_protocol::result::TransitionKind;

/// Neighbours on each side whose changes form a cut's baseline: ±8 frames sees a third of a
/// second of motion, and a median over 16 ignores one other cut in a short shot nearby.
const BASELINE_RADIUS: u64 = 8;

/// Least change score for a cut at all, whatever the baseline: below it two pictures are too
/// alike (0.5 of histogram change alone, or ~0.1 luma change plus some colour change).
const CUT_MIN_SCORE: f32 = 0.25;

/// How many times the neighbours' median change a cut must reach: 3x keeps steady fast motion
/// (high median) from qualifying while real cuts reach 10x and more.
const CUT_BASELINE_RATIO: f32 = 3.0;

/// Added to the scaled baseline, so noise in a still shot (median near 0) is not a cut.
const CUT_BASELINE_MARGIN: f32 = 0.1;

/// Least share of a step's luma change that the picture's global motion must leave unexplained
/// for the step to be a cut when it stands out only against the calmer of its two shots: the
/// steps of the benchmark's fast pan leave 0.02-0.14 of their change unexplained, the cuts into
/// and out of it 0.83 and 0.93 (seed 304).
const CUT_MIN_UNEXPLAINED_SHARE: f32 = 0.5;

/// Share of the change across `t - 3 .. t + 2` a cut's single step must carry: a cut carries
/// nearly all of it, one step of a dissolve a fraction.
const CUT_STEP_SHARE: f32 = 0.6;

/// Frames on each side of the cut used for the share above.
const CUT_SPREAD: u64 = 2;

/// A flash ends within this many frames: the picture after matches the picture before.
const FLASH_FRAMES: u64 = 2;

/// How close "matches" is for a flash: the change between the frames around the flash is below
/// this share of the change into the flash.
const FLASH_RETURN_SHARE: f32 = 0.4;

/// Longest excursion that is no cut when the picture after it matches the picture before it: a
/// camera flash decays over up to four frames, lightning flickers for five or six, a car passing
/// close to the lens crosses in three to five. Beyond [`FLASH_FRAMES`] the frames in between
/// must be the same picture under more light or partly hidden, so a short insert of another
/// shot between two halves of one shot stays a pair of cuts.
const LIGHT_EXCURSION_FRAMES: u64 = 6;

/// Least correlation of luma, pixel by pixel, between the picture before a longer excursion and
/// every frame of it: light laid over a picture keeps its pattern (a flash at 0.95 white, codec
/// noise included, still correlates above 0.8), another shot's picture does not (near 0).
/// A frame too flat to correlate (a full-white frame) passes.
const LIGHT_MIN_CORRELATION: f32 = 0.5;

/// Luma standard deviation (0 to 255) below which a frame is too flat to correlate.
const FLAT_LUMA_DEVIATION: f32 = 2.0;

/// How much brighter (mean luma, 0 to 1) than both ends every frame of a longer excursion must
/// be: the faintest tail of a decaying flash (a fifth of white) lifts the mean by more than 0.05,
/// while codec noise moves it by less than 0.005.
const LIGHT_EXCURSION_LIFT: f32 = 0.02;

/// Mean luma below which a frame counts as dark for fades: the first and last frames of a fade
/// to black are at most this bright.
pub const DARK_LUMA: f32 = 0.08;

/// Frames beyond a gradual transition's blending frames that may still be dark for it to count as
/// a fade: the last frames of a fade to black are too dark for the blend projection to measure,
/// so the detected extent stops a frame or two short of the black.
const FADE_SLACK: u64 = 2;

/// Frames a gradual window and its settle test reach on either side of its centre.
const GRADUAL_REACH: u64 = MAX_HALF + MAX_SETTLE;

/// Frames of look-ahead before frame `t` can be decided: the widest gradual window with its
/// settle test, the cut baseline and the flash check must all have seen their future frames.
pub const LOOKAHEAD: u64 = if GRADUAL_REACH > BASELINE_RADIUS {
    GRADUAL_REACH
} else {
    BASELINE_RADIUS
} + 1;

/// Frames kept behind the one being decided, for the widest window with its settle test and
/// the cut spread.
const HISTORY: u64 = GRADUAL_REACH + CUT_SPREAD + 2;

/// Most frames kept for an open gradual run (12 s at 25 fps): a run that long is motion the
/// blend test keeps accepting, and memory must stay bounded whatever the video does.
const MAX_RUN_MEMORY: u64 = 300;

/// What every hard-cut bar is divided by: the caller's sensitivity, clamped.
#[derive(Clone, Copy, Debug)]
struct CutSensitivity(f32);

impl Default for CutSensitivity {
    fn default() -> Self {
        CutSensitivity(DEFAULT_SENSITIVITY)
    }
}

/// A gradual transition still growing: consecutive centres whose windows pass the blend test.
#[derive(Clone, Copy, Debug)]
struct GradualRun {
    start: u64,
    end: u64,
    best: BlendWindow,
}

/// Finds shot boundaries in a stream of frame features.
#[derive(Debug, Default)]
pub struct ShotDetector {
    frames: VecDeque<FrameFeatures>,
    /// Change score from the previous frame to each frame in `frames`.
    steps: VecDeque<f32>,
    /// Frame number of `frames[0]`.
    base: u64,
    /// Frames pushed so far.
    pushed: u64,
    /// Next frame to decide.
    next_decision: u64,
    run: Option<GradualRun>,
    /// Boundaries decided but not yet passed on: a cut may sit inside a gradual run that is
    /// still open, and a gradual boundary may lie before cuts decided after it.
    decided: Vec<Boundary>,
    merger: BoundaryMerger,
    /// Last frame of the latest gradual transition: a second run whose window spans the same
    /// transition (a long window reaching across it from steady frames) is the same boundary.
    last_gradual: Option<u64>,
    /// How readily cuts are reported.
    sensitivity: CutSensitivity,
}

impl ShotDetector {
    /// A detector for a new video.
    pub fn new() -> Self {
        Self::default()
    }

    /// A detector whose hard-cut bars are divided by `sensitivity` (see
    /// [`crate::AnalysisOptions::sensitivity`]), clamped to its range.
    pub fn with_sensitivity(sensitivity: f32) -> Self {
        let sensitivity = if sensitivity.is_nan() {
            DEFAULT_SENSITIVITY
        } else {
            sensitivity.clamp(MIN_SENSITIVITY, MAX_SENSITIVITY)
        };
        ShotDetector {
            sensitivity: CutSensitivity(sensitivity),
            ..Self::default()
        }
    }

    /// Adds the next frame; returns the boundaries that became final, in order.
    pub fn push(&mut self, features: FrameFeatures) -> Vec<Boundary> {
        self.merger.observe(features.mean_luma < DARK_LUMA);
        let step = self
            .frames
            .back()
            .map_or(0.0, |previous| previous.distance(&features).score());
        self.frames.push_back(features);
        self.steps.push_back(step);
        self.pushed += 1;
        let mut out = Vec::new();
        while self.next_decision + LOOKAHEAD < self.pushed {
            self.decide(self.next_decision, &mut out);
            self.next_decision += 1;
        }
        self.prune();
        out
    }

    /// Ends the video: decides the remaining frames and returns the last boundaries.
    pub fn finish(&mut self) -> Vec<Boundary> {
        let mut out = Vec::new();
        while self.next_decision < self.pushed {
            self.decide(self.next_decision, &mut out);
            self.next_decision += 1;
        }
        self.close_run(&mut out);
        self.flush_decided(u64::MAX, &mut out);
        out.extend(self.merger.finish());
        out
    }

    /// Frames before this number are settled: every boundary starting before it was returned.
    pub fn settled(&self) -> u64 {
        let mut frontier = self.frontier();
        if let Some(pending) = self.merger.pending() {
            frontier = frontier.min(pending.first);
        }
        if let Some(cut) = self.decided.first() {
            frontier = frontier.min(cut.frame);
        }
        frontier
    }

    /// No boundary detected from now on starts before this frame.
    fn frontier(&self) -> u64 {
        self.run
            .map_or(self.next_decision, |run| run.start.min(self.next_decision))
    }

    fn frame(&self, n: u64) -> Option<&FrameFeatures> {
        n.checked_sub(self.base)
            .and_then(|i| self.frames.get(i as usize))
    }

    fn step(&self, n: u64) -> f32 {
        n.checked_sub(self.base)
            .and_then(|i| self.steps.get(i as usize))
            .copied()
            .unwrap_or(0.0)
    }

    fn prune(&mut self) {
        // An open gradual run keeps the frames of its widest window, up to a bound.
        let mut keep_from = self.next_decision.saturating_sub(HISTORY);
        if let Some(run) = self.run {
            keep_from = keep_from
                .min(run.start.saturating_sub(MAX_HALF))
                .max(self.next_decision.saturating_sub(MAX_RUN_MEMORY));
        }
        while self.base < keep_from && !self.frames.is_empty() {
            self.frames.pop_front();
            self.steps.pop_front();
            self.base += 1;
        }
    }

    fn decide(&mut self, t: u64, out: &mut Vec<Boundary>) {
        if let Some(cut) = self.cut_at(t) {
            self.decided.push(cut);
        }
        let window = gradual::best_window(t, |n| self.frame(n), |n| self.step(n));
        match (window, &mut self.run) {
            (Some(window), Some(run)) => {
                run.end = t;
                if window.change > run.best.change {
                    run.best = window;
                }
            }
            (Some(window), None) => {
                self.run = Some(GradualRun {
                    start: t,
                    end: t,
                    best: window,
                })
            }
            (None, Some(_)) => self.close_run(out),
            (None, None) => {}
        }
        self.flush_decided(self.frontier(), out);
        let frontier = self.frontier();
        if let Some(boundary) = self.merger.settle(frontier, LOOKAHEAD + 2 * MAX_HALF) {
            out.push(boundary);
        }
    }

    /// The hard-cut test for the step from `t - 1` to `t`.
    fn cut_at(&self, t: u64) -> Option<Boundary> {
        if t == 0 {
            return None;
        }
        let step = self.step(t);
        let sensitivity = self.sensitivity.0;
        if step < CUT_MIN_SCORE / sensitivity {
            return None;
        }
        let low = t.saturating_sub(BASELINE_RADIUS).max(1);
        let high = (t + BASELINE_RADIUS).min(self.pushed - 1);
        let median = |steps: &mut dyn Iterator<Item = u64>| {
            let mut changes: Vec<f32> = steps.map(|n| self.step(n)).collect();
            changes.sort_by(f32::total_cmp);
            changes.get(changes.len() / 2).copied()
        };
        let threshold = |baseline: f32| {
            (baseline * CUT_BASELINE_RATIO + CUT_BASELINE_MARGIN).max(CUT_MIN_SCORE) / sensitivity
        };
        let both = median(&mut (low..=high).filter(|&n| n != t)).unwrap_or(0.0);
        // The calmer of the two shots: a cut between a still shot and a fast pan stands out
        // against the still one only.
        let calmer = [median(&mut (low..t)), median(&mut (t + 1..=high))]
            .into_iter()
            .flatten()
            .fold(both, f32::min);
        let mut threshold_met = threshold(both);
        if step < threshold_met {
            threshold_met = threshold(calmer);
            if step < threshold_met || self.motion_explains(t) {
                return None;
            }
        }
        let before = self.frame(t - 1)?;
        let after = self.frame(t)?;
        let wide_before = self
            .frame(t.saturating_sub(1 + CUT_SPREAD).max(self.base))
            .unwrap_or(before);
        let wide_after = self
            .frame((t + CUT_SPREAD).min(self.pushed - 1))
            .unwrap_or(after);
        if step < CUT_STEP_SHARE * wide_before.distance(wide_after).score() {
            return None;
        }
        if self.is_flash(t, step) {
            return None;
        }
        let strength = ((step - threshold_met) / threshold_met).clamp(0.0, 1.0);
        Some(Boundary {
            frame: t,
            kind: TransitionKind::Cut,
            first: t,
            last: t,
            confidence: 50.0 + 50.0 * strength,
        })
    }

    /// True when the step from `t - 1` to `t` is mostly the picture moving: moved along the
    /// global motion between the two frames, `t - 1` shows what `t` shows. A cut leaves most of
    /// the change unexplained, whatever the motion of the shots around it.
    fn motion_explains(&self, t: u64) -> bool {
        let (Some(before), Some(after)) = (self.frame(t - 1), self.frame(t)) else {
            return true;
        };
        let shift = motion::displacement(before, after);
        let unexplained = motion::unexplained_change(before, after, shift);
        unexplained < CUT_MIN_UNEXPLAINED_SHARE * before.distance(after).pixels
    }

    /// True when the picture before `t` comes back within [`FLASH_FRAMES`] (a flash starting at
    /// `t`) or the picture at `t` was there just before a short interruption (a flash ending).
    fn is_flash(&self, t: u64, step: f32) -> bool {
        let returns = |a: u64, b: u64| match (self.frame(a), self.frame(b)) {
            (Some(x), Some(y)) => x.distance(y).score() < FLASH_RETURN_SHARE * step,
            _ => false,
        };
        (1..=FLASH_FRAMES).any(|k| returns(t - 1, t + k) || (t > k && returns(t - 1 - k, t)))
            || self.is_light_excursion(t, step)
    }

    /// True when the step from `t - 1` to `t` lies inside a passing excursion of up to
    /// [`LIGHT_EXCURSION_FRAMES`]: `after >= t` shows again what some `before < t` showed, and
    /// every frame strictly between them is either that picture under more light (brighter than
    /// both ends, its pattern kept: flashes that decay, lightning that flickers) or that picture
    /// partly hidden (much of it unchanged: an object passing close to the camera). Found
    /// whichever of the excursion's steps is the largest.
    fn is_light_excursion(&self, t: u64, step: f32) -> bool {
        let luma = |n: u64| self.frame(n).map(|f| f.mean_luma);
        for before in t.saturating_sub(LIGHT_EXCURSION_FRAMES)..t {
            let Some(x) = self.frame(before) else {
                continue;
            };
            for after in t.max(before + 2)..=before + LIGHT_EXCURSION_FRAMES + 1 {
                let Some(y) = self.frame(after) else {
                    break;
                };
                if x.distance(y).score() >= FLASH_RETURN_SHARE * step {
                    continue;
                }
                let floor = x.mean_luma.max(y.mean_luma) + LIGHT_EXCURSION_LIFT;
                let lit = (before + 1..after).all(|n| luma(n).is_some_and(|l| l > floor));
                let passing = (before + 1..after).all(|n| {
                    self.frame(n).is_some_and(|inner| {
                        if lit {
                            same_picture_under_light(x, inner)
                        } else {
                            partly_hidden(x, inner)
                        }
                    })
                });
                if passing {
                    return true;
                }
            }
        }
        false
    }

    /// Turns a finished gradual run into a boundary (unless a cut already explains it).
    fn close_run(&mut self, out: &mut Vec<Boundary>) {
        let Some(run) = self.run.take() else { return };
        let (first, last) = gradual::blend_extent(&run.best, |n| self.frame(n));
        if self
            .decided
            .iter()
            .any(|cut| cut.frame >= first && cut.frame <= last)
            || self.last_gradual.is_some_and(|end| first <= end)
        {
            return;
        }
        self.last_gradual = Some(last);
        // A fade's extent reaches to the black, so that the merger sees it touch the darkness.
        let is_dark = |n: u64| self.frame(n).is_some_and(|f| f.mean_luma < DARK_LUMA);
        let dark_before = (1..=1 + FADE_SLACK)
            .map_while(|k| first.checked_sub(k))
            .find(|&n| is_dark(n));
        let dark_after = (1..=1 + FADE_SLACK).map(|k| last + k).find(|&n| is_dark(n));
        let dark = dark_before.is_some() || dark_after.is_some();
        let first = dark_before.map_or(first, |n| n + 1);
        let last = dark_after.map_or(last, |n| n - 1);
        let fit = (1.0 - run.best.error / gradual::MAX_BLEND_ERROR).clamp(0.0, 1.0);
        let change = (run.best.change / (2.0 * gradual::MIN_CHANGE)).clamp(0.0, 1.0);
        let boundary = Boundary {
            frame: (first + last).div_ceil(2),
            kind: if dark {
                TransitionKind::Fade
            } else {
                TransitionKind::Dissolve
            },
            first,
            last,
            confidence: 50.0 + 50.0 * fit * change,
        };
        self.decided.push(boundary);
        self.decided.sort_by_key(|b| b.frame);
        self.flush_decided(self.frontier(), out);
    }

    /// Passes decided boundaries before `frontier` on to the merger, in order.
    fn flush_decided(&mut self, frontier: u64, out: &mut Vec<Boundary>) {
        while self.decided.first().is_some_and(|b| b.frame < frontier) {
            let boundary = self.decided.remove(0);
            out.extend(self.merger.add(boundary));
        }
    }
}

/// Luma difference (0 to 255) within which a pixel still shows the same picture: codec noise at
/// the analysis size stays under 6.
const KEPT_PIXEL_TOLERANCE: u8 = 12;

/// Least share of a picture's pixels that must stay unchanged in a frame for it to be that
/// picture partly hidden: an object covering half the frame keeps half, while another shot keeps
/// only the few pixels that happen to match (under a tenth between the suites' contents).
const MIN_KEPT_SHARE: f32 = 0.4;

/// True when much of `picture` is unchanged in `frame`: the picture with something in front of
/// part of it.
fn partly_hidden(picture: &FrameFeatures, frame: &FrameFeatures) -> bool {
    let n = picture.luma.len().min(frame.luma.len());
    if n == 0 {
        return false;
    }
    let kept = picture.luma[..n]
        .iter()
        .zip(&frame.luma[..n])
        .filter(|&(&a, &b)| a.abs_diff(b) <= KEPT_PIXEL_TOLERANCE)
        .count();
    kept as f32 >= MIN_KEPT_SHARE * n as f32
}

/// True when `lit` shows `picture`'s luma pattern (more light on it keeps the pattern), or is too
/// flat to tell (washed out to white).
fn same_picture_under_light(picture: &FrameFeatures, lit: &FrameFeatures) -> bool {
    let n = picture.luma.len().min(lit.luma.len());
    if n == 0 {
        return true;
    }
    let mean = |v: &[u8]| v[..n].iter().map(|&x| f32::from(x)).sum::<f32>() / n as f32;
    let (mean_a, mean_b) = (mean(&picture.luma), mean(&lit.luma));
    let (mut covariance, mut var_a, mut var_b) = (0.0f32, 0.0f32, 0.0f32);
    for (&a, &b) in picture.luma[..n].iter().zip(&lit.luma[..n]) {
        let (da, db) = (f32::from(a) - mean_a, f32::from(b) - mean_b);
        covariance += da * db;
        var_a += da * da;
        var_b += db * db;
    }
    let flat = FLAT_LUMA_DEVIATION * FLAT_LUMA_DEVIATION * n as f32;
    if var_b < flat || var_a < flat {
        return true;
    }
    covariance / (var_a * var_b).sqrt() >= LIGHT_MIN_CORRELATION
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: usize = 32;
    const H: usize = 18;

    /// A frame of stripes with the given phase, brightness and colour.
    fn frame(phase: usize, level: u8, chroma: (u8, u8)) -> FrameFeatures {
        let luma = (0..W * H)
            .map(|i| {
                if ((i % W + phase) / 4).is_multiple_of(2) {
                    level
                } else {
                    level / 3
                }
            })
            .collect();
        FrameFeatures::from_planes(W, H, luma, vec![chroma; W * H])
    }

    fn blend(a: &FrameFeatures, b: &FrameFeatures, alpha: f32) -> FrameFeatures {
        let mix =
            |x: u8, y: u8| (f32::from(x) * (1.0 - alpha) + f32::from(y) * alpha).round() as u8;
        let luma = a
            .luma
            .iter()
            .zip(&b.luma)
            .map(|(&x, &y)| mix(x, y))
            .collect();
        let chroma = a
            .chroma
            .iter()
            .zip(&b.chroma)
            .map(|(&x, &y)| (mix(x.0, y.0), mix(x.1, y.1)))
            .collect();
        FrameFeatures::from_planes(W, H, luma, chroma)
    }

    fn detect(frames: Vec<FrameFeatures>) -> Vec<Boundary> {
        let mut detector = ShotDetector::new();
        let mut found: Vec<Boundary> = frames.into_iter().flat_map(|f| detector.push(f)).collect();
        found.extend(detector.finish());
        found
    }

    #[test]
    fn hard_cut_is_found_at_its_frame() {
        let frames = (0..60).map(|n| {
            if n < 30 {
                frame(0, 200, (90, 160))
            } else {
                frame(2, 90, (170, 80))
            }
        });
        let found = detect(frames.collect());
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].frame, found[0].kind), (30, TransitionKind::Cut));
    }

    #[test]
    fn cut_between_look_alike_shots_is_found_only_when_more_sensitive() {
        // The same stripes, a little brighter and a little warmer: a change score of 0.17, under
        // the default least score for a cut (0.25), over that at the highest sensitivity.
        let frames: Vec<FrameFeatures> = (0..60)
            .map(|n| {
                if n < 30 {
                    frame(0, 150, (110, 140))
                } else {
                    frame(0, 160, (108, 144))
                }
            })
            .collect();
        assert_eq!(detect(frames.clone()), vec![]);
        let mut detector = ShotDetector::with_sensitivity(MAX_SENSITIVITY);
        let mut found: Vec<Boundary> = frames.into_iter().flat_map(|f| detector.push(f)).collect();
        found.extend(detector.finish());
        let found: Vec<(u64, TransitionKind)> = found.iter().map(|b| (b.frame, b.kind)).collect();
        assert_eq!(found, vec![(30, TransitionKind::Cut)]);
    }

    #[test]
    fn single_flash_frame_is_no_cut() {
        let frames = (0..60).map(|n| {
            if n == 30 {
                frame(0, 255, (128, 128))
            } else {
                frame(0, 120, (90, 160))
            }
        });
        assert_eq!(detect(frames.collect()), vec![]);
    }

    #[test]
    fn flash_that_decays_over_four_frames_is_no_cut() {
        let picture = frame(0, 120, (90, 160));
        let white = FrameFeatures::from_planes(W, H, vec![255; W * H], vec![(128, 128); W * H]);
        let frames = (0..60).map(|n| match n {
            30..34 => blend(&picture, &white, [0.95, 0.7, 0.45, 0.2][n - 30]),
            _ => picture.clone(),
        });
        assert_eq!(detect(frames.collect()), vec![]);
    }

    #[test]
    fn lightning_that_flickers_is_no_cut() {
        let picture = frame(0, 120, (90, 160));
        let lift = |amount: u8| {
            let luma = picture
                .luma
                .iter()
                .map(|&l| l.saturating_add(amount))
                .collect();
            FrameFeatures::from_planes(W, H, luma, picture.chroma.clone())
        };
        let frames = (0..60).map(|n| match n {
            30..35 => lift([110, 30, 110, 65, 30][n - 30]),
            _ => picture.clone(),
        });
        assert_eq!(detect(frames.collect()), vec![]);
    }

    #[test]
    fn object_passing_close_to_the_lens_in_three_frames_is_no_cut() {
        // A dark bar half the width wide sweeps across the stripes: it covers 3/8, 1/2 and 3/8
        // of the picture in three frames, then the picture is as it was.
        let picture = frame(0, 200, (90, 160));
        let hidden = |from: usize, to: usize| {
            let mut luma = picture.luma.clone();
            for (i, l) in luma.iter_mut().enumerate() {
                if (from..to).contains(&(i % W)) {
                    *l = 20;
                }
            }
            FrameFeatures::from_planes(W, H, luma, picture.chroma.clone())
        };
        let frames = (0..60).map(|n| match n {
            30 => hidden(0, 12),
            31 => hidden(8, 24),
            32 => hidden(20, 32),
            _ => picture.clone(),
        });
        assert_eq!(detect(frames.collect()), vec![]);
    }

    #[test]
    fn brighter_shot_of_four_frames_inserted_in_another_is_two_cuts() {
        // The picture after the insert is the picture before it, and the insert is brighter, as
        // with a flash; but the insert shows another picture.
        let frames = (0..64).map(|n| match n {
            30..34 => frame(2, 230, (170, 80)),
            _ => frame(0, 110, (90, 160)),
        });
        let found: Vec<(u64, TransitionKind)> = detect(frames.collect())
            .iter()
            .map(|b| (b.frame, b.kind))
            .collect();
        assert_eq!(
            found,
            vec![(30, TransitionKind::Cut), (34, TransitionKind::Cut)]
        );
    }

    #[test]
    fn steady_fast_motion_is_no_cut() {
        // The stripes move 3 px a frame: every frame differs strongly from the last.
        let frames = (0..80).map(|n| frame(n * 3, 200, (90, 160)));
        assert_eq!(detect(frames.collect()), vec![]);
    }

    #[test]
    fn fast_pan_starting_in_a_still_shot_is_no_cut() {
        // A textured picture holds still, then pans 14 px a frame at once: the first moving step
        // stands out against the still frames before it as much as a cut would, but the
        // picture's motion explains it.
        const TW: usize = 96;
        const TH: usize = 54;
        let view = |x0: f32| {
            let luma = (0..TW * TH)
                .map(|i| {
                    let (x, y) = ((i % TW) as f32 + x0, (i / TW) as f32);
                    let value = 128.0
                        + 120.0 * (x / 5.0).sin() * (y / 7.0).cos()
                        + 100.0 * ((x + 2.0 * y) / 9.0).sin();
                    value.clamp(0.0, 255.0) as u8
                })
                .collect();
            FrameFeatures::from_planes(TW, TH, luma, vec![(90, 160); TW * TH])
        };
        let frames = (0..80u32).map(|n| view(14.0 * n.saturating_sub(40) as f32));
        assert_eq!(detect(frames.collect()), vec![]);
    }

    #[test]
    fn slow_steady_drift_is_no_dissolve() {
        // A sine pattern sliding a 320th of its period a frame: over 48 frames its ends differ
        // as much as a dissolve's, and its middle frame is nearly their blend, but the change
        // goes on at the same rate before and after any window.
        let frames = (0..240).map(|n| {
            let luma = (0..W * H)
                .map(|i| {
                    let phase = (i % W) as f32 / W as f32 + n as f32 / 320.0;
                    (128.0 + 100.0 * (std::f32::consts::TAU * phase).sin()).round() as u8
                })
                .collect();
            FrameFeatures::from_planes(W, H, luma, vec![(90, 160); W * H])
        });
        assert_eq!(detect(frames.collect()), vec![]);
    }

    #[test]
    fn dissolve_is_one_gradual_boundary_in_its_middle() {
        let a = frame(0, 220, (60, 180));
        let b = frame(2, 60, (190, 70));
        let frames = (0..90).map(|n| match n {
            ..30 => a.clone(),
            30..50 => blend(&a, &b, (n - 29) as f32 / 21.0),
            _ => b.clone(),
        });
        let found = detect(frames.collect());
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].kind, TransitionKind::Dissolve);
        assert!((36..=44).contains(&found[0].frame), "{found:?}");
    }

    #[test]
    fn fade_out_and_in_through_black_is_one_fade() {
        let a = frame(0, 220, (60, 180));
        let b = frame(2, 160, (190, 70));
        let black = FrameFeatures::from_planes(W, H, vec![0; W * H], vec![(128, 128); W * H]);
        let frames = (0..100).map(|n| match n {
            ..30 => a.clone(),
            30..40 => blend(&a, &black, (n - 29) as f32 / 10.0),
            40..45 => black.clone(),
            45..55 => blend(&black, &b, (n - 44) as f32 / 10.0),
            _ => b.clone(),
        });
        let found = detect(frames.collect());
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].kind, TransitionKind::Fade);
        assert!((38..=47).contains(&found[0].frame), "{found:?}");
    }
}
