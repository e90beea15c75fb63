//! Gradual transitions (dissolves and fades) found by their shape: inside a dissolve every frame
//! is a blend of the frame before it began and the frame after it ended. Owns the window test; the
//! detector decides which windows to try and what to do with the matches.
//!
//! Why this and not only accumulated differences (twin comparison): a pan or a zoom accumulates
//! as much difference as a dissolve, but its middle frame is a shifted picture, not a blend of the
//! window's ends, so the blend test separates the two where thresholds on sums cannot.
//!
//! A slow, smooth change inside one shot (a sliding gradient, a slow pan over soft light) is
//! nearly linear over a second and passes the blend test too. What it lacks is an end: a dissolve
//! runs from a settled shot A to a settled shot B, so widening the window past the transition
//! adds almost no change, while a drift keeps changing at the same rate outside the window. Each
//! side of the window is widened on its own: a drift between two dissolves would otherwise look
//! settled whenever the two blends beyond its ends happen to resemble each other.
//!
//! Two dissolves a few frames apart can pass as one: a window spanning both has ends so unlike
//! each other that the short shot between them still measures as a blend of them. Such a window
//! pauses in its middle, which one transition never does: it is rejected.
//!
//! A picture that cycles (a rainbow turning at a steady rate) changes faster at some phases of
//! its turn than at others, and a stretch of fast change between calmer ones passes every test
//! above. A turn later, though, it is back where it was; a dissolve's pictures never come back
//! on both sides of it.
//!
//! A short dissolve into (or out of) fast motion is no blend of its window's ends: a pan keeps
//! moving under the blend, so inside the window the incoming picture sits where the pan was a few
//! frames before the window's last frame. Short windows that fail the plain test are tried again
//! with each end moved along its own shot's motion, measured just outside the window where that
//! shot is alone (see [`crate::motion`]). A pan with no transition gains nothing from this: once
//! moved, its two ends show the same picture, and there is no change left to blend.

use crate::features::FrameFeatures;
use crate::motion;

/// Half-lengths (in frames) of the windows tried around each frame: transitions of about 4 to
/// 48 frames (0.15 s to 2 s at 25 fps) fit one of them within a frame or two.
pub const WINDOW_HALVES: [u64; 8] = [2, 3, 4, 6, 8, 11, 16, 24];

/// Largest window half-length, which is also how far ahead gradual decisions must look.
pub const MAX_HALF: u64 = WINDOW_HALVES[WINDOW_HALVES.len() - 1];

/// Least change between a window's two ends for it to hold a transition: below this the two
/// shots are too alike to call it a new shot (same score scale as cuts).
pub const MIN_CHANGE: f32 = 0.3;

/// Largest share of a window's total change that a single frame step may carry: more, and the
/// change is a cut (or a cut plus motion), not a gradual blend.
const MAX_STEP_SHARE: f32 = 0.45;

/// Largest mean blend error relative to the window's luma change for its inner frames to count
/// as blends: dissolves measure ~0.05-0.15 (codec noise, motion inside the shots), pans and zooms
/// 0.5 and more.
pub const MAX_BLEND_ERROR: f32 = 0.25;

/// Luma change below which the blend error is judged against this floor instead: a dissolve
/// between two flat colours of equal brightness changes almost no luma, and a tiny divisor would
/// turn codec noise into a large relative error.
const BLEND_ERROR_FLOOR: f32 = 0.05;

/// How far the settle test widens a window on each side, as a share of its half-length: half a
/// half-length keeps the widened window (at most 72 frames) inside the shots around all but the
/// shortest of them, while a drift still adds a clear amount of change.
const SETTLE_DIVISOR: u64 = 2;

/// Most frames the settle test looks beyond a window, on either side.
pub const MAX_SETTLE: u64 = MAX_HALF / SETTLE_DIVISOR;

/// Largest growth of a window's change when it is widened, as a share of the growth a steady
/// drift at the window's own rate would show: the cores of dissolves and fades measure below
/// 0.45 of it (motion inside the shots, benchmark seeds 0-17 and 100-105), sliding gradients 0.65
/// and more (1.4 and more between two dissolves).
const MAX_SETTLE_GROWTH: f32 = 0.5;

/// A window `[center - half, center + half]` whose inner frames blend its two ends.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BlendWindow {
    /// The window's middle frame.
    pub center: u64,
    /// Half its length.
    pub half: u64,
    /// Change between the two ends (score scale, 0..1).
    pub change: f32,
    /// Relative blend error of the inner frames (0 perfect), with moved ends where only those
    /// blend.
    pub error: f32,
}

