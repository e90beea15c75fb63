//! Where the shots of a job stand when a film has thousands of them: the strip and the
//! storyboard grid lay shots out in equal cells, and only the cells near the visible part of
//! their scroller are in the DOM. This module is that arithmetic — which shots are near the
//! view, where a cell goes, how far to scroll to show a shot, where a key moves to, and the
//! ruler's bands — in plain numbers, so it is tested natively. It never touches the DOM.

use crate::job::ShotView;
use std::ops::Range;
use vidpush_protocol::TransitionKind;

/// A way of laying shots out in equal cells along one scrolling axis.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cells {
    /// A cell's width in CSS pixels, without the gap.
    pub width: f64,
    /// A cell's height in CSS pixels, without the gap.
    pub height: f64,
    /// The space between two cells, both ways.
    pub gap: f64,
    /// True when the cells form one row that scrolls sideways (the strip); false when they
    /// wrap into rows that scroll down (the grid).
    pub one_row: bool,
    /// Lines (columns of the strip, rows of the grid) built beyond each edge of the view, so a
    /// quick scroll or a held arrow key shows cells, not blanks, before the next render.
    pub overscan: usize,
}

impl Cells {
    /// The grid's cells widened to whole pixels so that the columns that fit fill `across`
    /// pixels, each taller by 9/16 of what it gained (the thumbnail is 16:9); the strip's as
    /// they are.
    pub fn fitted(self, across: f64) -> Self {
        if self.one_row {
            return self;
        }
        let columns = self.per_line(across) as f64;
        let width = ((across + self.gap) / columns - self.gap)
            .floor()
            .max(self.width);
        Self {
            width,
            height: (self.height + (width - self.width) * 9.0 / 16.0).round(),
            ..self
        }
    }

    /// The distance from one line's start to the next along the scrolling axis.
    pub fn line_step(&self) -> f64 {
        self.gap
            + if self.one_row {
                self.width
            } else {
                self.height
            }
    }

    /// How many shots one line holds in a scroller `across` pixels wide: 1 for the strip,
    /// as many cells as fit for the grid (at least one).
    pub fn per_line(&self, across: f64) -> usize {
        if self.one_row {
            return 1;
        }
        (((across + self.gap) / (self.width + self.gap)).floor() as usize).max(1)
    }

    /// The track's length along the scrolling axis for `count` shots.
    pub fn track_length(&self, count: usize, per_line: usize) -> f64 {
        let lines = count.div_ceil(per_line.max(1));
        (lines as f64 * self.line_step() - self.gap).max(0.0)
    }

    /// Where shot `i`'s cell starts: `(x, y)` inside the track.
    pub fn position(&self, i: usize, per_line: usize) -> (f64, f64) {
        let per_line = per_line.max(1);
        let (line, column) = (i / per_line, i % per_line);
        let along = line as f64 * self.line_step();
        if self.one_row {
            (along, 0.0)
        } else {
            (column as f64 * (self.width + self.gap), along)
        }
    }

    /// The shots worth having in the DOM when the scroller is at `offset` and shows `view`
    /// pixels along its axis: the visible lines and a few more each side.
    pub fn near_view(&self, count: usize, per_line: usize, offset: f64, view: f64) -> Range<usize> {
        let per_line = per_line.max(1);
        let step = self.line_step();
        let first_line = ((offset.max(0.0) / step).floor() as usize).saturating_sub(self.overscan);
        let last_line = ((offset.max(0.0) + view.max(0.0)) / step).ceil() as usize + self.overscan;
        let start = (first_line * per_line).min(count);
        let end = (last_line * per_line).min(count);
        start..end
    }

    /// The scroll offset that shows shot `i` whole, moving as little as possible from
    /// `offset`; `None` when it is already in view.
    pub fn offset_showing(&self, i: usize, per_line: usize, offset: f64, view: f64) -> Option<f64> {
        let (x, y) = self.position(i, per_line);
        let (start, length) = if self.one_row {
            (x, self.width)
        } else {
            (y, self.height)
        };
        if start < offset {
            Some(start)
        } else if start + length > offset + view {
            Some((start + length - view).max(0.0))
        } else {
            None
        }
    }
}

