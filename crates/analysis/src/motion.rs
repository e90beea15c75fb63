//! Global motion of the picture between two frames, and the blend of a window's two ends with
//! each end moved along its own shot's motion. Owns the pixel work of motion; the gradual test in
//! [`crate::gradual`] decides when to use it and what its results mean.
//!
//! Motion is one translation per frame pair, found on integral projections (column and row
//! means): cheap, and enough for pans, which are what moves a whole picture fast. Zooms, shake
//! and busy content fit no single translation; for them the moved blend is no better than the
//! plain one, and the gradual test stays as strict as before.

use crate::features::FrameFeatures;
use std::ops::Range;

/// Fastest motion followed, as a share of the frame's width (or height) per frame: a sixth is
/// twice the benchmark's fast pan (a twelfth of the width per frame).
const MAX_MOTION_DIVISOR: usize = 6;

/// Rounds of estimating one axis on the lines the other axis's shift keeps in both frames: the
/// first round's vertical shift is biased by a diagonal motion over oblique texture, the second
/// is within a tenth of a pixel (unit tests), more change nothing.
const ROUNDS: usize = 2;

/// Least share of a frame's pixels that both moved ends must cover for their blend to be judged:
/// fewer, and the judgement rests on a strip at one corner of the picture. The benchmark's fast
/// pan, moved six frames, still covers about two fifths.
const MIN_COVERED_SHARE: f32 = 0.2;

/// Global translation of the picture from `earlier` to `later`, in analysis pixels, with a
/// sub-pixel part: `later(p) ≈ earlier(p - d)`.
///
/// Searched on column means for the horizontal shift and on row means for the vertical one,
/// each taken over the lines both frames share under the other axis's shift, since content
/// entering at one side would otherwise swamp the means.
pub fn displacement(earlier: &FrameFeatures, later: &FrameFeatures) -> (f32, f32) {
    let (width, height) = (earlier.width, earlier.height);
    let horizontal = |rows: Shared| {
        best_shift(
            &column_means(earlier, rows.earlier()),
            &column_means(later, rows.later()),
            width / MAX_MOTION_DIVISOR,
        )
    };
    let vertical = |columns: Shared| {
        best_shift(
            &row_means(earlier, columns.earlier()),
            &row_means(later, columns.later()),
            height / MAX_MOTION_DIVISOR,
        )
    };
    let mut dx = horizontal(Shared::under(0.0, height));
    let mut dy = 0.0;
    for _ in 0..ROUNDS {
        dy = vertical(Shared::under(dx, width));
        dx = horizontal(Shared::under(dy, height));
    }
    (dx, dy)
}

/// The lines (rows or columns) that stay in the picture under a whole-pixel shift along them.
#[derive(Clone, Copy)]
struct Shared {
    shift: isize,
    length: usize,
}

impl Shared {
    fn under(shift: f32, length: usize) -> Self {
        // At most half the lines move out, so both ranges below keep at least half of them.
        let limit = length as isize / 2;
        Shared {
            shift: (shift.round() as isize).clamp(-limit, limit),
            length,
        }
    }

    /// Lines of the earlier frame that the later one still shows.
    fn earlier(self) -> Range<usize> {
        (-self.shift).max(0) as usize..self.length - self.shift.max(0) as usize
    }

    /// The same lines in the later frame.
    fn later(self) -> Range<usize> {
        self.shift.max(0) as usize..(self.length as isize + self.shift.min(0)) as usize
    }
}

/// Mean luma of each column over `rows`.
fn column_means(frame: &FrameFeatures, rows: Range<usize>) -> Vec<f32> {
    let width = frame.width;
    let mut sums = vec![0u32; width];
    for line in frame.luma[rows.start * width..rows.end * width].chunks_exact(width) {
        for (sum, &value) in sums.iter_mut().zip(line) {
            *sum += u32::from(value);
        }
    }
    let count = rows.len().max(1) as f32;
    sums.into_iter().map(|sum| sum as f32 / count).collect()
}

/// Mean luma of each row over `columns`.
fn row_means(frame: &FrameFeatures, columns: Range<usize>) -> Vec<f32> {
    let count = columns.len().max(1) as f32;
    frame
        .luma
        .chunks_exact(frame.width)
        .map(|line| {
            let sum: u32 = line[columns.clone()].iter().map(|&v| u32::from(v)).sum();
            sum as f32 / count
        })
        .collect()
}