/// Tests every window half-length around `center`; returns the longest window that passes.
///
/// `frame(n)` gives the features of frame `n`, `step(n)` the change score from `n - 1` to `n`.
pub fn best_window<'a>(
    center: u64,
    frame: impl Fn(u64) -> Option<&'a FrameFeatures>,
    step: impl Fn(u64) -> f32,
) -> Option<BlendWindow> {
    let mut best = None;
    for &half in &WINDOW_HALVES {
        let Some(start) = center.checked_sub(half) else {
            break;
        };
        let end = center + half;
        let (Some(first), Some(last)) = (frame(start), frame(end)) else {
            break;
        };
        let distance = first.distance(last);
        let change = distance.score();
        if change < MIN_CHANGE {
            continue;
        }
        let largest_step = (start + 1..=end).map(&step).fold(0.0f32, f32::max);
        if largest_step > MAX_STEP_SHARE * change {
            continue;
        }
        // Three probes at the quarter points: a window longer than the transition has a still
        // part at one end, which fails the outer probes; motion fails all three.
        let mut error = 0.0;
        for quarter in 1..=3u64 {
            let offset = (2 * half * quarter + 2) / 4;
            let Some(inner) = frame(start + offset) else {
                return best;
            };
            let alpha = offset as f32 / (2 * half) as f32;
            error += inner.blend_error(first, last, alpha);
        }
        let error = error / 3.0 / distance.pixels.max(BLEND_ERROR_FLOOR);
        let blends = error <= MAX_BLEND_ERROR;
        if (!blends && half > MAX_MOVED_HALF)
            || holds_pause(start, end, largest_step, &step)
            || moves_on_both_sides(start, end, &step)
            || !settles(start, end, change, &frame)
            || recurs_on_both_sides(start, end, change, &frame)
        {
            continue;
        }
        let error = if blends {
            error
        } else {
            match moved_error(start, half, distance.pixels, &frame) {
                Some(moved) if moved <= MAX_BLEND_ERROR => moved,
                _ => continue,
            }
        };
        best = Some(BlendWindow {
            center,
            half,
            change,
            error,
        });
    }
    best
}

/// Share of the mean step inside a window that the mean steps just outside it must both reach
/// for the window to be one steady animation rather than a transition: a dissolve leaves at
/// least one of its shots calmer than its blend, while a picture animated at a steady rate (a
/// rainbow sweeping across the frame, whose periodic pattern fools the settle test by coming
/// back to itself) changes as fast outside any window as inside it.
const STEADY_OUTSIDE_SHARE: f32 = 0.7;

/// True when the steps just outside `start..=end` (half the window's half-length on each side,
/// at least two) are on both sides as large as [`STEADY_OUTSIDE_SHARE`] of those inside it.
fn moves_on_both_sides(start: u64, end: u64, step: &impl Fn(u64) -> f32) -> bool {
    let reach = ((end - start) / 4).max(2);
    let mean = |range: std::ops::RangeInclusive<u64>| {
        let count = (range.end() + 1 - range.start()) as f32;
        range.map(step).sum::<f32>() / count
    };
    let Some(outside_start) = (start + 1).checked_sub(reach) else {
        return false;
    };
    let inside = mean(start + 1..=end);
    let floor = STEADY_OUTSIDE_SHARE * inside;
    mean(outside_start..=start) >= floor && mean(end + 1..=end + reach) >= floor
}

/// How far (frames) beyond each end of a window [`recurs_on_both_sides`] looks for the other
/// end's picture: a little more than one turn of the footage suite's rainbows (18 and 21
/// frames), within the look-ahead the detector keeps for windows of up to 12 frames each side.
const RECURRENCE_REACH: u64 = 24;

/// Largest distance, as a share of the window's own change, at which a picture outside the
/// window counts as the other end's picture come back: half a frame off a rainbow's period
/// measures about 0.1 of a short window's change, a dissolve's shots stay near 1.
const RECURRENCE_SHARE: f32 = 0.5;