/// Which shot a key moves to from shot `from` of `count`, in lines of `per_line` shots of
/// which `lines_in_view` are visible: the arrows go one cell (up and down one line in the
/// grid), Page Up and Page Down one view, Home and End to the ends. `None` when the key does
/// not move or the selection is already there.
pub fn shot_after_key(
    key: &str,
    from: usize,
    count: usize,
    per_line: usize,
    lines_in_view: usize,
) -> Option<usize> {
    let last = count.checked_sub(1)?;
    let line = per_line.max(1);
    let page = line * lines_in_view.max(1);
    let to = match key {
        "ArrowRight" => from + 1,
        "ArrowLeft" => from.saturating_sub(1),
        "ArrowDown" => from + line,
        "ArrowUp" => from.saturating_sub(line),
        "PageDown" => from + page,
        "PageUp" => from.saturating_sub(page),
        "Home" => 0,
        "End" => last,
        _ => return None,
    }
    .min(last);
    (to != from).then_some(to)
}

/// The shot playing at `ms`: the last one that starts at or before it (shots are in order).
pub fn shot_at(shots: &[ShotView], ms: u64) -> Option<usize> {
    shots
        .partition_point(|s| s.shot.span.start_timestamp_millis <= ms)
        .checked_sub(1)
}

/// One band of the ruler, in pixels of a ruler `width` wide.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Band {
    /// Where the shot starts.
    pub from: f64,
    /// Where it ends.
    pub to: f64,
    /// Which of the two alternating tones it is painted in.
    pub second_tone: bool,
    /// How wide the mark of the dissolve or fade it begins with is (at least a couple of pixels
    /// so it shows on a long film); `None` after a hard cut or at the start.
    pub transition: Option<f64>,
}

/// The narrowest mark of a dissolve or fade on the ruler, in pixels.
const MIN_TRANSITION_MARK: f64 = 3.0;

