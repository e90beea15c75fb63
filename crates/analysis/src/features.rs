//! Per-frame features for shot detection: a small luma/chroma image and a colour histogram, plus
//! the distances between two frames. Owns everything the detector knows about pixels; the
//! detector itself only compares features.

use crate::decode::{VideoFrame, full_chroma, full_luma};

/// Luma histogram bins: 16 keep exposure changes apart without splitting noise.
const LUMA_BINS: usize = 16;
/// Chroma histogram bins per axis (U and V): 8x8 tells hues apart, ignores compression noise.
const CHROMA_BINS: usize = 8;
/// Total histogram bins.
pub const HISTOGRAM_BINS: usize = LUMA_BINS + CHROMA_BINS * CHROMA_BINS;

/// The vote of one pixel in the soft histogram: integer weights keep counting exact and fast.
pub const SOFT_WEIGHT: u32 = 16;

/// A luma level at or below which a pixel counts as black (about 10% of full scale, as
/// ffmpeg's `blackdetect` default `pix_th=0.10`).
pub const DARK_PIXEL_LUMA: u8 = 26;

/// How a per-pixel luma difference turns into a 0..1 score comparable with histogram distance:
/// a hard cut between unrelated pictures changes luma by ~0.25-0.4 of full scale on average,
/// which this gain maps to (nearly) 1.
const PIXEL_GAIN: f32 = 3.0;

/// What the detector knows about one frame.
#[derive(Clone, Debug)]
pub struct FrameFeatures {
    /// Width of the small planes.
    pub width: usize,
    /// Height of the small planes.
    pub height: usize,
    /// Luma at analysis size, 0 black to 255 white.
    pub luma: Vec<u8>,
    /// U and V at analysis size (one sample per luma pixel), for colour facts.
    pub chroma: Vec<(u8, u8)>,
    /// Soft counts of luma bins, then of the UV bins; each group sums to about the pixel count
    /// times [`SOFT_WEIGHT`].
    pub histogram: [u32; HISTOGRAM_BINS],
    /// Mean luma, 0.0 to 1.0.
    pub mean_luma: f32,
    /// Share of pixels at or below [`DARK_PIXEL_LUMA`].
    pub dark_share: f32,
    /// Mean absolute horizontal plus vertical luma gradient, 0.0 to 1.0: how much detail the
    /// frame shows, used to pick sharp thumbnails.
    pub sharpness: f32,
}

/// How different two frames are.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FrameDistance {
    /// Histogram distance, 0.0 (same colours) to 1.0 (no colour in common).
    pub histogram: f32,
    /// Mean absolute luma difference, 0.0 to 1.0.
    pub pixels: f32,
}

impl FrameDistance {
    /// One number for "how much changed": the mean of colour change and (scaled) structure
    /// change, so neither motion alone (pixels) nor a lighting shift alone (histogram) dominates.
    pub fn score(self) -> f32 {
        0.5 * self.histogram + 0.5 * (self.pixels * PIXEL_GAIN).min(1.0)
    }
}

/// Source ranges for each output cell of a box downscale from `from` to `to` samples.
fn box_ranges(from: usize, to: usize) -> Vec<(usize, usize)> {
    (0..to)
        .map(|i| {
            let start = i * from / to;
            let end = ((i + 1) * from / to).max(start + 1).min(from);
            (start, end)
        })
        .collect()
}

/// Makes features of decoded frames at one analysis size; reuses its lookup tables.
pub struct FeatureExtractor {
    width: usize,
    height: usize,
    columns: Vec<(usize, usize)>,
    rows: Vec<(usize, usize)>,
    /// `ceil(2^32 / area)` for each box area, when every area is below [`MAX_RECIPROCAL_AREA`].
    reciprocals: Option<Vec<u64>>,
    source_width: usize,
}

/// Fixed-point shift of the reciprocals that replace one division per analysis pixel: with 32
/// bits, `sum * ceil(2^32 / area) >> 32` is exactly `sum / area` for every area below
/// [`MAX_RECIPROCAL_AREA`] (sums are at most `255 * area`).
const RECIPROCAL_SHIFT: u32 = 32;

/// Largest box area the reciprocals serve exactly; larger boxes (tiny analysis widths) divide.
const MAX_RECIPROCAL_AREA: usize = 4096;

