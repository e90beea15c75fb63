//! Accuracy of the shot detector on synthetic clips with exactly known boundaries.

mod support;

use std::path::Path;
use support::{Clips, analyse, boundaries, cut, score};
use vidpush_analysis::synthetic::{Container, Content, Entry, GroundTruth, Segment};

/// Hard-cut F1 the detector must reach (±1 frame).
const MIN_CUT_F1: f64 = 0.97;
/// Share of gradual transitions it must find.
const MIN_GRADUAL_RECALL: f64 = 0.85;

fn hard_cut_segments() -> Vec<Segment> {
    use Content::*;
    vec![
        cut(TestPattern, 30),
        cut(Bars, 12),
        cut(Mandelbrot, 40),
        cut(Boxes("navy", "orange"), 8),
        cut(Life, 25),
        cut(Gradient("red", "yellow"), 15),
        cut(RgbBars, 30),
        cut(Boxes("white", "black"), 10),
        cut(TestPattern, 20),
        cut(Gradient("blue", "green"), 9),
        cut(Mandelbrot, 14),
        cut(Boxes("darkgreen", "pink"), 30),
    ]
}

fn gradual_segments() -> Vec<Segment> {
    use Content::*;
    vec![
        cut(TestPattern, 40),
        Segment::new(Bars, 40, Entry::Dissolve(12)),
        Segment::new(Mandelbrot, 50, Entry::Dissolve(20)),
        Segment::new(Boxes("navy", "orange"), 40, Entry::FadeThroughBlack(10)),
        Segment::new(Gradient("red", "yellow"), 45, Entry::Dissolve(25)),
        Segment::new(Life, 40, Entry::FadeThroughBlack(15)),
        Segment::new(RgbBars, 40, Entry::Dissolve(8)),
    ]
}

fn hard_negative_segments() -> Vec<Segment> {
    use Content::*;
    vec![
        cut(Pan, 60),
        cut(Zoom, 50),
        cut(TestPattern, 40).with_flash(20),
        cut(Boxes("navy", "orange"), 30).with_flash(12),
        cut(Pan, 40).with_flash(15),
        cut(Life, 40),
    ]
}

/// Long shots that change slowly and steadily, or jitter: every frame differs from the last,
/// and over a second a gradient or a slow pan looks much like a blend of its ends.
fn drift_segments() -> Vec<Segment> {
    use Content::*;
    vec![
        cut(Gradient("red", "yellow"), 150),
        cut(SlowPan, 120),
        cut(Gradient("blue", "green"), 150),
        cut(Shake, 80),
        cut(Gradient("purple", "white"), 150),
        cut(Boxes("navy", "orange"), 30),
    ]
}

/// A sliding gradient between two dissolves (from seed 12 of the benchmark): a window inside the
/// gradient passes the blend test, and when it is widened, both of its new ends fall into the
/// dissolves around the shot.
fn drift_between_dissolves_segments() -> Vec<Segment> {
    use Content::*;
    vec![
        cut(Boxes("navy", "orange"), 48),
        Segment::new(Gradient("purple", "white"), 113, Entry::Dissolve(26)),
        Segment::new(TestPattern, 79, Entry::Dissolve(27)),
    ]
}

/// A short dissolve into a fast pan (from seed 102 of the benchmark): the pan moves a twelfth of
/// the width every frame under the blend, so no inner frame is a blend of the window's two ends.
fn dissolve_into_fast_pan_segments() -> Vec<Segment> {
    use Content::*;
    vec![
        cut(Mandelbrot, 115),
        Segment::new(Pan, 111, Entry::Dissolve(8)),
        cut(Boxes("navy", "orange"), 40),
    ]
}

/// A hard cut from a slow gradient into a 13-frame fast pan (from seed 304 of the benchmark):
/// the pan's own steps fill half the cut's baseline, which raised the bar above the cut.
fn cut_into_short_fast_pan_segments() -> Vec<Segment> {
    use Content::*;
    vec![
        cut(Mandelbrot, 40),
        cut(Gradient("red", "yellow"), 86),
        cut(Pan, 13),
        cut(Bars, 39),
    ]
}

/// Analyses `path` and requires exactly its true boundaries, within one frame: every cut and
/// every gradual transition found, and nothing else reported.
fn assert_only_true_boundaries(path: &Path, truth: &GroundTruth) {
    let (cuts, graduals) = boundaries(&analyse(path));
    let mut ranges: Vec<(u64, u64)> = truth.cuts.iter().map(|&c| (c, c)).collect();
    ranges.extend(&truth.graduals);
    ranges.sort_unstable();
    let mut all: Vec<u64> = cuts.iter().chain(&graduals).copied().collect();
    all.sort_unstable();
    let result = score(&ranges, &all, 1);
    assert_eq!(
        (result.false_positives, result.false_negatives),
        (0, 0),
        "truth {ranges:?}, cuts {cuts:?}, gradual {graduals:?}"
    );
}

#[test]
fn hard_cuts_are_found_within_one_frame() {
    let clips = Clips::new();
    let (path, truth) = clips.render("cuts", hard_cut_segments(), Container::Mp4);
    let (cuts, graduals) = boundaries(&analyse(&path));
    let ranges: Vec<(u64, u64)> = truth.cuts.iter().map(|&c| (c, c)).collect();
    let result = score(&ranges, &cuts, 1);
    assert!(
        graduals.is_empty(),
        "no gradual transitions in a clip of cuts: {graduals:?}"
    );
    assert!(
        result.f1() >= MIN_CUT_F1,
        "F1 {:.3}: truth {:?}, found {cuts:?}",
        result.f1(),
        truth.cuts
    );
}

