//! `cargo xtask bench analysis [--rounds N] [--details] [--ours-only] [--first-seed N]
//! [--set standard|footage]`: accuracy and speed of our shot detector against PySceneDetect on
//! the same synthetic clips, plus the decode-only limit, on two sets of clips, each with its
//! own table.
//!
//! 1. Renders into `target/bench-analysis/` (kept between runs) two seeded sets of 640x360
//!    clips with known boundaries: the generated clips (cuts, dissolves, fades through black,
//!    short shots, and hard negatives: pans, zooms, flashes), and the footage suite's clips
//!    (`synthetic::footage_clip` with its tuning, held-out and fresh seeds: decaying flashes,
//!    strobes, lightning, fast pans, zooms and shake, animated rainbows, objects crossing, in
//!    MP4, WebM, MOV and MKV). `--set` measures only one of them.
//! 2. Builds `vidpush-analyze` with the `native-release` profile.
//! 3. Creates `target/scenedetect-venv` once (`pip install scenedetect opencv-python-headless`);
//!    ContentDetector and AdaptiveDetector run at their defaults through a small script, one
//!    process per clip, like `scenedetect -i CLIP detect-content list-scenes -n` but without
//!    the CLI's table printing.
//! 4. Times ffmpeg decoding each clip exactly as our analysis does (same arguments: scale,
//!    range, pixel format), into `-f null` instead of our pipe: the decode-only limit.
//!
//! Timing is the same for every tool: one warm-up round (page cache, Python's bytecode cache),
//! then `--rounds` rounds (default 5) in which every tool runs once on every clip, interleaved
//! and in a turning order so that load from other processes falls on all tools alike. Each clip
//! counts with the median of its rounds. "End to end" is the wall-clock of the whole child
//! process, from exec to exit (for us: probe, decode, detection, thumbnails and JSON; for
//! PySceneDetect: interpreter start, imports, opening the video and detection). "In-process" is
//! the work inside the process (for us `analyze`, probe included, as reported in the result's
//! `processingMillis`; for PySceneDetect `open_video` plus `detect_scenes`).
//!
//! A detection matches a cut within ±1 frame and a gradual transition anywhere in its span
//! (±1 frame). "False in negatives" counts detections that match no true boundary and lie inside
//! hard-negative segments (pans, zooms, flashes); it must be zero. `--details` lists our misses
//! and false boundaries per clip; `--ours-only` skips PySceneDetect and decode-only, for quick
//! turns while tuning; `--first-seed N` renders and uses other generated clips (seeds N to
//! N + 5), to check that tuning on the standard clips (seeds 0 to 5) did not just fit them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use vidpush_analysis::AnalysisResult;
use vidpush_analysis::decode::ffmpeg_args;
use vidpush_analysis::options::{DEFAULT_ANALYSIS_WIDTH, DEFAULT_THUMBNAIL_WIDTH};
use vidpush_analysis::synthetic::{
    ClipSpec, Container, Content, Entry, FRESH_SEEDS, GroundTruth, HELD_OUT_SEEDS, Score, Segment,
    TUNING_SEEDS, footage_clip, score_all,
};

/// Size and rate of the benchmark clips: a common web upload size.
const WIDTH: u32 = 640;
const HEIGHT: u32 = 360;
const FPS: u32 = 25;
/// Clips rendered, and segments per clip: about 6700 frames in total.
const CLIPS: u64 = 6;
const SEGMENTS_PER_CLIP: usize = 18;
/// Tolerance in frames when matching detections to true boundaries.
const TOLERANCE: u64 = 1;
/// Timed rounds after the warm-up round when `--rounds` is not given: the median of five
/// ignores two rounds disturbed by other work on the machine (a shared two-core box).
const DEFAULT_ROUNDS: usize = 5;

