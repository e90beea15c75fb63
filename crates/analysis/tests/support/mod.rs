//! Shared by the integration tests: renders synthetic clips into a temporary folder and runs the
//! analysis on them. No video files are committed; every clip is made at test time.

#![allow(dead_code)] // each test file uses a different part of this module

use std::path::{Path, PathBuf};
use vidpush_analysis::synthetic::{ClipSpec, Container, Content, Entry, Segment};
use vidpush_analysis::{AnalysisError, AnalysisOptions, AnalysisResult, CancelFlag, analyze};
use vidpush_protocol::result::TransitionKind;

#[allow(unused_imports)] // the accuracy tests score, the file tests do not
pub use vidpush_analysis::synthetic::{GroundTruth, score};

/// Size of test clips: small enough that decoding is quick on two cores.
pub const WIDTH: u32 = 320;
/// Height of test clips.
pub const HEIGHT: u32 = 180;
/// Frame rate of test clips.
pub const FPS: u32 = 25;

/// A temporary folder that holds rendered clips for one test.
pub struct Clips {
    dir: tempfile::TempDir,
}

impl Clips {
    pub fn new() -> Self {
        Clips {
            dir: tempfile::tempdir().expect("a temporary folder can be created"),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Renders `segments` as `name` and returns its path and ground truth.
    pub fn render(
        &self,
        name: &str,
        segments: Vec<Segment>,
        container: Container,
    ) -> (PathBuf, GroundTruth) {
        self.render_sized(name, segments, container, (WIDTH, HEIGHT))
    }

    /// [`Clips::render`] at another frame size.
    pub fn render_sized(
        &self,
        name: &str,
        segments: Vec<Segment>,
        container: Container,
        (width, height): (u32, u32),
    ) -> (PathBuf, GroundTruth) {
        let spec = ClipSpec {
            width,
            height,
            fps: FPS,
            segments,
        };
        let path = self.path(&format!("{name}.{}", container.extension()));
        spec.render(&path, container)
            .expect("ffmpeg renders the clip");
        (path, spec.ground_truth())
    }

    /// Runs ffmpeg with `args` to make a file called `name`.
    pub fn ffmpeg(&self, name: &str, args: &[&str]) -> PathBuf {
        let path = self.path(name);
        let status = std::process::Command::new("ffmpeg")
            .args(["-nostdin", "-v", "error", "-y"])
            .args(args)
            .arg(&path)
            .status()
            .expect("ffmpeg runs");
        assert!(status.success(), "ffmpeg made {name}");
        path
    }
}

/// Analyses `path` with default options.
pub fn analyse(path: &Path) -> AnalysisResult {
    analyse_default(path).expect("the clip analyses")
}

/// Why analysing `path` with default options fails; the test fails if it does not.
pub fn analysis_error(path: &Path) -> AnalysisError {
    match analyse_default(path) {
        Ok(_) => panic!("{} analysed, but it should have failed", path.display()),
        Err(error) => error,
    }
}

fn analyse_default(path: &Path) -> Result<AnalysisResult, AnalysisError> {
    analyze(
        path,
        &AnalysisOptions::default(),
        &CancelFlag::new(),
        &mut |_| {},
    )
}

/// First frames of detected boundaries, split into (cuts, gradual transitions).
pub fn boundaries(result: &AnalysisResult) -> (Vec<u64>, Vec<u64>) {
    let mut cuts = Vec::new();
    let mut graduals = Vec::new();
    for shot in &result.shots {
        match shot.transition_in.kind {
            TransitionKind::Start => {}
            TransitionKind::Cut => cuts.push(shot.span.start_frame_number),
            TransitionKind::Dissolve | TransitionKind::Fade => {
                graduals.push(shot.span.start_frame_number)
            }
        }
    }
    (cuts, graduals)
}

/// A cut into `content` lasting `frames`.
pub fn cut(content: Content, frames: u32) -> Segment {
    Segment::new(content, frames, Entry::Cut)
}
