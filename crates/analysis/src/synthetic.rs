//! Synthetic clips with exactly known shot boundaries, rendered by ffmpeg's lavfi sources, and the
//! scoring of detected boundaries against them. Used by the accuracy tests and by
//! `cargo xtask bench analysis`; the analysis itself never calls it. Owns the clip recipes and
//! their ground truth, nothing else.

mod footage;

pub use footage::{FRESH_SEEDS, HELD_OUT_SEEDS, TUNING_SEEDS, footage_clip};

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

/// What a segment shows. Each variant looks unlike the others, so every boundary is a real
/// change of picture.
#[derive(Clone, Debug, PartialEq)]
pub enum Content {
    /// ffmpeg's moving colour test pattern.
    TestPattern,
    /// SMPTE colour bars.
    Bars,
    /// A zooming Mandelbrot set.
    Mandelbrot,
    /// Conway's life in two colours (fast, busy change everywhere).
    Life,
    /// Slowly moving colour gradients between two colours.
    Gradient(&'static str, &'static str),
    /// A flat background with a filled box: the simplest "scene".
    Boxes(&'static str, &'static str),
    /// RGB test bars.
    RgbBars,
    /// Hard negative: a fast diagonal pan across a large test pattern.
    Pan,
    /// Hard negative: a fast zoom into the test pattern.
    Zoom,
    /// Hard negative: a slow, steady pan (a fortieth of the width per second) across the test
    /// pattern: a drift that never settles, unlike a dissolve.
    SlowPan,
    /// Hard negative: handheld camera shake, the test pattern jittering a few pixels each way
    /// every frame.
    Shake,
    /// Hard negative: a rainbow spiral turning fast, its hues sweeping across the whole frame
    /// every few frames with no abrupt change anywhere (animated titles, music videos).
    Spiral,
    /// Hard negative: a radial gradient over a third of the colour wheel running outward from
    /// the centre, so the frame's hues change as they sweep across it (animated backgrounds).
    RadialSweep,
    /// Hard negative: a large dark object (a third of the width, most of the height) crossing
    /// the colour bars in about a third of a second, like a bus passing close to the camera.
    Crossing,
    /// Hard negative: an object close to the camera (half the width, the full height) crossing
    /// the colour bars in four frames, like a car passing right in front of the lens.
    CloseCrossing,
}

/// A change of light laid over a segment, starting at some frame of it: what real footage shows
/// without any cut (camera flashes, strobes, lightning).
#[derive(Clone, Debug, PartialEq)]
pub enum Light {
    /// White laid over the whole picture with these opacities on consecutive frames: a flash
    /// that decays (`[0.95, 0.7, 0.45, 0.2]`), or one full-white frame (`[1.0]`).
    Flash(Vec<f32>),
    /// Luma lifted by these amounts (0 to 1) on consecutive frames, colours kept: lightning
    /// that lights the scene up and flickers.
    Lightning(Vec<f32>),
}

impl Light {
    /// Frames it lasts.
    pub fn frames(&self) -> u32 {
        match self {
            Light::Flash(levels) | Light::Lightning(levels) => levels.len() as u32,
        }
    }
}

/// How a segment begins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// Hard cut from the previous segment (or the start of the clip).
    Cut,
    /// Cross-fade over this many frames.
    Dissolve(u32),
    /// The previous segment fades out to black over this many frames, this one fades in over
    /// as many.
    FadeThroughBlack(u32),
}

/// One segment of a clip.
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    /// What it shows.
    pub content: Content,
    /// How many frames it lasts (including its part of a dissolve).
    pub frames: u32,
    /// How it begins.
    pub entry: Entry,
    /// Changes of light, each at an offset into the segment: hard negatives.
    pub lights: Vec<(u32, Light)>,
}

impl Segment {
    /// A segment entered by `entry`.
    pub fn new(content: Content, frames: u32, entry: Entry) -> Self {
        Segment {
            content,
            frames,
            entry,
            lights: Vec::new(),
        }
    }

    /// The same segment with one white frame at `offset`.
    pub fn with_flash(self, offset: u32) -> Self {
        self.with_light(offset, Light::Flash(vec![1.0]))
    }

    /// The same segment with `light` starting at `offset`.
    pub fn with_light(mut self, offset: u32, light: Light) -> Self {
        self.lights.push((offset, light));
        self
    }

    /// The same segment with a strobe: a one-frame white flash every `period` frames, `count`
    /// times, from `offset` on.
    pub fn with_strobe(mut self, offset: u32, period: u32, count: u32) -> Self {
        for k in 0..count {
            self = self.with_flash(offset + k * period);
        }
        self
    }