/// The PySceneDetect runner, written into `target/bench-analysis/` at run time. One clip per
/// process, so its wall-clock is PySceneDetect's end-to-end time for that clip.
const SCENEDETECT_SCRIPT: &str = r#"
import json, sys, time
started = time.perf_counter()
from scenedetect import open_video, SceneManager, ContentDetector, AdaptiveDetector
kind, path = sys.argv[1], sys.argv[2]
video = open_video(path)
manager = SceneManager()
manager.add_detector(ContentDetector() if kind == "content" else AdaptiveDetector())
manager.detect_scenes(video)
seconds = time.perf_counter() - started
scenes = manager.get_scene_list()
print(json.dumps({"boundaries": [s[0].get_frames() for s in scenes[1:]], "seconds": seconds}))
"#;

/// What is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tool {
    Ours,
    SceneDetect(&'static str),
    DecodeOnly,
}

impl Tool {
    fn name(self) -> &'static str {
        match self {
            Tool::Ours => "vidpush-analysis (ours)",
            Tool::SceneDetect("content") => "PySceneDetect ContentDetector",
            Tool::SceneDetect(_) => "PySceneDetect AdaptiveDetector",
            Tool::DecodeOnly => "ffmpeg decode only (same scale, `-f null`)",
        }
    }
}

/// One run of one tool on one clip.
struct Run {
    /// Wall-clock of the child process.
    wall: f64,
    /// Time the tool reports for its own work, if it reports one.
    in_process: Option<f64>,
    /// First frames of the boundaries it found (none for decode-only).
    boundaries: Vec<u64>,
}

/// Everything needed to run the tools.
struct Programs {
    analyze: PathBuf,
    python: PathBuf,
    script: PathBuf,
    /// The width our analysis asks ffmpeg for, so decode-only decodes and scales the same.
    decode_width: u32,
}

/// Runs the benchmark.
pub fn run(root: &Path, args: &[&str]) -> crate::Result {
    let mut rounds = DEFAULT_ROUNDS;
    let mut details = false;
    let mut ours_only = false;
    let mut first_seed = 0;
    let mut set = None;
    let mut rest = args.iter();
    while let Some(&arg) = rest.next() {
        match arg {
            "--details" => details = true,
            "--ours-only" => ours_only = true,
            "--first-seed" => {
                first_seed = rest
                    .next()
                    .and_then(|n| n.parse().ok())
                    .ok_or("--first-seed needs a number")?;
            }
            "--set" => {
                set = Some(
                    rest.next()
                        .copied()
                        .filter(|s| ["standard", "footage"].contains(s))
                        .ok_or("--set needs `standard` or `footage`")?,
                );
            }
            "--rounds" => {
                rounds = rest
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .ok_or("--rounds needs a number of rounds, 1 or more")?;
            }
            other => {
                return Err(format!(
                    "unknown option {other:?}; try --rounds N, --set footage or --details"
                )
                .into());
            }
        }
    }
    let target = target_dir(root);
    let work = target.join("bench-analysis");
    std::fs::create_dir_all(&work)?;

    let mut sets = Vec::new();
    if set != Some("footage") {
        let seeds = first_seed..first_seed + CLIPS;
        let clips = seeds.map(|seed| (format!("clip{seed}"), clip_spec(seed), Container::Mp4));
        sets.push(ClipSet::render("generated clips", &work, clips.collect())?);
    }
    if set != Some("standard") {
        let seeds = TUNING_SEEDS
            .iter()
            .chain(&HELD_OUT_SEEDS)
            .chain(&FRESH_SEEDS);
        let clips = seeds.map(|&seed| {
            let (spec, container) = footage_clip(seed, (WIDTH, HEIGHT), FPS);
            (format!("footage{seed}"), spec, container)
        });
        sets.push(ClipSet::render(
            "footage clips (flashes, strobes, lightning, fast motion, animated rainbows, \
             crossing objects; tuning, held-out and fresh seeds of the footage suite)",
            &work,
            clips.collect(),
        )?);
    }

    check(
        Command::new("cargo").current_dir(root).args([
            "build",
            "--profile",
            "native-release",
            "-p",
            "vidpush-analysis",
        ]),
        "building vidpush-analyze",
    )?;
    let script = work.join("scenedetect_bench.py");
    std::fs::write(&script, SCENEDETECT_SCRIPT)?;
    let programs = Programs {
        analyze: target.join("native-release").join("vidpush-analyze"),
        python: if ours_only {
            PathBuf::new()
        } else {
            scenedetect_python(&target)?
        },
        script,
        decode_width: DEFAULT_THUMBNAIL_WIDTH.max(DEFAULT_ANALYSIS_WIDTH),
    };

    let tools: &[Tool] = if ours_only {
        &[Tool::Ours]
    } else {
        &[
            Tool::Ours,
            Tool::SceneDetect("content"),
            Tool::SceneDetect("adaptive"),
            Tool::DecodeOnly,
        ]
    };
    for (i, clip_set) in sets.iter().enumerate() {
        if i > 0 {
            println!();
        }
        clip_set.measure(tools, &programs, rounds, details)?;
    }
    Ok(())
}