/// The shift `d` within `±reach` for which `b[i] ≈ a[i - d]` best (least mean absolute
/// difference over the overlap), refined by a parabola through its neighbours' costs.
fn best_shift(a: &[f32], b: &[f32], reach: usize) -> f32 {
    let reach = reach.min(b.len() / 2) as isize;
    let cost = |shift: isize| -> f32 {
        let start = shift.max(0) as usize;
        let end = (b.len() as isize + shift.min(0)) as usize;
        let total: f32 = (start..end)
            .map(|i| (b[i] - a[(i as isize - shift) as usize]).abs())
            .sum();
        total / (end - start).max(1) as f32
    };
    let costs: Vec<f32> = (-reach..=reach).map(cost).collect();
    let Some((best, &lowest)) = costs.iter().enumerate().min_by(|x, y| x.1.total_cmp(y.1)) else {
        return 0.0;
    };
    let mut shift = best as f32 - reach as f32;
    if best > 0 && best + 1 < costs.len() {
        let (left, right) = (costs[best - 1], costs[best + 1]);
        let curvature = left - 2.0 * lowest + right;
        if curvature > 0.0 {
            shift += (0.5 * (left - right) / curvature).clamp(-0.5, 0.5);
        }
    }
    shift
}

/// What an inner frame of a window says about the blend of its two moved ends.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MovedBlend {
    /// Mean absolute luma error of the inner frame against the blend, 0.0 to 1.0.
    pub error: f32,
    /// Mean absolute luma difference of the two moved ends, 0.0 to 1.0: the change between
    /// them that motion does not explain.
    pub difference: f32,
}

/// Compares `inner` with the blend, weight `alpha` on the second, of two moved frames: each is
/// given with its shift, `moved(p) = frame(p - shift)`, sampled bilinearly. Measured over the
/// pixels both moved frames cover; `None` when they cover less than [`MIN_COVERED_SHARE`].
pub fn moved_blend(
    inner: &FrameFeatures,
    (first, first_shift): (&FrameFeatures, (f32, f32)),
    (last, last_shift): (&FrameFeatures, (f32, f32)),
    alpha: f32,
) -> Option<MovedBlend> {
    let (width, height) = (inner.width, inner.height);
    let (mut error, mut difference, mut covered) = (0.0f32, 0.0f32, 0usize);
    for y in 0..height {
        for x in 0..width {
            let (x, y) = (x as f32, y as f32);
            let (Some(a), Some(b)) = (
                sample(first, x - first_shift.0, y - first_shift.1),
                sample(last, x - last_shift.0, y - last_shift.1),
            ) else {
                continue;
            };
            let blend = (1.0 - alpha) * a + alpha * b;
            let actual = f32::from(inner.luma[y as usize * width + x as usize]);
            error += (actual - blend).abs();
            difference += (a - b).abs();
            covered += 1;
        }
    }
    if (covered as f32) < MIN_COVERED_SHARE * (width * height) as f32 {
        return None;
    }
    let scale = covered as f32 * 255.0;
    Some(MovedBlend {
        error: error / scale,
        difference: difference / scale,
    })
}

/// The change from `earlier` to `later` that moving `earlier` by `shift` does not explain: their
/// mean absolute luma difference, 0.0 to 1.0, over the pixels the moved frame covers.
pub fn unexplained_change(
    earlier: &FrameFeatures,
    later: &FrameFeatures,
    shift: (f32, f32),
) -> f32 {
    let width = later.width;
    let (mut total, mut covered) = (0.0f32, 0usize);
    for (i, &value) in later.luma.iter().enumerate() {
        let (x, y) = ((i % width) as f32, (i / width) as f32);
        if let Some(moved) = sample(earlier, x - shift.0, y - shift.1) {
            total += (moved - f32::from(value)).abs();
            covered += 1;
        }
    }
    total / (covered.max(1) as f32 * 255.0)
}

