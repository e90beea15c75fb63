//! Accuracy on the hard cases real footage contains (see `synthetic::footage_clip`): flashes,
//! strobes, lightning, fast motion, animated rainbows and objects crossing the frame, among
//! ordinary shots, cuts, dissolves and fades. Two sets of seeds: the tuning set, which the
//! detector's constants were chosen on, and a held-out set that no constant was tuned on.
//! Each test prints its figures (`cargo test -p vidpush-analysis --test footage -- --nocapture`).

mod support;

use std::collections::BTreeMap;
use support::{Clips, FPS, HEIGHT, WIDTH, analyse, boundaries, score};
use vidpush_analysis::synthetic::{
    FRESH_SEEDS, GroundTruth, HELD_OUT_SEEDS, Score, TUNING_SEEDS, footage_clip,
};

/// Hard-cut F1 each set must reach: the target. Measured 1.000 on all three sets (38,
/// 38 and 35 cuts, none missed, no false cut); with the detector before issue 15 it was 0.792
/// (tuning), 0.704 (held-out) and 0.729 (fresh).
const MIN_CUT_F1: f64 = 0.95;

/// Share of dissolves and fades that must be found: measured 14 of 14, 14 of 14 and 16 of 17
/// (fresh; the detector before issue 15 misses the same dissolve, from a shot with a flash into
/// a zoom); one miss in 14 is allowed.
const MIN_GRADUAL_RECALL: f64 = 0.92;

/// False cuts allowed on flashes, strobes, lightning and crossing objects in a set: measured
/// none (15 and 17 on flashes, 5 and 4 on lightning before the light-excursion test, 9 on close
/// crossings before the partly-hidden test); one is allowed.
const MAX_FALSE_CUTS_ON_EXCURSIONS: u32 = 1;

/// False dissolves allowed on animated rainbows in a set: a ceiling, not a goal. A sweeping
/// rainbow is, frame for frame, a blend of its past and future pictures; measured 10, 9 and 7
/// (tuning, held-out, fresh) with the recurrence test (a turning picture comes back, a
/// dissolve's does not), 19, 17 and 14 before it, 24, 21 and 17 before the steady-animation
/// test. Most of what is left lies within about a turn of the rainbow's first or last frame,
/// where the shot beside it hides the recurrence.
const MAX_FALSE_GRADUALS_ON_ANIMATED: u32 = 12;

/// How far (frames) a cut may be from its true frame.
const CUT_TOLERANCE: u64 = 1;

/// How far (frames) outside its span a gradual transition may be reported.
const GRADUAL_TOLERANCE: u64 = 2;

/// A cut reported this close outside a gradual transition is counted "beside a gradual".
const BESIDE_GRADUAL: u64 = 6;

/// What a set of clips scored.
#[derive(Debug, Default)]
struct Report {
    frames: u64,
    cuts: Score,
    graduals: Score,
    /// False cuts by what they fell on.
    false_cuts: BTreeMap<&'static str, u32>,
    /// False gradual transitions by what they fell on.
    false_graduals: BTreeMap<&'static str, u32>,
    /// Dissolves and fades not found, with the classes of the shots around them.
    missed_graduals: Vec<String>,
    /// Hard-negative segments by class, to read the false cuts against.
    negatives: BTreeMap<&'static str, u32>,
}