/// Clips rendered once into `target/bench-analysis/`, with their recipes and ground truth.
struct ClipSet {
    /// What the clips are, for the report's first line.
    name: &'static str,
    clips: Vec<(PathBuf, ClipSpec, GroundTruth)>,
}

impl ClipSet {
    /// Renders each of `recipes` (file stem, recipe, container) into `work` unless it is there.
    fn render(
        name: &'static str,
        work: &Path,
        recipes: Vec<(String, ClipSpec, Container)>,
    ) -> Result<Self, Box<dyn std::error::Error>> {
        let mut clips = Vec::new();
        for (stem, spec, container) in recipes {
            let path = work.join(format!("{stem}.{}", container.extension()));
            if !path.exists() {
                eprintln!("rendering {}", path.display());
                // Under another name until ffmpeg succeeds: a render that dies half-way (as
                // ffmpeg can) must not leave a short clip that later runs take for a whole one.
                let partial = work.join(format!("{stem}.partial.{}", container.extension()));
                spec.render(&partial, container)?;
                std::fs::rename(&partial, &path)?;
            }
            let truth = spec.ground_truth();
            clips.push((path, spec, truth));
        }
        Ok(Self { name, clips })
    }

    /// Runs every tool on every clip (a warm-up round, then `rounds` timed ones) and prints
    /// the table; with `details`, our misses and false boundaries per clip.
    fn measure(
        &self,
        tools: &[Tool],
        programs: &Programs,
        rounds: usize,
        details: bool,
    ) -> crate::Result {
        let clips = &self.clips;
        let total_frames: u64 = clips.iter().map(|(_, _, truth)| truth.frames).sum();
        // runs[tool][clip]: the timed rounds.
        let mut runs: Vec<Vec<Vec<Run>>> = tools
            .iter()
            .map(|_| clips.iter().map(|_| Vec::new()).collect())
            .collect();
        for round in 0..=rounds {
            eprintln!(
                "{}: {} {round} of {rounds}",
                self.name.split(" (").next().unwrap_or(self.name),
                if round == 0 { "warm-up" } else { "round" }
            );
            for (c, (path, _, _)) in clips.iter().enumerate() {
                // The order turns every clip and round, so no tool always runs right after the
                // same other one (Python's exit, ffmpeg's cache, another user's build).
                for k in 0..tools.len() {
                    let t = (k + c + round) % tools.len();
                    let run = run_tool(tools[t], programs, path)?;
                    if round > 0 {
                        runs[t][c].push(run);
                    }
                }
            }
        }

        println!(
            "{}: {} clips, {total_frames} frames at {WIDTH}x{HEIGHT} {FPS} fps",
            self.name,
            clips.len()
        );
        println!(
            "{} cuts, {} gradual transitions, {} hard-negative segments; match within ±{TOLERANCE} frame",
            clips.iter().map(|(_, _, t)| t.cuts.len()).sum::<usize>(),
            clips
                .iter()
                .map(|(_, _, t)| t.graduals.len())
                .sum::<usize>(),
            clips
                .iter()
                .map(|(_, _, t)| t.negatives.len())
                .sum::<usize>(),
        );
        println!(
            "frames/s: total frames over the sum of each clip's median of {rounds} rounds after a warm-up; \
             end to end = child process wall-clock, in-process = the tool's own timer (ours: analyze() incl. probe; \
             PySceneDetect: open_video + detect_scenes)"
        );
        println!();
        println!(
            "| detector | F1 | precision | recall | false in negatives | frames/s end to end | frames/s in-process |"
        );
        println!("|---|---:|---:|---:|---:|---:|---:|");
        let mut end_to_end = Vec::new();
        for (t, &tool) in tools.iter().enumerate() {
            let wall: f64 = runs[t].iter().map(|r| median(r, |r| Some(r.wall))).sum();
            let fps = total_frames as f64 / wall.max(1e-9);
            end_to_end.push(fps);
            let in_process: Option<f64> = runs[t]
                .iter()
                .map(|r| {
                    r.iter()
                        .all(|r| r.in_process.is_some())
                        .then(|| median(r, |r| r.in_process))
                })
                .sum();
            let in_process = in_process.map_or("–".to_owned(), |s| {
                format!("{:.0}", total_frames as f64 / s.max(1e-9))
            });
            if tool == Tool::DecodeOnly {
                println!(
                    "| {} | – | – | – | – | {fps:.0} | {in_process} |",
                    tool.name()
                );
                continue;
            }
            let mut score = Score::default();
            let mut in_negatives = 0;
            for (c, (_, _, truth)) in clips.iter().enumerate() {
                let found = &runs[t][c].last().expect("at least one round").boundaries;
                score.add(score_all(truth, found, TOLERANCE));
                in_negatives += false_in_negatives(truth, found);
            }
            println!(
                "| {} | {:.3} | {:.3} | {:.3} | {in_negatives} | {fps:.0} | {in_process} |",
                tool.name(),
                score.f1(),
                score.precision(),
                score.recall(),
            );
        }
        if let Some(decode) = end_to_end.get(3) {
            println!();
            println!(
                "ours: {:.0}% of decode-only frames/s (end to end)",
                end_to_end[0] / decode * 100.0
            );
        }
        if details {
            for (c, (path, spec, truth)) in clips.iter().enumerate() {
                let found = &runs[0][c].last().expect("at least one round").boundaries;
                print_details(path, spec, truth, found);
            }
        }
        Ok(())
    }
}