impl FeatureExtractor {
    /// An extractor for frames of `source` size, downscaled to `analysis_width` (never up).
    pub fn new(source: (u32, u32), analysis_width: u32) -> Self {
        let (sw, sh) = (source.0 as usize, source.1 as usize);
        let width = (analysis_width as usize).clamp(4, sw);
        let height = ((width * sh + sw / 2) / sw).clamp(2, sh);
        let columns = box_ranges(sw, width);
        let rows = box_ranges(sh, height);
        let span = |ranges: &[(usize, usize)]| ranges.iter().map(|(a, b)| b - a).max();
        let max_area = span(&columns).unwrap_or(1) * span(&rows).unwrap_or(1);
        let reciprocals = (max_area < MAX_RECIPROCAL_AREA).then(|| {
            (0..=max_area as u64)
                .map(|area| (1u64 << RECIPROCAL_SHIFT).div_ceil(area.max(1)))
                .collect()
        });
        FeatureExtractor {
            width,
            height,
            columns,
            rows,
            reciprocals,
            source_width: sw,
        }
    }

    /// The analysis width actually used.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Features of one frame.
    pub fn extract(&self, frame: &VideoFrame) -> FrameFeatures {
        let (luma_plane, (u_plane, v_plane)) = (frame.luma(), frame.chroma());
        let chroma_width = self.source_width / 2;
        let mut luma = Vec::with_capacity(self.width * self.height);
        let mut chroma = Vec::with_capacity(self.width * self.height);
        let mut column_sums = vec![0u32; self.source_width];
        for &(y0, y1) in &self.rows {
            // Sum the box's source rows column by column first: a plain element-wise add over
            // whole rows, which the compiler vectorises; then each box adds a few columns.
            column_sums.fill(0);
            for line in luma_plane[y0 * self.source_width..y1 * self.source_width]
                .chunks_exact(self.source_width)
            {
                for (sum, &sample) in column_sums.iter_mut().zip(line) {
                    *sum += u32::from(sample);
                }
            }
            for &(x0, x1) in &self.columns {
                let sum: u32 = column_sums[x0..x1].iter().sum();
                let area = (y1 - y0) * (x1 - x0);
                let mean = match &self.reciprocals {
                    Some(reciprocals) => (u64::from(sum) * reciprocals[area]) >> RECIPROCAL_SHIFT,
                    None => u64::from(sum) / area as u64,
                };
                luma.push(full_luma(mean as u8));
                // One chroma sample at the block's centre: colour varies slowly, and exact
                // averaging here would double the cost of this function for no visible gain.
                let cy = ((y0 + y1) / 4).min(frame.height as usize / 2 - 1);
                let cx = ((x0 + x1) / 4).min(chroma_width - 1);
                chroma.push((
                    full_chroma(u_plane[cy * chroma_width + cx]),
                    full_chroma(v_plane[cy * chroma_width + cx]),
                ));
            }
        }
        FrameFeatures::from_planes(self.width, self.height, luma, chroma)
    }
}

impl FrameFeatures {
    /// Features of an analysis-size image given as planes (also used by tests).
    pub fn from_planes(width: usize, height: usize, luma: Vec<u8>, chroma: Vec<(u8, u8)>) -> Self {
        let mut histogram = [0u32; HISTOGRAM_BINS];
        let mut luma_sum = 0u64;
        let mut dark = 0u32;
        // Soft binning: each pixel splits its vote between the two nearest bins (four for
        // chroma), so a smooth change such as a dissolve between two flat colours moves the
        // histogram smoothly instead of in jumps that look like cuts.
        for (&y, &(u, v)) in luma.iter().zip(&chroma) {
            let soft = |table: &[(u8, u8, u8); 256], value: u8| {
                let (lower, upper, weight) = table[usize::from(value)];
                (usize::from(lower), usize::from(upper), u32::from(weight))
            };
            let (y0, y1, wy) = soft(&LUMA_SOFT_BINS, y);
            histogram[y0] += SOFT_WEIGHT - wy;
            histogram[y1] += wy;
            let (u0, u1, wu) = soft(&CHROMA_SOFT_BINS, u);
            let (v0, v1, wv) = soft(&CHROMA_SOFT_BINS, v);
            for (bu, weight_u) in [(u0, SOFT_WEIGHT - wu), (u1, wu)] {
                for (bv, weight_v) in [(v0, SOFT_WEIGHT - wv), (v1, wv)] {
                    histogram[LUMA_BINS + bu * CHROMA_BINS + bv] +=
                        weight_u * weight_v / SOFT_WEIGHT;
                }
            }
            luma_sum += u64::from(y);
            dark += u32::from(y <= DARK_PIXEL_LUMA);
        }
        let pixels = luma.len().max(1) as f32;
        let mut gradient = 0u64;
        if width > 0 {
            // Each pixel but the last column and row: its difference to the right and below.
            for (row, below) in luma
                .chunks_exact(width)
                .zip(luma.chunks_exact(width).skip(1))
            {
                let row_sum: u32 = row
                    .iter()
                    .zip(&row[1..])
                    .zip(below)
                    .map(|((&here, &right), &under)| {
                        u32::from(here.abs_diff(right)) + u32::from(here.abs_diff(under))
                    })
                    .sum();
                gradient += u64::from(row_sum);
            }
        }
        FrameFeatures {
            width,
            height,
            mean_luma: luma_sum as f32 / pixels / 255.0,
            dark_share: dark as f32 / pixels,
            sharpness: gradient as f32 / pixels / 255.0,
            luma,
            chroma,
            histogram,
        }
    }