    /// What makes this segment a hard negative, in a word, if anything does: the class a false
    /// cut inside it is counted under.
    pub fn hard_negative_class(&self) -> Option<&'static str> {
        let flashes = self
            .lights
            .iter()
            .filter(|(_, light)| matches!(light, Light::Flash(_)))
            .count();
        if flashes > 1 {
            return Some("strobe");
        }
        if flashes == 1 {
            return Some("flash");
        }
        if !self.lights.is_empty() {
            return Some("lightning");
        }
        match self.content {
            Content::Pan | Content::Zoom | Content::SlowPan | Content::Shake => Some("motion"),
            Content::Spiral | Content::RadialSweep => Some("animated"),
            Content::Crossing => Some("crossing"),
            Content::CloseCrossing => Some("close crossing"),
            _ => None,
        }
    }

    fn is_hard_negative(&self) -> bool {
        self.hard_negative_class().is_some()
    }
}

/// Containers and codecs a clip can be written as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Container {
    /// H.264 in MP4.
    Mp4,
    /// H.264 in QuickTime MOV.
    Mov,
    /// VP9 in WebM.
    WebM,
    /// VP8 in Matroska.
    Mkv,
}

impl Container {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Container::Mp4 => "mp4",
            Container::Mov => "mov",
            Container::WebM => "webm",
            Container::Mkv => "mkv",
        }
    }

    fn codec_args(self) -> &'static [&'static str] {
        match self {
            Container::Mp4 | Container::Mov => &[
                "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
            ],
            // One tile column: Debian's ffmpeg 5.1 with libvpx-vp9 aborts (heap corruption,
            // `malloc_consolidate()`) encoding the footage clips at 640x360 with the two tile
            // columns it picks there by itself; at 320x180 one column is all it can pick anyway.
            Container::WebM => &[
                "-c:v",
                "libvpx-vp9",
                "-deadline",
                "realtime",
                "-cpu-used",
                "8",
                "-tile-columns",
                "0",
                "-b:v",
                "1M",
            ],
            Container::Mkv => &[
                "-c:v",
                "libvpx",
                "-deadline",
                "realtime",
                "-cpu-used",
                "8",
                "-b:v",
                "1M",
            ],
        }
    }
}

/// A clip recipe.
#[derive(Clone, Debug, PartialEq)]
pub struct ClipSpec {
    /// Frame width.
    pub width: u32,
    /// Frame height.
    pub height: u32,
    /// Frames per second (whole).
    pub fps: u32,
    /// The segments, in order.
    pub segments: Vec<Segment>,
}

/// Frame of a close crossing's segment at which the object is about to enter: late enough that
/// the segment's own cut is settled, early enough for the shortest segments of the suites.
const CLOSE_CROSSING_START: u32 = 10;

/// Where the boundaries of a clip truly are, in output frame numbers.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GroundTruth {
    /// First frame of each new shot after a hard cut.
    pub cuts: Vec<u64>,
    /// First and last frame of each gradual transition.
    pub graduals: Vec<(u64, u64)>,
    /// Frame ranges (inclusive) where no boundary may be reported.
    pub negatives: Vec<(u64, u64)>,
    /// Frames in the clip.
    pub frames: u64,
    /// First and last frame of each segment, in order (a dissolve's frames belong to both).
    pub segments: Vec<(u64, u64)>,
}

/// Frames kept clear of a segment's ends when it counts as a hard negative, so a correct
/// boundary at the segment's own start is not counted against it.
const NEGATIVE_MARGIN: u64 = 3;

impl ClipSpec {
    /// The exact boundaries of this clip.
    pub fn ground_truth(&self) -> GroundTruth {
        let mut truth = GroundTruth::default();
        let mut position = 0u64;
        for (i, segment) in self.segments.iter().enumerate() {
            let frames = u64::from(segment.frames);
            let start = match segment.entry {
                _ if i == 0 => 0,
                Entry::Cut => {
                    truth.cuts.push(position);
                    position
                }
                Entry::Dissolve(n) => {
                    let start = position - u64::from(n);
                    truth.graduals.push((start, position - 1));
                    start
                }
                Entry::FadeThroughBlack(n) => {
                    truth
                        .graduals
                        .push((position - u64::from(n), position + u64::from(n) - 1));
                    position
                }
            };
            position = start + frames;
            truth.segments.push((start, position - 1));
            if segment.is_hard_negative() {
                truth
                    .negatives
                    .push((start + NEGATIVE_MARGIN, position - 1 - NEGATIVE_MARGIN));
            }
        }
        truth.frames = position;
        truth
    }

