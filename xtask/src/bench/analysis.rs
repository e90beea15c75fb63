//! `cargo xtask bench analysis`: accuracy and speed of our shot detector against PySceneDetect
//! on the same synthetic clips, plus the decode-only limit.
//!
//! 1. Renders a fixed, seeded set of 640x360 clips with known boundaries (cuts, dissolves, fades
//!    through black, short shots, and hard negatives: pans, zooms, flashes) into
//!    `target/bench-analysis/` (kept between runs).
//! 2. Builds `vidpush-analyze` with the `native-release` profile and runs it on every clip.
//! 3. Creates `target/scenedetect-venv` once (`pip install scenedetect opencv-python-headless`)
//!    and runs ContentDetector and AdaptiveDetector at their defaults through a small script.
//! 4. Times ffmpeg decoding the clips exactly as our analysis does, into `-f null`.
//!
//! Prints one table: F1, precision, recall and frames/s of each detector, and decode-only
//! frames/s. A detection matches a cut within ±1 frame and a gradual transition anywhere in its
//! span (±1 frame).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use vidpush_analysis::AnalysisResult;
use vidpush_analysis::decode::{ffmpeg_args, scaled_size};
use vidpush_analysis::options::{DEFAULT_ANALYSIS_WIDTH, DEFAULT_THUMBNAIL_WIDTH};
use vidpush_analysis::synthetic::{
    ClipSpec, Container, Content, Entry, GroundTruth, Score, Segment, score_all,
};

/// Size and rate of the benchmark clips: a common web upload size.
const WIDTH: u32 = 640;
const HEIGHT: u32 = 360;
const FPS: u32 = 25;
/// Clips rendered, and segments per clip: about 4000 frames in total.
const CLIPS: u64 = 6;
const SEGMENTS_PER_CLIP: usize = 18;
/// Tolerance in frames when matching detections to true boundaries.
const TOLERANCE: u64 = 1;

/// The PySceneDetect runner, written into `target/bench-analysis/` at run time.
const SCENEDETECT_SCRIPT: &str = r#"
import json, sys, time
from scenedetect import open_video, SceneManager, ContentDetector, AdaptiveDetector
kind, paths = sys.argv[1], sys.argv[2:]
out = {}
for path in paths:
    video = open_video(path)
    manager = SceneManager()
    manager.add_detector(ContentDetector() if kind == "content" else AdaptiveDetector())
    started = time.perf_counter()
    manager.detect_scenes(video)
    seconds = time.perf_counter() - started
    scenes = manager.get_scene_list()
    out[path] = {"boundaries": [s[0].get_frames() for s in scenes[1:]], "seconds": seconds}
print(json.dumps(out))
"#;

/// Runs the benchmark.
pub fn run(root: &Path, _args: &[&str]) -> crate::Result {
    let target = target_dir(root);
    let work = target.join("bench-analysis");
    std::fs::create_dir_all(&work)?;

    let mut clips = Vec::new();
    for seed in 0..CLIPS {
        let spec = clip_spec(seed);
        let path = work.join(format!("clip{seed}.mp4"));
        if !path.exists() {
            eprintln!("rendering {}", path.display());
            spec.render(&path, Container::Mp4)?;
        }
        clips.push((path, spec.ground_truth()));
    }
    let total_frames: u64 = clips.iter().map(|(_, truth)| truth.frames).sum();

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
    let analyze = target.join("native-release").join("vidpush-analyze");

    let mut rows = Vec::new();
    rows.push(run_ours(&analyze, &clips, total_frames)?);
    let python = scenedetect_python(&target)?;
    let script = work.join("scenedetect_bench.py");
    std::fs::write(&script, SCENEDETECT_SCRIPT)?;
    for (kind, name) in [
        ("content", "PySceneDetect ContentDetector"),
        ("adaptive", "PySceneDetect AdaptiveDetector"),
    ] {
        rows.push(run_scenedetect(
            &python,
            &script,
            kind,
            name,
            &clips,
            total_frames,
        )?);
    }
    let decode_fps = decode_only(&clips, total_frames)?;

    println!(
        "analysis benchmark: {} clips, {total_frames} frames at {WIDTH}x{HEIGHT} {FPS} fps",
        clips.len()
    );
    println!(
        "{} cuts, {} gradual transitions, {} hard-negative segments; match within ±{TOLERANCE} frame",
        clips.iter().map(|(_, t)| t.cuts.len()).sum::<usize>(),
        clips.iter().map(|(_, t)| t.graduals.len()).sum::<usize>(),
        clips.iter().map(|(_, t)| t.negatives.len()).sum::<usize>(),
    );
    println!();
    println!("| detector | F1 | precision | recall | frames/s |");
    println!("|---|---:|---:|---:|---:|");
    for row in &rows {
        println!(
            "| {} | {:.3} | {:.3} | {:.3} | {:.0} |",
            row.name,
            row.score.f1(),
            row.score.precision(),
            row.score.recall(),
            row.fps
        );
    }
    println!("| ffmpeg decode only (same scale, `-f null`) | – | – | – | {decode_fps:.0} |");
    println!();
    println!(
        "ours: {:.0}% of decode-only frames/s",
        rows[0].fps / decode_fps * 100.0
    );
    Ok(())
}