    /// How different `self` and `other` are.
    pub fn distance(&self, other: &FrameFeatures) -> FrameDistance {
        let pixels = self.luma.len().max(1) as f32;
        let (luma_a, chroma_a) = self.histogram.split_at(LUMA_BINS);
        let (luma_b, chroma_b) = other.histogram.split_at(LUMA_BINS);
        let common = |a: &[u32], b: &[u32]| a.iter().zip(b).map(|(&x, &y)| x.min(y)).sum::<u32>();
        let histogram = (1.0
            - (common(luma_a, luma_b) + common(chroma_a, chroma_b)) as f32
                / (2.0 * pixels * SOFT_WEIGHT as f32))
            .max(0.0);
        FrameDistance {
            histogram,
            pixels: mean_abs_difference(&self.luma, &other.luma),
        }
    }

    /// How far `self` is from the blend `(1 - alpha) * from + alpha * to` of two other frames,
    /// as mean absolute luma error, 0.0 to 1.0. Small for frames inside a dissolve or fade.
    pub fn blend_error(&self, from: &FrameFeatures, to: &FrameFeatures, alpha: f32) -> f32 {
        let weight = (alpha.clamp(0.0, 1.0) * 256.0) as i32;
        let total: u64 = self
            .luma
            .iter()
            .zip(from.luma.iter().zip(&to.luma))
            .map(|(&m, (&a, &b))| {
                let blend = (i32::from(a) * (256 - weight) + i32::from(b) * weight) >> 8;
                u64::from((i32::from(m) - blend).unsigned_abs())
            })
            .sum();
        total as f32 / self.luma.len().max(1) as f32 / 255.0
    }
}

/// The two bins nearest to `value` (centres at `(i + 0.5) * 256 / bins`) and the weight, out of
/// [`SOFT_WEIGHT`], of the upper one.
const fn soft_bin(value: u8, bins: usize) -> (u8, u8, u8) {
    let width = 256 / bins as u32;
    let position = (value as u32 * SOFT_WEIGHT / width).saturating_sub(SOFT_WEIGHT / 2);
    let lower = (position / SOFT_WEIGHT) as usize;
    let upper = if lower + 1 < bins {
        lower + 1
    } else {
        bins - 1
    };
    let weight = if upper == lower {
        0
    } else {
        position % SOFT_WEIGHT
    };
    let lower = if lower < bins { lower } else { bins - 1 };
    (lower as u8, upper as u8, weight as u8)
}

/// [`soft_bin`] of every byte value: the histogram runs per analysis pixel, three times.
const fn soft_bins(bins: usize) -> [(u8, u8, u8); 256] {
    let mut table = [(0, 0, 0); 256];
    let mut value = 0;
    while value < 256 {
        table[value] = soft_bin(value as u8, bins);
        value += 1;
    }
    table
}

/// Soft luma bins of each luma value.
static LUMA_SOFT_BINS: [(u8, u8, u8); 256] = soft_bins(LUMA_BINS);
/// Soft chroma bins of each U or V value.
static CHROMA_SOFT_BINS: [(u8, u8, u8); 256] = soft_bins(CHROMA_BINS);

/// Samples summed in 32 bits before the total moves to 64: 2^24 differences of at most 255
/// cannot overflow, and narrow sums let the compiler use wide vector lanes.
const DIFFERENCE_CHUNK: usize = 1 << 24;

/// Mean absolute difference of two equal-length planes, 0.0 to 1.0.
pub fn mean_abs_difference(a: &[u8], b: &[u8]) -> f32 {
    let total: u64 = a
        .chunks(DIFFERENCE_CHUNK)
        .zip(b.chunks(DIFFERENCE_CHUNK))
        .map(|(a, b)| {
            let chunk: u32 = a
                .iter()
                .zip(b)
                .map(|(&x, &y)| u32::from(x.abs_diff(y)))
                .sum();
            u64::from(chunk)
        })
        .sum();
    total as f32 / a.len().max(1) as f32 / 255.0
}