#[test]
fn dissolves_and_fades_are_found() {
    let clips = Clips::new();
    let (path, truth) = clips.render("gradual", gradual_segments(), Container::Mp4);
    let (cuts, graduals) = boundaries(&analyse(&path));
    let all: Vec<u64> = cuts.iter().chain(&graduals).copied().collect();
    let found = score(&truth.graduals, &graduals, 2);
    assert!(
        found.recall() >= MIN_GRADUAL_RECALL,
        "recall {:.3}: truth {:?}, gradual {graduals:?}, cuts {cuts:?}",
        found.recall(),
        truth.graduals
    );
    let overall = score(&truth.graduals, &all, 2);
    assert_eq!(
        overall.false_positives, 0,
        "truth {:?}, gradual {graduals:?}, cuts {cuts:?}",
        truth.graduals
    );
}

#[test]
fn motion_zooms_and_flashes_are_not_cuts() {
    let clips = Clips::new();
    let (path, truth) = clips.render("negatives", hard_negative_segments(), Container::Mp4);
    let (cuts, graduals) = boundaries(&analyse(&path));
    for &(first, last) in &truth.negatives {
        let inside: Vec<u64> = cuts
            .iter()
            .chain(&graduals)
            .copied()
            .filter(|&f| f >= first && f <= last)
            .collect();
        assert!(
            inside.is_empty(),
            "boundaries {inside:?} inside hard negative {first}..={last}"
        );
    }
    let ranges: Vec<(u64, u64)> = truth.cuts.iter().map(|&c| (c, c)).collect();
    let result = score(&ranges, &cuts, 1);
    assert!(
        result.f1() >= MIN_CUT_F1,
        "truth {:?}, found {cuts:?}",
        truth.cuts
    );
}

#[test]
fn sliding_gradients_slow_pans_and_shake_are_one_shot_each() {
    let clips = Clips::new();
    // At the benchmark's size: the gradients' slow slide is what a 640x360 upload shows.
    let (path, truth) = clips.render_sized("drift", drift_segments(), Container::Mp4, (640, 360));
    assert_only_true_boundaries(&path, &truth);
}

#[test]
fn sliding_gradient_entered_by_a_dissolve_has_no_boundary_inside() {
    let clips = Clips::new();
    let (path, truth) = clips.render_sized(
        "drift-between-dissolves",
        drift_between_dissolves_segments(),
        Container::Mp4,
        (640, 360),
    );
    assert_only_true_boundaries(&path, &truth);
}

#[test]
fn short_dissolve_into_a_fast_pan_is_found() {
    let clips = Clips::new();
    let (path, truth) = clips.render(
        "dissolve-into-pan",
        dissolve_into_fast_pan_segments(),
        Container::Mp4,
    );
    assert_only_true_boundaries(&path, &truth);
}

#[test]
fn hard_cut_from_a_slow_shot_into_a_fast_pan_is_found() {
    let clips = Clips::new();
    // At the benchmark's size, where the pan moves as it did in seed 304.
    let (path, truth) = clips.render_sized(
        "cut-into-pan",
        cut_into_short_fast_pan_segments(),
        Container::Mp4,
        (640, 360),
    );
    assert_only_true_boundaries(&path, &truth);
}

/// Two dissolves ten frames apart (from seed 301 of the benchmark): the longest windows span
/// both, and their ends differ so much that the still shot between them passes for a blend.
fn two_dissolves_close_together_segments() -> Vec<Segment> {
    use Content::*;
    vec![
        cut(Gradient("blue", "green"), 70),
        Segment::new(Mandelbrot, 42, Entry::Dissolve(18)),
        Segment::new(Boxes("white", "black"), 50, Entry::Dissolve(14)),
    ]
}

#[test]
fn two_dissolves_ten_frames_apart_are_two_boundaries() {
    let clips = Clips::new();
    // At the benchmark's size, where the gradient slides as it did in seed 301.
    let (path, truth) = clips.render_sized(
        "two-dissolves",
        two_dissolves_close_together_segments(),
        Container::Mp4,
        (640, 360),
    );
    assert_only_true_boundaries(&path, &truth);
}

/// A dissolve into a short shot and a dissolve back out of it to the very same picture: the
/// first picture comes back after the first dissolve, as a turning animation's does, but the
/// second picture was never there before it, so both stay dissolves.
fn there_and_back_segments() -> Vec<Segment> {
    use Content::*;
    vec![
        cut(Boxes("navy", "orange"), 50),
        Segment::new(Mandelbrot, 26, Entry::Dissolve(8)),
        Segment::new(Boxes("navy", "orange"), 50, Entry::Dissolve(8)),
    ]
}

#[test]
fn a_dissolve_there_and_back_to_the_same_picture_is_two_dissolves() {
    let clips = Clips::new();
    let (path, truth) = clips.render("there-and-back", there_and_back_segments(), Container::Mp4);
    assert_eq!(truth.graduals.len(), 2);
    assert_only_true_boundaries(&path, &truth);
}