    /// The lavfi graph of one segment's picture; `i` keeps its inner labels apart from other
    /// segments'.
    fn source(&self, content: &Content, i: usize) -> String {
        let (w, h, r) = (self.width, self.height, self.fps);
        // Rainbow colour from a phase expression: three sines a third of a turn apart. Rendered at
        // half size and scaled up, since geq is slow and the picture is smooth.
        let rainbow = |phase: &str| {
            format!(
                "color=c=black:s={}x{}:r={r},format=gbrp,geq=r='128+127*sin({phase})':g='128+127*sin({phase}+2.094)':b='128+127*sin({phase}+4.189)',scale={w}:{h}",
                w / 2,
                h / 2
            )
        };
        match content {
            Content::Spiral => rainbow("3*atan2(Y-H/2,X-W/2)+hypot(X-W/2,Y-H/2)/7-N*0.35"),
            Content::RadialSweep => rainbow("hypot(X-W/2,Y-H/2)/W*3-N*0.3"),
            Content::CloseCrossing => format!(
                "smptebars=s={w}x{h}:r={r}[bg{i}];color=c=0x303840:s={}x{h}:r={r}[ob{i}];[bg{i}][ob{i}]overlay=x='-{}+(n-{})*{}':y=0:eval=frame",
                w / 2,
                w / 2,
                CLOSE_CROSSING_START,
                w * 3 / 8
            ),
            Content::Crossing => format!(
                "smptebars=s={w}x{h}:r={r}[bg{i}];color=c=0x603020:s={}x{}:r={r}[ob{i}];[bg{i}][ob{i}]overlay=x='-{}+n*{}':y={}:eval=frame",
                w / 3,
                h * 8 / 9,
                w / 3,
                w / 8,
                h / 18
            ),
            Content::TestPattern => format!("testsrc2=s={w}x{h}:r={r}"),
            Content::Bars => format!("smptebars=s={w}x{h}:r={r}"),
            Content::Mandelbrot => format!("mandelbrot=s={w}x{h}:r={r}"),
            Content::Life => format!(
                "life=s={w}x{h}:r={r}:ratio=0.3:mold=10:life_color=#ffdd00:death_color=#0000aa:seed=7"
            ),
            Content::Gradient(a, b) => {
                format!("gradients=s={w}x{h}:r={r}:c0={a}:c1={b}:speed=0.02:seed=3")
            }
            Content::Boxes(background, foreground) => format!(
                "color=c={background}:s={w}x{h}:r={r},drawbox=x={}:y={}:w={}:h={}:c={foreground}:t=fill",
                w / 5,
                h / 4,
                w / 2,
                h / 2
            ),
            Content::RgbBars => format!("rgbtestsrc=s={w}x{h}:r={r}"),
            Content::Pan => format!(
                "testsrc2=s={}x{}:r={r},crop={w}:{h}:x='min(n*{},{})':y='min(n*{},{})'",
                3 * w,
                3 * h,
                w / 12,
                2 * w,
                h / 12,
                2 * h
            ),
            Content::SlowPan => format!(
                "testsrc2=s={}x{}:r={r},crop={w}:{h}:x='min(n*{},{})':y='min(n/2,{})'",
                2 * w,
                2 * h,
                (w / 160).max(1),
                w,
                h
            ),
            Content::Shake => format!(
                "testsrc2=s={}x{}:r={r},crop={w}:{h}:x='{}+{}*sin(n*1.7)*cos(n*0.31)':y='{}+{}*sin(n*2.3+1)'",
                w + w / 10,
                h + h / 10,
                w / 20,
                w / 40,
                h / 20,
                h / 40
            ),
            Content::Zoom => format!(
                "testsrc2=s={}x{}:r={r},zoompan=z='1+0.03*on':d=1:s={w}x{h}:fps={r}:x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)'",
                2 * w,
                2 * h
            ),
        }
    }