/// True when each end's picture comes back on the other side of the window: the last frame's
/// picture shortly before the window, and the first frame's shortly after it.
///
/// An animation that cycles (a rainbow turning at a steady rate) changes faster at some phases
/// of its turn than at others, so a short stretch of its fastest change, between calmer ones,
/// has the shape of a dissolve: settled ends, a blend in between. But a dissolve leads from one
/// picture to another for good, while a cycle returns to where it was: a turn later the first
/// frame's picture is there again, and a turn earlier the last frame's was. Both sides are
/// required, so a dissolve into a short shot and back out of it to the first picture (A, B, A)
/// is still two dissolves.
fn recurs_on_both_sides<'a>(
    start: u64,
    end: u64,
    change: f32,
    frame: &impl Fn(u64) -> Option<&'a FrameFeatures>,
) -> bool {
    let (Some(first), Some(last)) = (frame(start), frame(end)) else {
        return false;
    };
    let bar = RECURRENCE_SHARE * change;
    let comes_back = |picture: &FrameFeatures, from: u64, to: u64| {
        (from..=to).any(|n| frame(n).is_some_and(|other| picture.distance(other).score() < bar))
    };
    start > 0
        && comes_back(last, start.saturating_sub(RECURRENCE_REACH), start - 1)
        && comes_back(first, end + 1, end + RECURRENCE_REACH)
}

/// Least number of consecutive quiet steps that make a pause between two transitions: a shot
/// of five frames or more, while a lone small step inside a dissolve (codec noise) is no pause.
const PAUSE_STEPS: usize = 4;

/// Largest share of a window's largest step that a step may carry and still be quiet: the steps
/// of a dissolve mostly stay above half of its largest (0.45 the least in the regression test's
/// clip), while the shot between two dissolves moves at 0.2 of them (a zooming Mandelbrot,
/// benchmark seed 301).
const PAUSE_STEP_SHARE: f32 = 0.3;

/// True when the window `start..=end` holds a pause between two transitions: at least
/// [`PAUSE_STEPS`] consecutive quiet steps with change on both sides of them inside the window.
///
/// One transition changes steadily from its first blended frame to its last, so a longer window
/// is quiet only at its ends. A quiet stretch in the middle is a shot of its own, entered by one
/// transition and left by another; when the window's two ends differ enough, that shot still
/// passes for a blend of them, and the two transitions would be reported as one between them.
/// Rejecting the window leaves the shorter windows that each cover one transition.
fn holds_pause(start: u64, end: u64, largest_step: f32, step: &impl Fn(u64) -> f32) -> bool {
    let quiet_below = PAUSE_STEP_SHARE * largest_step;
    let (mut changed, mut quiet) = (false, 0);
    for n in start + 1..=end {
        if step(n) < quiet_below {
            quiet += 1;
        } else if changed && quiet >= PAUSE_STEPS {
            return true;
        } else {
            changed = true;
            quiet = 0;
        }
    }
    false
}

/// Longest window half-length tried with moved ends: a window of up to 8 frames predicts a
/// shot's picture at most 6 frames from where its motion was measured. Over longer spans a
/// constant velocity is a guess, and a fast pan's moved ends share too little of the picture.
const MAX_MOVED_HALF: u64 = 4;

/// Least share of a window's luma change that must remain between its ends once they are moved:
/// inside one panning shot motion explains all but 0.02-0.15 of it, while across a dissolve into
/// a pan 0.85-0.92 remains (benchmark seeds 0-17, 100-105 and 200-205).
const MIN_UNEXPLAINED_SHARE: f32 = 0.5;

/// The relative blend error of the window `start..=start + 2 * half` with each end moved along
/// its own shot's motion, as [`best_window`] measures it on the plain ends. `pixels` is the
/// window's luma change without moving.
///
/// The motion of the outgoing shot is measured from the frame before the window to its first,
/// that of the incoming shot from its last to the frame after it; each is taken as constant
/// over the window. `None` (no blend) when those frames are missing or the moved ends cover too
/// little of the picture, when motion explains most of the window's change (one moving shot),
/// or when the ends have not settled: the frames beside them must be those same pictures,
/// moved. Inside a longer transition they are not, and the change that motion leaves unexplained
/// goes on beyond the window at its own rate, as a drift does in [`settles`].
fn moved_error<'a>(
    start: u64,
    half: u64,
    pixels: f32,
    frame: &impl Fn(u64) -> Option<&'a FrameFeatures>,
) -> Option<f32> {
    let end = start + 2 * half;
    let (first, last) = (frame(start)?, frame(end)?);
    let (before_first, after_last) = (frame(start.checked_sub(1)?)?, frame(end + 1)?);
    let outgoing = motion::displacement(before_first, first);
    let incoming = motion::displacement(last, after_last);
    let (mut error, mut difference) = (0.0, 0.0);
    for quarter in 1..=3u64 {
        let offset = (2 * half * quarter + 2) / 4;
        let inner = frame(start + offset)?;
        let alpha = offset as f32 / (2 * half) as f32;
        // The outgoing picture has moved on for `offset` frames since the first frame; the
        // incoming one is where it was `2 * half - offset` frames before the last.
        let (ahead, behind) = (offset as f32, (2 * half - offset) as f32);
        let blend = motion::moved_blend(
            inner,
            (first, (outgoing.0 * ahead, outgoing.1 * ahead)),
            (last, (-incoming.0 * behind, -incoming.1 * behind)),
            alpha,
        )?;
        error += blend.error / 3.0;
        difference += blend.difference / 3.0;
    }
    if difference < MIN_UNEXPLAINED_SHARE * pixels {
        return None;
    }
    // Widening the window by one frame on each side adds this much unexplained change; a steady
    // drift would add `difference / half` (a share of `1 / half` of the window's own). Seed 102's
    // dissolve into a pan measures 0.14 of that; a window with one end still inside a longer
    // transition about half (0.58 the closest in the benchmark), as in `settles`.
    let beyond = motion::unexplained_change(before_first, first, outgoing)
        + motion::unexplained_change(last, after_last, incoming);
    if beyond > MAX_SETTLE_GROWTH * difference / half as f32 {
        return None;
    }
    Some(error / difference.max(BLEND_ERROR_FLOOR))
}

