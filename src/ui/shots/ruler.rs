//! The ruler over the shots: each shot a band proportional to its length, alternating two
//! tones, with the dissolves and fades marked in a colour of their own.
//!
//! A canvas, drawn a shot at a time: a film's 3,000 shots as a CSS gradient were a string of
//! 200 KB rebuilt and re-parsed for every pushed shot, and as elements 3,000 more nodes. The
//! canvas has a fixed resolution and is stretched to the ruler's width, so drawing never asks
//! for layout.

use crate::job::JobView;
use crate::storyboard::ruler_bands;
use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// The canvas's own width in pixels: finer than any ruler is wide on a screen.
const PIXELS: u32 = 2048;
/// Its height; stretched to the ruler's CSS height.
const HEIGHT: u32 = 8;
/// The space left between two bands wide enough to show one, in canvas pixels.
const BAND_GAP: f64 = 2.0;

/// The ruler of `view`'s shots, over a video `total` milliseconds long.
pub fn shot_ruler(view: RwSignal<JobView>, count: Memo<usize>, total: Memo<u64>) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    // How many shots are drawn, and over which total: a new total redraws every band. The
    // colours are read once per full redraw, not per shot: reading them asks for style.
    let drawn = StoredValue::new((0_usize, 0_u64));
    Effect::new(move |paint: Option<Option<Paint>>| {
        let (count, total) = (count.get(), total.get());
        let canvas = canvas.get()?;
        let (done, drawn_total) = drawn.get_value();
        let (paint, first) = match paint.flatten() {
            Some(paint) if drawn_total == total && done <= count => (paint, done),
            _ => {
                let paint = Paint::of(&canvas)?;
                paint
                    .context
                    .clear_rect(0.0, 0.0, PIXELS.into(), HEIGHT.into());
                (paint, 0)
            }
        };
        view.with_untracked(|v| {
            paint.bands(&v.shots[first..count.min(v.shots.len())], first, total)
        });
        drawn.set_value((count, total));
        Some(paint)
    });
    view! {
        <canvas
            class="ruler"
            data-testid="ruler"
            aria-hidden="true"
            width=PIXELS
            height=HEIGHT
            node_ref=canvas
        ></canvas>
    }
}

/// The canvas and the page's colours for it.
struct Paint {
    context: web_sys::CanvasRenderingContext2d,
    tones: [String; 2],
    transition: String,
}

impl Paint {
    /// The canvas's 2D context with the colours `style/main.css` gives the ruler.
    fn of(canvas: &web_sys::HtmlCanvasElement) -> Option<Self> {
        let context = canvas
            .get_context("2d")
            .ok()??
            .dyn_into::<web_sys::CanvasRenderingContext2d>()
            .ok()?;
        let style = window().get_computed_style(canvas).ok()??;
        let colour = |name: &str| {
            style
                .get_property_value(name)
                .ok()
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
        };
        Some(Self {
            context,
            tones: [colour("--ruler-a")?, colour("--ruler-b")?],
            transition: colour("--ruler-mark")?,
        })
    }

    /// Draws `shots`, the first of which is the job's shot `first`.
    fn bands(&self, shots: &[crate::job::ShotView], first: usize, total: u64) {
        let height = f64::from(HEIGHT);
        for band in ruler_bands(shots, first, total, f64::from(PIXELS)) {
            let width = band.to - band.from;
            let gap = if width > 3.0 * BAND_GAP {
                BAND_GAP
            } else {
                0.0
            };
            self.context
                .set_fill_style_str(&self.tones[usize::from(band.second_tone)]);
            self.context.fill_rect(band.from, 0.0, width - gap, height);
            // The mark ends where the shot starts, over the end of the shot before: drawn
            // later, the next shot's band would cover a mark that reached into it.
            if let Some(mark) = band.transition {
                self.context.set_fill_style_str(&self.transition);
                self.context
                    .fill_rect((band.from - mark).max(0.0), 0.0, mark, height);
            }
        }
    }
}