    /// The `-filter_complex` graph that renders this clip to the label `[out]`.
    pub fn filter_graph(&self) -> String {
        let mut graph = String::new();
        let last = self.segments.len().saturating_sub(1);
        for (i, segment) in self.segments.iter().enumerate() {
            let _ = write!(
                graph,
                "{},trim=end_frame={},setpts=PTS-STARTPTS,format=yuv420p,setsar=1,settb=AVTB",
                self.source(&segment.content, i),
                segment.frames
            );
            for (offset, light) in &segment.lights {
                match light {
                    Light::Flash(levels) => {
                        for (k, level) in levels.iter().enumerate() {
                            let n = *offset as usize + k;
                            let _ =
                                write!(graph, ",drawbox=c=white@{level}:t=fill:enable='eq(n,{n})'");
                        }
                    }
                    Light::Lightning(levels) => {
                        let mut lift = "0".to_owned();
                        for (k, level) in levels.iter().enumerate().rev() {
                            let n = *offset as usize + k;
                            lift = format!("if(eq(n,{n}),{level},{lift})");
                        }
                        let _ = write!(graph, ",eq=brightness='{lift}':eval=frame");
                    }
                }
            }
            if let (Entry::FadeThroughBlack(n), true) = (segment.entry, i > 0) {
                let _ = write!(graph, ",fade=t=in:s=0:n={n}");
            }
            if let Some(Entry::FadeThroughBlack(n)) = self.segments.get(i + 1).map(|s| s.entry) {
                let _ = write!(graph, ",fade=t=out:s={}:n={n}", segment.frames - n);
            }
            let _ = write!(graph, "[s{i}];");
        }
        // Chain the segments: concat for cuts and fades, xfade for dissolves.
        let mut accumulated = "s0".to_owned();
        let mut length = self.segments.first().map_or(0, |s| s.frames);
        for (i, segment) in self.segments.iter().enumerate().skip(1) {
            let label = if i == last {
                "out".to_owned()
            } else {
                format!("a{i}")
            };
            match segment.entry {
                Entry::Dissolve(n) => {
                    let offset = f64::from(length - n) / f64::from(self.fps);
                    let duration = f64::from(n) / f64::from(self.fps);
                    let _ = write!(
                        graph,
                        "[{accumulated}][s{i}]xfade=transition=fade:duration={duration}:offset={offset}[{label}];"
                    );
                    length += segment.frames - n;
                }
                _ => {
                    let _ = write!(graph, "[{accumulated}][s{i}]concat=n=2:v=1:a=0[{label}];");
                    length += segment.frames;
                }
            }
            accumulated = label;
        }
        if last == 0 {
            graph.push_str("[s0]null[out]");
        }
        graph.trim_end_matches(';').to_owned()
    }

    /// Renders the clip to `output` with ffmpeg.
    pub fn render(&self, output: &Path, container: Container) -> Result<(), String> {
        let result = Command::new("ffmpeg")
            .args(["-nostdin", "-v", "error", "-y", "-filter_complex"])
            .arg(self.filter_graph())
            .args(["-map", "[out]"])
            .args(container.codec_args())
            .arg(output)
            .output()
            .map_err(|error| format!("ffmpeg could not be started: {error}"))?;
        if result.status.success() {
            Ok(())
        } else {
            Err(format!(
                "ffmpeg failed to render a clip: {}",
                String::from_utf8_lossy(&result.stderr)
            ))
        }
    }
}

/// Precision, recall and F1 of a set of detections.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Score {
    /// Detections that matched a true boundary.
    pub true_positives: u32,
    /// Detections that matched none.
    pub false_positives: u32,
    /// True boundaries no detection matched.
    pub false_negatives: u32,
}

impl Score {
    /// Adds another clip's counts.
    pub fn add(&mut self, other: Score) {
        self.true_positives += other.true_positives;
        self.false_positives += other.false_positives;
        self.false_negatives += other.false_negatives;
    }

    /// Share of detections that were right.
    pub fn precision(&self) -> f64 {
        let found = self.true_positives + self.false_positives;
        if found == 0 {
            1.0
        } else {
            f64::from(self.true_positives) / f64::from(found)
        }
    }

    /// Share of true boundaries found.
    pub fn recall(&self) -> f64 {
        let truth = self.true_positives + self.false_negatives;
        if truth == 0 {
            1.0
        } else {
            f64::from(self.true_positives) / f64::from(truth)
        }
    }

    /// Harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

/// Matches detected boundary frames against true ranges one to one: a detection matches a
/// range `(first, last)` when it lies within `first - tolerance ..= last + tolerance`.
pub fn score(truth: &[(u64, u64)], detected: &[u64], tolerance: u64) -> Score {
    let mut used = vec![false; detected.len()];
    let mut score = Score::default();
    for &(first, last) in truth {
        let hit = detected.iter().enumerate().find(|&(i, &frame)| {
            !used[i] && frame + tolerance >= first && frame <= last + tolerance
        });
        match hit {
            Some((i, _)) => {
                used[i] = true;
                score.true_positives += 1;
            }
            None => score.false_negatives += 1,
        }
    }
    score.false_positives = used.iter().filter(|&&u| !u).count() as u32;
    score
}

/// Scores all boundaries of a clip, whatever their kind: cuts must be within `tolerance`
/// frames, gradual transitions anywhere in their span (± `tolerance`).
pub fn score_all(truth: &GroundTruth, detected: &[u64], tolerance: u64) -> Score {
    let mut ranges: Vec<(u64, u64)> = truth.cuts.iter().map(|&c| (c, c)).collect();
    ranges.extend(&truth.graduals);
    ranges.sort_unstable();
    score(&ranges, detected, tolerance)
}