impl Report {
    fn add_clip(
        &mut self,
        truth: &GroundTruth,
        classes: &[Option<&'static str>],
        found: (Vec<u64>, Vec<u64>),
    ) {
        let (cuts, graduals) = found;
        self.frames += truth.frames;
        for class in classes.iter().flatten() {
            *self.negatives.entry(class).or_default() += 1;
        }
        let within = |frame: u64, (first, last): (u64, u64), margin: u64| {
            frame + margin >= first && frame <= last + margin
        };
        // A cut reported inside a gradual transition marks that transition (with the wrong kind):
        // it counts for the gradual, not against the cuts.
        let (inside, cuts): (Vec<u64>, Vec<u64>) = cuts.into_iter().partition(|&c| {
            truth
                .graduals
                .iter()
                .any(|&g| within(c, g, GRADUAL_TOLERANCE))
        });
        let truth_cuts: Vec<(u64, u64)> = truth.cuts.iter().map(|&c| (c, c)).collect();
        self.cuts.add(score(&truth_cuts, &cuts, CUT_TOLERANCE));
        let mut marking: Vec<u64> = graduals.iter().chain(&inside).copied().collect();
        marking.sort_unstable();
        self.graduals
            .add(score(&truth.graduals, &marking, GRADUAL_TOLERANCE));
        for &g in &truth.graduals {
            if !marking.iter().any(|&m| within(m, g, GRADUAL_TOLERANCE)) {
                let shots: Vec<Option<&str>> = truth
                    .segments
                    .iter()
                    .enumerate()
                    .filter(|&(_, &s)| s.0 <= g.1 && g.0 <= s.1)
                    .map(|(i, _)| classes[i])
                    .collect();
                self.missed_graduals
                    .push(format!("{g:?} between {shots:?}"));
            }
        }
        for &c in &cuts {
            if truth.cuts.iter().any(|&t| within(c, (t, t), CUT_TOLERANCE)) {
                continue;
            }
            let class = if truth.graduals.iter().any(|&g| within(c, g, BESIDE_GRADUAL)) {
                "beside a gradual"
            } else {
                truth
                    .segments
                    .iter()
                    .position(|&s| within(c, s, 0))
                    .and_then(|i| classes[i])
                    .unwrap_or("ordinary shot")
            };
            *self.false_cuts.entry(class).or_default() += 1;
        }
        for &g in &graduals {
            if !truth
                .graduals
                .iter()
                .any(|&r| within(g, r, GRADUAL_TOLERANCE))
            {
                let class = truth
                    .segments
                    .iter()
                    .position(|&s| within(g, s, 0))
                    .and_then(|i| classes[i])
                    .unwrap_or("ordinary shot");
                *self.false_graduals.entry(class).or_default() += 1;
            }
        }
    }

    fn print(&self, name: &str) {
        eprintln!(
            "{name}: {} frames; hard cuts P {:.3} R {:.3} F1 {:.3} ({} found, {} false, {} missed); \
             gradual recall {:.3} ({} of {}); missed graduals {:?}; false cuts by class {:?}, false graduals {:?}, on hard negatives {:?}",
            self.frames,
            self.cuts.precision(),
            self.cuts.recall(),
            self.cuts.f1(),
            self.cuts.true_positives,
            self.cuts.false_positives,
            self.cuts.false_negatives,
            self.graduals.recall(),
            self.graduals.true_positives,
            self.graduals.true_positives + self.graduals.false_negatives,
            self.missed_graduals,
            self.false_cuts,
            self.false_graduals,
            self.negatives
        );
    }
}

/// Renders and analyses the clips of `seeds`.
fn measure(name: &str, seeds: &[u64]) -> Report {
    let clips = Clips::new();
    let mut report = Report::default();
    for &seed in seeds {
        let (spec, container) = footage_clip(seed, (WIDTH, HEIGHT), FPS);
        let path = clips.path(&format!("footage{seed}.{}", container.extension()));
        spec.render(&path, container)
            .expect("ffmpeg renders the clip");
        let truth = spec.ground_truth();
        let classes: Vec<Option<&'static str>> = spec
            .segments
            .iter()
            .map(|s| s.hard_negative_class())
            .collect();
        report.add_clip(&truth, &classes, boundaries(&analyse(&path)));
    }
    report.print(name);
    report
}

/// The requirements every set must meet.
fn assert_accurate(report: &Report) {
    assert!(report.cuts.f1() >= MIN_CUT_F1, "{report:?}");
    assert!(report.graduals.recall() >= MIN_GRADUAL_RECALL, "{report:?}");
    let on_excursions: u32 = ["flash", "strobe", "lightning", "crossing", "close crossing"]
        .iter()
        .filter_map(|class| report.false_cuts.get(class))
        .sum();
    assert!(on_excursions <= MAX_FALSE_CUTS_ON_EXCURSIONS, "{report:?}");
    let on_animated = report.false_graduals.get("animated").copied().unwrap_or(0);
    assert!(on_animated <= MAX_FALSE_GRADUALS_ON_ANIMATED, "{report:?}");
}

#[test]
fn flashes_strobes_lightning_and_motion_are_no_cuts_on_the_tuning_set() {
    assert_accurate(&measure("tuning set", &TUNING_SEEDS));
}

#[test]
fn flashes_strobes_lightning_and_motion_are_no_cuts_on_the_held_out_set() {
    assert_accurate(&measure("held-out set", &HELD_OUT_SEEDS));
}

#[test]
fn flashes_strobes_lightning_and_motion_are_no_cuts_on_the_fresh_set() {
    assert_accurate(&measure("fresh set", &FRESH_SEEDS));
}