/// True when the change of the window `start..=end` does not go on outside it: widening the
/// window by [`SETTLE_DIVISOR`]th of its half-length on each side (where those frames exist) must
/// add less than [`MAX_SETTLE_GROWTH`] of what a steady drift would add.
///
/// Each side's growth is measured on its own, against the window's far end, and the two are
/// summed. Widening both sides at once would compare two outside frames with each other, and
/// when both fall into transitions to other pictures (a drifting shot between two dissolves)
/// their blends can resemble each other: the distance of the widened ends then shrinks, and a
/// drift that goes on at both ends looks settled.
fn settles<'a>(
    start: u64,
    end: u64,
    change: f32,
    frame: &impl Fn(u64) -> Option<&'a FrameFeatures>,
) -> bool {
    let reach = ((end - start) / 2 / SETTLE_DIVISOR).max(1);
    let before = start
        .checked_sub(reach)
        .filter(|&n| frame(n).is_some())
        .unwrap_or(start);
    let after = Some(end + reach)
        .filter(|&n| frame(n).is_some())
        .unwrap_or(end);
    let widened_by = (start - before) + (after - end);
    if widened_by == 0 {
        return true;
    }
    // Growth of the change from `from` to `to` over the window's own; none where a side could
    // not be widened.
    let growth = |from: u64, to: u64| {
        if (from, to) == (start, end) {
            return 0.0;
        }
        frame(from).zip(frame(to)).map_or(0.0, |(first, last)| {
            first.distance(last).score() / change - 1.0
        })
    };
    let growth = growth(before, end) + growth(start, after);
    let drift = widened_by as f32 / (end - start) as f32;
    growth <= MAX_SETTLE_GROWTH * drift
}

/// Blend weight below which a frame still shows the outgoing picture, and above which (from 1)
/// it already shows the incoming one: 8% tolerates codec noise and slight motion.
const EXTENT_ALPHA_MARGIN: f32 = 0.08;

/// The frames inside `window` that are blends: where the frame's projection onto the line from
/// the window's first to its last frame lies strictly between the two. A window may be longer
/// than its transition; this trims it to the frames that actually change.
pub fn blend_extent<'a>(
    window: &BlendWindow,
    frame: impl Fn(u64) -> Option<&'a FrameFeatures>,
) -> (u64, u64) {
    let (start, end) = (window.center - window.half, window.center + window.half);
    let (Some(first), Some(last)) = (frame(start), frame(end)) else {
        return (start + 1, end - 1);
    };
    let direction: Vec<i32> = first
        .luma
        .iter()
        .zip(&last.luma)
        .map(|(&a, &b)| i32::from(b) - i32::from(a))
        .collect();
    let length: i64 = direction.iter().map(|&d| i64::from(d * d)).sum();
    let alpha = |n: u64| -> f32 {
        let Some(inner) = frame(n) else { return 0.5 };
        if length == 0 {
            return 0.5;
        }
        let dot: i64 = inner
            .luma
            .iter()
            .zip(&first.luma)
            .zip(&direction)
            .map(|((&m, &a), &d)| i64::from((i32::from(m) - i32::from(a)) * d))
            .sum();
        dot as f32 / length as f32
    };
    let inner = start + 1..end;
    let blending: Vec<u64> = inner
        .filter(|&n| {
            let a = alpha(n);
            a > EXTENT_ALPHA_MARGIN && a < 1.0 - EXTENT_ALPHA_MARGIN
        })
        .collect();
    match (blending.first(), blending.last()) {
        (Some(&a), Some(&b)) => (a, b),
        _ => (window.center, window.center),
    }
}