/// One line of the table.
struct Row {
    name: String,
    score: Score,
    fps: f64,
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

fn run_ours(
    analyze: &Path,
    clips: &[(PathBuf, GroundTruth)],
    total_frames: u64,
) -> Result<Row, Box<dyn std::error::Error>> {
    let mut score = Score::default();
    let started = Instant::now();
    for (path, truth) in clips {
        let output = Command::new(analyze).arg(path).output()?;
        if !output.status.success() {
            return Err(format!(
                "vidpush-analyze failed: {}",
                String::from_utf8_lossy(&output.stderr)
            )
            .into());
        }
        let result: AnalysisResult = serde_json::from_slice(&output.stdout)?;
        let found: Vec<u64> = result
            .shots
            .iter()
            .skip(1)
            .map(|s| s.span.start_frame_number)
            .collect();
        score.add(score_all(truth, &found, TOLERANCE));
    }
    let seconds = started.elapsed().as_secs_f64();
    Ok(Row {
        name: "vidpush-analysis (ours)".into(),
        score,
        fps: total_frames as f64 / seconds,
    })
}

fn run_scenedetect(
    python: &Path,
    script: &Path,
    kind: &str,
    name: &str,
    clips: &[(PathBuf, GroundTruth)],
    total_frames: u64,
) -> Result<Row, Box<dyn std::error::Error>> {
    let output = Command::new(python)
        .arg(script)
        .arg(kind)
        .args(clips.iter().map(|(p, _)| p))
        .output()?;
    if !output.status.success() {
        return Err(format!(
            "PySceneDetect failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    let mut score = Score::default();
    let mut seconds = 0.0;
    for (path, truth) in clips {
        let entry = &answer[path.to_string_lossy().as_ref()];
        let found: Vec<u64> = entry["boundaries"]
            .as_array()
            .ok_or("PySceneDetect's answer has no boundaries")?
            .iter()
            .filter_map(serde_json::Value::as_u64)
            .collect();
        seconds += entry["seconds"].as_f64().unwrap_or(0.0);
        score.add(score_all(truth, &found, TOLERANCE));
    }
    Ok(Row {
        name: name.into(),
        score,
        fps: total_frames as f64 / seconds.max(1e-9),
    })
}

/// ffmpeg decoding and scaling every clip exactly as the analysis does, output discarded.
fn decode_only(
    clips: &[(PathBuf, GroundTruth)],
    total_frames: u64,
) -> Result<f64, Box<dyn std::error::Error>> {
    let (width, height) = scaled_size(
        WIDTH,
        HEIGHT,
        DEFAULT_THUMBNAIL_WIDTH.max(DEFAULT_ANALYSIS_WIDTH),
    );
    let started = Instant::now();
    for (path, _) in clips {
        check(
            Command::new("ffmpeg")
                .args(ffmpeg_args(path, width, height))
                .args(["-f", "null", "-"]),
            "decoding a clip with ffmpeg",
        )?;
    }
    Ok(total_frames as f64 / started.elapsed().as_secs_f64())
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
