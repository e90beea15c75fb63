//! Dominant colours of a shot. Owns a coarse colour histogram accumulated over a shot's frames
//! and the choice of up to five colours with their shares; it knows nothing about shots' timing.

use vidpush_protocol::result::DominantColor;

/// Levels per RGB channel: 4 gives 64 cells, coarse enough that one object's shading falls into
/// one cell, fine enough to tell red from orange.
const LEVELS: usize = 4;

/// Most colours reported per shot (the protocol's contract).
const MAX_COLORS: usize = 5;

/// Smallest share worth reporting: a colour on less than 3% of the picture is a detail.
const MIN_SHARE: f32 = 0.03;

/// Sampling stride over analysis pixels: every 4th pixel gives the same shares within a percent
/// at a quarter of the cost.
const PIXEL_STRIDE: usize = 4;

/// Colour counts of one shot so far.
#[derive(Clone, Debug)]
pub struct ColorHistogram {
    /// Per cell: pixel count and sums of R, G, B (to report the cell's mean, not its corner).
    cells: [[u64; 4]; LEVELS * LEVELS * LEVELS],
    total: u64,
}

impl Default for ColorHistogram {
    fn default() -> Self {
        ColorHistogram {
            cells: [[0; 4]; LEVELS * LEVELS * LEVELS],
            total: 0,
        }
    }
}

/// BT.601 full-range YUV to RGB, as JPEG defines it.
pub fn yuv_to_rgb(y: u8, u: u8, v: u8) -> [u8; 3] {
    let (y, u, v) = (f32::from(y), f32::from(u) - 128.0, f32::from(v) - 128.0);
    // Adding a half and truncating rounds like `round` for everything the clamp keeps, without
    // a call into libm for each of the shot's sampled pixels.
    let clamp = |x: f32| (x + 0.5).clamp(0.0, 255.0) as u8;
    [
        clamp(y + 1.402 * v),
        clamp(y - 0.344_136 * u - 0.714_136 * v),
        clamp(y + 1.772 * u),
    ]
}

impl ColorHistogram {
    /// Adds one frame given as analysis-size luma and chroma.
    pub fn add_frame(&mut self, luma: &[u8], chroma: &[(u8, u8)]) {
        for (&y, &(u, v)) in luma.iter().zip(chroma).step_by(PIXEL_STRIDE) {
            let rgb = yuv_to_rgb(y, u, v);
            let cell = rgb
                .iter()
                .fold(0, |acc, &c| acc * LEVELS + usize::from(c) * LEVELS / 256);
            let entry = &mut self.cells[cell];
            entry[0] += 1;
            for (sum, &c) in entry[1..].iter_mut().zip(&rgb) {
                *sum += u64::from(c);
            }
            self.total += 1;
        }
    }

    /// Up to five colours, largest share first.
    pub fn dominant(&self) -> Vec<DominantColor> {
        let mut cells: Vec<&[u64; 4]> = self.cells.iter().filter(|c| c[0] > 0).collect();
        cells.sort_by(|a, b| b[0].cmp(&a[0]));
        cells
            .into_iter()
            .map(|cell| {
                let mean = |sum: u64| (sum / cell[0]) as u8;
                DominantColor {
                    hex: format!(
                        "#{:02x}{:02x}{:02x}",
                        mean(cell[1]),
                        mean(cell[2]),
                        mean(cell[3])
                    ),
                    share: cell[0] as f32 / self.total.max(1) as f32,
                }
            })
            .filter(|color| color.share >= MIN_SHARE)
            .take(MAX_COLORS)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_red_half_blue_gives_two_even_colours() {
        // Full-range BT.601 red is about (76, 85, 255), blue about (29, 255, 107).
        let luma: Vec<u8> = [76u8; 8].into_iter().chain([29u8; 8]).collect();
        let chroma: Vec<(u8, u8)> = [(85u8, 255u8); 8]
            .into_iter()
            .chain([(255, 107); 8])
            .collect();
        let mut histogram = ColorHistogram::default();
        histogram.add_frame(&luma, &chroma);
        let colors = histogram.dominant();
        assert_eq!(colors.len(), 2);
        assert!((colors[0].share - 0.5).abs() < 1e-6);
        let hexes: Vec<&str> = colors.iter().map(|c| c.hex.as_str()).collect();
        assert!(
            hexes
                .iter()
                .any(|h| h.starts_with("#fe") || h.starts_with("#ff")),
            "{hexes:?}"
        );
    }
}
