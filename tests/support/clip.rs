//! Small test videos with a known number of shots, rendered by ffmpeg from its built-in sources.
//!
//! By default each shot is a different lavfi pattern, so every boundary is an unmistakable hard
//! cut; a test may choose its own patterns (look-alike shots). The clip is H.264 in MP4 with
//! `yuv420p`, which every browser and ffprobe read.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The lavfi sources shots cycle through: moving test patterns and flat colours that differ from
/// their neighbours in both layout and colour.
const PATTERNS: &[&str] = &[
    "testsrc2",
    "smptebars",
    "color=c=0xc03030",
    "rgbtestsrc",
    "color=c=0x2050c0",
    "yuvtestsrc",
];

/// What to render.
#[derive(Clone, Debug)]
pub struct ClipSpec {
    /// How many shots, each a different pattern.
    pub shots: usize,
    /// Length of each shot in seconds.
    pub shot_seconds: f64,
    /// Frame width in pixels (even, for yuv420p).
    pub width: u32,
    /// Frame height in pixels (even, for yuv420p).
    pub height: u32,
    /// Frames per second.
    pub fps: u32,
    /// The file name inside the target directory.
    pub file_name: String,
    /// The lavfi sources shots cycle through, each with its options and then, after a comma,
    /// filters of its own (`testsrc2,hue=h=40`).
    pub patterns: &'static [&'static str],
}

impl Default for ClipSpec {
    /// Three one-second shots at 320x180, 25 fps: small enough to upload and analyse in moments.
    fn default() -> Self {
        ClipSpec {
            shots: 3,
            shot_seconds: 1.0,
            width: 320,
            height: 180,
            fps: 25,
            file_name: "clip.mp4".into(),
            patterns: PATTERNS,
        }
    }
}

/// A rendered clip and the facts a test can assert against.
#[derive(Clone, Debug)]
pub struct Clip {
    /// Where the MP4 file is.
    pub path: PathBuf,
    /// How many shots it has (= hard cuts + 1).
    pub shots: usize,
    /// Total length in milliseconds.
    pub duration_ms: u64,
    /// Total number of frames.
    pub frames: u64,
}

/// Renders `spec` into `dir` with ffmpeg. Panics with ffmpeg's output if it fails.
pub fn make_clip(dir: &Path, spec: &ClipSpec) -> Clip {
    assert!(spec.shots > 0, "a clip needs at least one shot");
    let path = dir.join(&spec.file_name);
    let mut command = Command::new("ffmpeg");
    command.args(["-hide_banner", "-loglevel", "error", "-y"]);
    for index in 0..spec.shots {
        let pattern = spec.patterns[index % spec.patterns.len()];
        let (source, filters) = pattern
            .split_once(',')
            .map_or((pattern, String::new()), |(s, f)| (s, format!(",{f}")));
        let separator = if source.contains('=') { ':' } else { '=' };
        command.args(["-f", "lavfi", "-i"]).arg(format!(
            "{source}{separator}s={}x{}:r={}:d={}{filters}",
            spec.width, spec.height, spec.fps, spec.shot_seconds
        ));
    }
    let inputs: String = (0..spec.shots)
        .map(|index| format!("[{index}:v]"))
        .collect();
    command
        .arg("-filter_complex")
        .arg(format!(
            "{inputs}concat=n={}:v=1:a=0,format=yuv420p[out]",
            spec.shots
        ))
        .args([
            "-map", "[out]", "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
        ])
        .args(["-movflags", "+faststart"])
        .arg(&path);
    let output = command.output().unwrap_or_else(|error| {
        panic!("could not run ffmpeg ({error}); run `cargo xtask install`")
    });
    assert!(
        output.status.success(),
        "ffmpeg could not render the test clip ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let frames_per_shot = (spec.shot_seconds * f64::from(spec.fps)).round() as u64;
    Clip {
        path,
        shots: spec.shots,
        duration_ms: (spec.shot_seconds * spec.shots as f64 * 1000.0).round() as u64,
        frames: frames_per_shot * spec.shots as u64,
    }
}

/// Shots in [`long_clip`]: enough frames (40 × 10) that a job is still running when its first
/// shot is on the page, for tests that act mid-job.
pub const LONG_CLIP_SHOTS: usize = 40;

/// Renders the 40-shot clip of the mid-job tests into `dir`.
pub fn long_clip(dir: &Path) -> Clip {
    make_clip(
        dir,
        &ClipSpec {
            shots: LONG_CLIP_SHOTS,
            shot_seconds: 0.4,
            file_name: "forty-shots.mp4".into(),
            ..ClipSpec::default()
        },
    )
}

/// Grows `clip` to at least `size` bytes with an MP4 `free` box at its end: a box every reader
/// skips, so the file is still the same valid video, now big enough to be sent in several
/// parts.
pub fn pad_clip(clip: &Clip, size: u64) {
    use std::io::Write;
    let length = std::fs::metadata(&clip.path)
        .expect("the clip was rendered")
        .len();
    let padding = size.saturating_sub(length).max(8);
    let header = u32::try_from(padding).expect("test clips stay under 4 GiB");
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&clip.path)
        .expect("the clip is writable");
    file.write_all(&header.to_be_bytes())
        .and_then(|()| file.write_all(b"free"))
        .and_then(|()| file.write_all(&vec![0; padding as usize - 8]))
        .expect("the clip is writable");
}