/// The median of one value over a clip's rounds.
fn median(runs: &[Run], value: impl Fn(&Run) -> Option<f64>) -> f64 {
    let mut values: Vec<f64> = runs.iter().filter_map(value).collect();
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

fn run_tool(
    tool: Tool,
    programs: &Programs,
    clip: &Path,
) -> Result<Run, Box<dyn std::error::Error>> {
    let mut command = match tool {
        Tool::Ours => {
            let mut command = Command::new(&programs.analyze);
            command.arg(clip);
            command
        }
        Tool::SceneDetect(kind) => {
            let mut command = Command::new(&programs.python);
            command.arg(&programs.script).arg(kind).arg(clip);
            command
        }
        Tool::DecodeOnly => {
            let mut command = Command::new("ffmpeg");
            command
                .args(ffmpeg_args(clip, programs.decode_width))
                .args(["-f", "null", "-"]);
            command
        }
    };
    let started = Instant::now();
    let output = command.output()?;
    let wall = started.elapsed().as_secs_f64();
    if !output.status.success() {
        return Err(format!(
            "{} failed on {}: {}",
            tool.name(),
            clip.display(),
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    match tool {
        Tool::Ours => {
            let result: AnalysisResult = serde_json::from_slice(&output.stdout)?;
            Ok(Run {
                wall,
                in_process: Some(result.summary.processing_millis as f64 / 1000.0),
                boundaries: result
                    .shots
                    .iter()
                    .skip(1)
                    .map(|s| s.span.start_frame_number)
                    .collect(),
            })
        }
        Tool::SceneDetect(_) => {
            let answer: serde_json::Value = serde_json::from_slice(&output.stdout)?;
            Ok(Run {
                wall,
                in_process: answer["seconds"].as_f64(),
                boundaries: answer["boundaries"]
                    .as_array()
                    .ok_or("PySceneDetect's answer has no boundaries")?
                    .iter()
                    .filter_map(serde_json::Value::as_u64)
                    .collect(),
            })
        }
        Tool::DecodeOnly => Ok(Run {
            wall,
            in_process: None,
            boundaries: Vec::new(),
        }),
    }
}

/// Which detections match a true boundary, one to one, as [`score_all`] matches them; the
/// second list holds the true ranges no detection matched.
fn matches(truth: &GroundTruth, found: &[u64]) -> (Vec<bool>, Vec<(u64, u64)>) {
    let mut ranges: Vec<(u64, u64)> = truth.cuts.iter().map(|&c| (c, c)).collect();
    ranges.extend(&truth.graduals);
    ranges.sort_unstable();
    let mut used = vec![false; found.len()];
    let mut missed = Vec::new();
    for &(first, last) in &ranges {
        let hit = (0..found.len())
            .find(|&i| !used[i] && found[i] + TOLERANCE >= first && found[i] <= last + TOLERANCE);
        match hit {
            Some(i) => used[i] = true,
            None => missed.push((first, last)),
        }
    }
    (used, missed)
}

/// Detections that match no true boundary and lie inside a hard-negative segment.
fn false_in_negatives(truth: &GroundTruth, found: &[u64]) -> usize {
    let (used, _) = matches(truth, found);
    found
        .iter()
        .zip(&used)
        .filter(|&(&f, &used)| !used && truth.negatives.iter().any(|&(a, b)| f >= a && f <= b))
        .count()
}

/// Lists, for one clip, the detections no true boundary explains and the true boundaries no
/// detection found, each with the segment it lies in.
fn print_details(path: &Path, spec: &ClipSpec, truth: &GroundTruth, found: &[u64]) {
    let starts = segment_starts(spec);
    let segment = |f: u64| {
        let i = starts.iter().rposition(|&s| s <= f).unwrap_or(0);
        let s = &spec.segments[i];
        format!(
            "segment {i} ({:?}, {:?}, frames {}..{})",
            s.content,
            s.entry,
            starts[i],
            starts[i] + u64::from(s.frames)
        )
    };
    println!("{}:", path.display());
    let mut boundaries: Vec<String> = truth.cuts.iter().map(|c| format!("cut {c}")).collect();
    boundaries.extend(
        truth
            .graduals
            .iter()
            .map(|(a, b)| format!("gradual {a}..={b}")),
    );
    println!("  truth: {}", boundaries.join(", "));
    println!("  found: {found:?}");
    let (used, missed) = matches(truth, found);
    for (&f, &used) in found.iter().zip(&used) {
        if !used {
            println!("  false boundary at {f}: {}", segment(f));
        }
    }
    for (first, last) in missed {
        println!("  missed {first}..={last}: {}", segment(last));
    }
}

/// First frame of each segment, as [`ClipSpec::ground_truth`] places them.
fn segment_starts(spec: &ClipSpec) -> Vec<u64> {
    let mut starts = Vec::new();
    let mut position = 0u64;
    for (i, segment) in spec.segments.iter().enumerate() {
        let start = match segment.entry {
            Entry::Dissolve(n) if i > 0 => position - u64::from(n),
            _ => position,
        };
        starts.push(start);
        position = start + u64::from(segment.frames);
    }
    starts
}

/// A seeded clip recipe: shots of varied content and length, joined by cuts, dissolves and
/// fades, with hard negatives mixed in. Neighbours never share a content family.
fn clip_spec(seed: u64) -> ClipSpec {
    let mut random = Lcg(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x2545_F491_4F6C_DD1D);
    let palette: [Content; 14] = [
        Content::TestPattern,
        Content::Bars,
        Content::Mandelbrot,
        Content::Life,
        Content::RgbBars,
        Content::Gradient("red", "yellow"),
        Content::Gradient("blue", "green"),
        Content::Gradient("purple", "white"),
        Content::Boxes("navy", "orange"),
        Content::Boxes("white", "black"),
        Content::Boxes("darkgreen", "pink"),
        Content::Boxes("gray", "cyan"),
        Content::Pan,
        Content::Zoom,
    ];
    // Test patterns, pans and zooms all show testsrc2; gradients look alike; boxes differ.
    let family = |c: &Content| match c {
        Content::TestPattern | Content::Pan | Content::Zoom => 0,
        Content::Gradient(..) => 1,
        other => 2 + palette.iter().position(|p| p == other).unwrap_or(0),
    };
    let mut segments: Vec<Segment> = Vec::new();
    for i in 0..SEGMENTS_PER_CLIP {
        let content = loop {
            let candidate = palette[random.below(palette.len() as u64) as usize].clone();
            if segments
                .last()
                .is_none_or(|s| family(&s.content) != family(&candidate))
            {
                break candidate;
            }
        };
        let roll = random.below(100);
        let previous_frames = segments.last().map_or(0, |s| s.frames);
        let (entry, minimum) = match roll {
            _ if i == 0 => (Entry::Cut, 8),
            0..15 if previous_frames >= 40 => {
                let n = 8 + random.below(22) as u32;
                (Entry::Dissolve(n), n + 12)
            }
            15..25 if previous_frames >= 30 => {
                let n = 6 + random.below(10) as u32;
                (Entry::FadeThroughBlack(n), n + 10)
            }
            _ => (Entry::Cut, 8),
        };
        // Mostly ordinary shots, some very short ones.
        let length = if random.below(5) == 0 {
            8 + random.below(8)
        } else {
            30 + random.below(90)
        };
        let frames = (length as u32).max(minimum);
        let mut segment = Segment::new(content, frames, entry);
        if frames >= 30 && random.below(6) == 0 {
            segment = segment.with_flash(frames / 2);
        }
        segments.push(segment);
    }
    ClipSpec {
        width: WIDTH,
        height: HEIGHT,
        fps: FPS,
        segments,
    }
}

/// A small deterministic generator, so clips are the same on every machine.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % bound
    }
}

/// The virtualenv's python, creating the virtualenv and installing PySceneDetect if missing.
fn scenedetect_python(target: &Path) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let venv = target.join("scenedetect-venv");
    let python = venv.join("bin").join("python");
    let ready = python.exists()
        && Command::new(&python)
            .args(["-c", "import scenedetect, cv2"])
            .output()
            .is_ok_and(|o| o.status.success());
    if !ready {
        eprintln!("installing PySceneDetect into {}", venv.display());
        check(
            Command::new("python3").args(["-m", "venv"]).arg(&venv),
            "creating the virtualenv",
        )?;
        check(
            Command::new(venv.join("bin").join("pip")).args([
                "install",
                "-q",
                "scenedetect",
                "opencv-python-headless",
            ]),
            "installing scenedetect and opencv-python-headless",
        )?;
    }
    Ok(python)
}

fn check(command: &mut Command, what: &str) -> crate::Result {
    let status = command
        .status()
        .map_err(|error| format!("{what}: could not start: {error}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})").into())
    }
}

/// Cargo's target folder: `CARGO_TARGET_DIR` when set, else `target/` under the workspace.
fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}