/// Luma of `frame` at `(x, y)` by bilinear interpolation; `None` outside the picture.
fn sample(frame: &FrameFeatures, x: f32, y: f32) -> Option<f32> {
    let (width, height) = (frame.width, frame.height);
    if !(0.0..=(width - 1) as f32).contains(&x) || !(0.0..=(height - 1) as f32).contains(&y) {
        return None;
    }
    let (x0, y0) = (x as usize, y as usize);
    let (x1, y1) = ((x0 + 1).min(width - 1), (y0 + 1).min(height - 1));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let at = |x: usize, y: usize| f32::from(frame.luma[y * width + x]);
    let top = at(x0, y0) + (at(x1, y0) - at(x0, y0)) * fx;
    let bottom = at(x0, y1) + (at(x1, y1) - at(x0, y1)) * fx;
    Some(top + (bottom - top) * fy)
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: usize = 96;
    const H: usize = 54;

    /// A smooth texture with structure along both axes and oblique stripes, seen through a
    /// window whose corner is at `(x0, y0)`: moving the window moves the picture the other way.
    fn view(x0: f32, y0: f32) -> FrameFeatures {
        let luma = (0..W * H)
            .map(|i| {
                let (x, y) = ((i % W) as f32 + x0, (i / W) as f32 + y0);
                let value = 128.0
                    + 60.0 * (x / 7.0).sin() * (y / 11.0).cos()
                    + 50.0 * ((x + 2.0 * y) / 13.0).sin();
                value.clamp(0.0, 255.0) as u8
            })
            .collect();
        FrameFeatures::from_planes(W, H, luma, vec![(128, 128); W * H])
    }

    fn flat(level: u8) -> FrameFeatures {
        FrameFeatures::from_planes(W, H, vec![level; W * H], vec![(128, 128); W * H])
    }

    fn mix(a: &FrameFeatures, b: &FrameFeatures, alpha: f32) -> FrameFeatures {
        let luma = a
            .luma
            .iter()
            .zip(&b.luma)
            .map(|(&x, &y)| (f32::from(x) * (1.0 - alpha) + f32::from(y) * alpha).round() as u8)
            .collect();
        FrameFeatures::from_planes(W, H, luma, vec![(128, 128); W * H])
    }

    #[test]
    fn displacement_finds_a_diagonal_pan_within_a_fifth_of_a_pixel() {
        let start = view(0.0, 0.0);
        for (x0, y0) in [
            (8.0, 4.5),
            (-8.0, -4.5),
            (3.0, 0.0),
            (0.0, 6.0),
            (-2.5, 1.0),
        ] {
            let (dx, dy) = displacement(&start, &view(x0, y0));
            assert!(
                (dx + x0).abs() < 0.2 && (dy + y0).abs() < 0.2,
                "window moved by ({x0}, {y0}), picture found moved by ({dx}, {dy})"
            );
        }
    }

    #[test]
    fn still_frames_have_no_displacement() {
        assert_eq!(displacement(&view(0.0, 0.0), &view(0.0, 0.0)), (0.0, 0.0));
    }

    #[test]
    fn dissolve_into_a_pan_is_a_blend_of_the_moved_ends_only() {
        // A grey still dissolves into a pan moving 6 px a frame; the window's last frame (8) is
        // the pan alone, its inner frame (4) half grey, half the pan as it was 4 frames earlier.
        let grey = flat(90);
        let pan = |n: f32| view(6.0 * n, 0.0);
        let inner = mix(&grey, &pan(4.0), 0.5);
        let (last, after) = (pan(8.0), pan(9.0));
        let plain = inner.blend_error(&grey, &last, 0.5);
        let velocity = displacement(&last, &after);
        let back = (-velocity.0 * 4.0, -velocity.1 * 4.0);
        let moved = moved_blend(&inner, (&grey, (0.0, 0.0)), (&last, back), 0.5)
            .expect("a 24 px pan leaves most of the picture covered");
        assert!(moved.error < 0.2 * plain, "moved {moved:?}, plain {plain}");
        assert!(moved.difference > 0.1, "{moved:?}");
    }

    #[test]
    fn a_pan_is_explained_by_its_motion() {
        let (earlier, later) = (view(0.0, 0.0), view(5.0, -2.0));
        let shift = displacement(&earlier, &later);
        let raw = crate::features::mean_abs_difference(&earlier.luma, &later.luma);
        assert!(unexplained_change(&earlier, &later, shift) < 0.1 * raw);
    }
}