/// The ruler's bands for `shots` (with their index in the job, from `first`) of a video
/// `total` milliseconds long, drawn `width` pixels wide.
pub fn ruler_bands(shots: &[ShotView], first: usize, total: u64, width: f64) -> Vec<Band> {
    let total = total.max(1) as f64;
    let x = |ms: u64| (ms as f64 / total).min(1.0) * width;
    shots
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let span = &s.shot.span;
            let transition = matches!(
                s.shot.transition_in.kind,
                TransitionKind::Dissolve | TransitionKind::Fade
            )
            .then(|| {
                let frames = s.shot.transition_in.duration_frames as f64;
                let frame_ms = span.duration_millis as f64 / span.duration_frames.max(1) as f64;
                (frames * frame_ms / total * width).max(MIN_TRANSITION_MARK)
            });
            Band {
                from: x(span.start_timestamp_millis),
                to: x(span.end_timestamp_millis),
                second_tone: (first + i) % 2 == 1,
                transition,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::shot;

    const STRIP: Cells = Cells {
        width: 100.0,
        height: 80.0,
        gap: 10.0,
        one_row: true,
        overscan: 4,
    };
    const GRID: Cells = Cells {
        one_row: false,
        ..STRIP
    };

    fn view(shot: vidpush_protocol::Shot) -> ShotView {
        ShotView {
            shot,
            thumbnail_url: String::new(),
        }
    }

    #[test]
    fn the_strip_is_one_row_and_the_grid_as_many_columns_as_fit() {
        assert_eq!(STRIP.per_line(1000.0), 1);
        // 4 cells and 3 gaps are 430 px; a fifth needs 540.
        assert_eq!(GRID.per_line(430.0), 4);
        assert_eq!(GRID.per_line(539.0), 4);
        assert_eq!(GRID.per_line(540.0), 5);
        assert_eq!(GRID.per_line(20.0), 1, "never no column");
        // 539 px hold four cells of 127.25 px and three gaps: 27 px wider, 15 px taller.
        let fitted = GRID.fitted(539.0);
        assert_eq!(
            (fitted.width, fitted.height, fitted.per_line(539.0)),
            (127.0, 95.0, 4)
        );
        assert_eq!(STRIP.fitted(539.0), STRIP);
        assert_eq!(GRID.position(6, 4), (220.0, 90.0));
        assert_eq!(STRIP.position(6, 1), (660.0, 0.0));
        assert_eq!(GRID.track_length(9, 4), 260.0, "three rows");
        assert_eq!(STRIP.track_length(0, 1), 0.0);
    }

    #[test]
    fn only_the_shots_near_the_view_are_built() {
        // 3,000 shots in 10 columns; the view shows rows 100 to about 105.
        let near = GRID.near_view(3_000, 10, 100.0 * 90.0, 450.0);
        assert_eq!(near, 960..1_090, "five rows in view and four each side");
        assert!(near.len() < 150);
        assert_eq!(GRID.near_view(3_000, 10, 0.0, 450.0), 0..90);
        assert_eq!(
            GRID.near_view(30, 10, 0.0, 450.0),
            0..30,
            "a short job whole"
        );
        assert_eq!(STRIP.near_view(5, 1, 0.0, 0.0), 0..4, "an unmeasured view");
    }

    #[test]
    fn a_shot_out_of_view_is_scrolled_to_with_the_least_movement() {
        // The view shows 0..450 px down: rows 0 to 4.
        assert_eq!(GRID.offset_showing(12, 10, 0.0, 450.0), None);
        assert_eq!(
            GRID.offset_showing(55, 10, 0.0, 450.0),
            Some(5.0 * 90.0 + 80.0 - 450.0)
        );
        assert_eq!(GRID.offset_showing(3, 10, 900.0, 450.0), Some(0.0));
        assert_eq!(STRIP.offset_showing(1, 1, 0.0, 300.0), None);
        assert_eq!(STRIP.offset_showing(3, 1, 0.0, 300.0), Some(130.0));
    }

    #[test]
    fn arrow_keys_move_one_cell_or_one_row_and_pages_one_view() {
        assert_eq!(shot_after_key("ArrowRight", 0, 3, 1, 1), Some(1));
        assert_eq!(
            shot_after_key("ArrowDown", 2, 3, 1, 1),
            None,
            "already the last"
        );
        assert_eq!(shot_after_key("ArrowLeft", 2, 3, 1, 1), Some(1));
        assert_eq!(shot_after_key("ArrowUp", 0, 3, 1, 1), None);
        assert_eq!(shot_after_key("End", 0, 3, 1, 1), Some(2));
        assert_eq!(shot_after_key("Home", 2, 3, 1, 1), Some(0));
        assert_eq!(shot_after_key("Tab", 0, 3, 1, 1), None);
        assert_eq!(shot_after_key("End", 0, 0, 1, 1), None);
        // The grid: 8 columns, 4 rows in view.
        assert_eq!(shot_after_key("ArrowDown", 3, 100, 8, 4), Some(11));
        assert_eq!(shot_after_key("ArrowUp", 11, 100, 8, 4), Some(3));
        assert_eq!(shot_after_key("ArrowUp", 3, 100, 8, 4), Some(0));
        assert_eq!(
            shot_after_key("ArrowDown", 95, 100, 8, 4),
            Some(99),
            "the last row is short"
        );
        assert_eq!(shot_after_key("PageDown", 3, 100, 8, 4), Some(35));
        assert_eq!(shot_after_key("PageUp", 35, 100, 8, 4), Some(3));
    }

    #[test]
    fn the_shot_under_the_playhead_is_the_last_that_started() {
        let shots = [view(shot(0, 0, 75)), view(shot(1, 75, 250))];
        assert_eq!(shot_at(&shots, 0), Some(0));
        assert_eq!(shot_at(&shots, 2_999), Some(0));
        assert_eq!(shot_at(&shots, 3_000), Some(1));
        assert_eq!(shot_at(&shots, 99_000), Some(1));
        assert_eq!(shot_at(&[], 10), None);
    }

    #[test]
    fn each_shot_is_a_band_of_its_share_and_dissolves_and_fades_are_marked() {
        // fixtures::shot takes frames at 25 fps: 0–75 is 0–3000 ms, 75–250 is 3000–10000 ms.
        let mut dissolve = shot(1, 75, 250);
        dissolve.transition_in.kind = TransitionKind::Dissolve;
        dissolve.transition_in.duration_frames = 25;
        let mut fade = shot(2, 250, 500);
        fade.transition_in.kind = TransitionKind::Fade;
        let shots = [view(shot(0, 0, 75)), view(dissolve), view(fade)];
        let bands = ruler_bands(&shots, 0, 20_000, 1000.0);
        assert_eq!(
            bands[..2],
            [
                Band {
                    from: 0.0,
                    to: 150.0,
                    second_tone: false,
                    transition: None
                },
                // 25 frames of 40 ms are 1 s: 50 px of a 20 s ruler 1000 px wide.
                Band {
                    from: 150.0,
                    to: 500.0,
                    second_tone: true,
                    transition: Some(50.0)
                },
            ]
        );
        assert_eq!(bands[2].to, 1000.0, "an end past the total is clamped");
        assert_eq!(
            bands[2].transition,
            Some(3.0),
            "a one-frame fade still shows"
        );
        // Drawn from shot 7 on, the tones continue the job's alternation.
        assert!(ruler_bands(&shots[..1], 7, 20_000, 1000.0)[0].second_tone);
    }
}
