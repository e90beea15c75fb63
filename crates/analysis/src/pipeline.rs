//! One analysis from file to result: probe, decode, detect, assemble shots, report events.
//! Owns the order of events and the buffering of frames between decoding and settling; every
//! decision is delegated to the modules that own it.

use crate::black::{BlackFrameDetector, BlackRun};
use crate::completeness::check_decoded_to_end;
use crate::decode::{FrameDecoder, VideoFrame};
use crate::detector::ShotDetector;
use crate::error::AnalysisError;
use crate::features::{FeatureExtractor, FrameFeatures, mean_abs_difference};
use crate::options::{AnalysisOptions, CancelFlag};
use crate::probe::probe_until;
use crate::shot::{SettledFrame, ShotAssembler};
use crate::timecode::{FrameRate, span};
use std::collections::VecDeque;
use std::path::Path;
use std::time::Instant;
use vidpush_protocol::event::Stage;
use vidpush_protocol::result::{
    AnalysisResult, Analyzer, ResultSummary, Shot, TechnicalCue, TechnicalCueType, TransitionKind,
    VideoMetadata,
};

/// Smallest progress step reported while detecting (1%): the server rate-limits anyway, this
/// keeps a fast analysis from producing thousands of events it would only drop.
const PROGRESS_STEP: f64 = 0.01;

/// Fraction of the job reported when decoding ends, before thumbnails of the last shot and the
/// result are written.
const DETECTING_DONE: f64 = 0.99;

/// What an analysis reports while it runs.
#[derive(Clone, Debug, PartialEq)]
pub enum AnalysisEvent {
    /// The container's facts, right after probing.
    Metadata(VideoMetadata),
    /// How far the analysis is.
    Progress {
        /// What it is doing.
        stage: Stage,
        /// Fraction of the whole analysis done, 0.0 to 1.0.
        fraction: f64,
        /// Frames decoded so far.
        frames_done: u64,
    },
    /// A shot whose end is known, with its JPEG thumbnail.
    Shot {
        /// The shot.
        shot: Shot,
        /// Its thumbnail, a JPEG `thumbnail_width` pixels wide.
        thumbnail_jpeg: Vec<u8>,
    },
    /// A technical cue whose end is known.
    Cue(TechnicalCue),
}

/// A decoded frame waiting for the detector to settle it.
struct Unsettled {
    picture: VideoFrame,
    features: FrameFeatures,
    motion: f32,
}

/// Analyses the video at `path`, reporting events as they happen. Blocking: run it on a thread
/// that may block. Cancelling `cancel` ends it with [`AnalysisError::Cancelled`] promptly.
pub fn analyze(
    path: &Path,
    options: &AnalysisOptions,
    cancel: &CancelFlag,
    on_event: &mut dyn FnMut(AnalysisEvent),
) -> Result<AnalysisResult, AnalysisError> {
    let started = Instant::now();
    let deadline = started + options.time_limit;
    on_event(AnalysisEvent::Progress {
        stage: Stage::Probing,
        fraction: 0.0,
        frames_done: 0,
    });
    // ffmpeg starts first and finds the frame size itself, so its start-up and first frames
    // overlap with ffprobe's run (about 50 ms a file). The probe's verdict still comes first:
    // a file that is not a video is reported as such, whatever ffmpeg made of it.
    let want_width = options.thumbnail_width.max(options.analysis_width);
    let decoder = FrameDecoder::start(path, want_width, options, deadline, cancel);
    let probe = probe_until(path, options, deadline, cancel)?;
    let mut decoder = decoder?;
    on_event(AnalysisEvent::Metadata(probe.metadata.clone()));
    let Some(size) = decoder.read_header()? else {
        // No frame at all: `finish` reports ffmpeg's complaint, or the lack of frames.
        decoder.finish()?;
        return Err(AnalysisError::Unreadable(
            "it contains no decodable frames".to_owned(),
        ));
    };
    let extractor = FeatureExtractor::new(size, options.analysis_width);

    let mut run = Run {
        rate: probe.rate,
        detector: ShotDetector::with_sensitivity(options.sensitivity),
        black: BlackFrameDetector::new(probe.rate.fps()),
        shots: ShotAssembler::new(probe.rate, options.thumbnail_quality),
        unsettled: VecDeque::new(),
        spare: Vec::new(),
        settled: 0,
        result_shots: Vec::new(),
        cues: Vec::new(),
    };
    let expected = probe.expected_frames.unwrap_or(0);
    let mut frames_done = 0u64;
    let mut reported = 0.0;
    let mut previous_luma: Option<Vec<u8>> = None;
    loop {
        let mut picture = run
            .spare
            .pop()
            .unwrap_or_else(|| VideoFrame::new(size.0, size.1));
        if !decoder.read_into(&mut picture)? {
            break;
        }
        frames_done += 1;
        let features = extractor.extract(&picture);
        let motion = previous_luma
            .as_ref()
            .map_or(0.0, |p| mean_abs_difference(p, &features.luma));
        previous_luma = Some(features.luma.clone());
        if let Some(black_run) = run.black.push(&features) {
            run.cue(black_run, on_event);
        }
        run.unsettled.push_back(Unsettled {
            picture,
            features: features.clone(),
            motion,
        });
        for boundary in run.detector.push(features) {
            run.shots.add_boundary(boundary);
        }
        run.settle(run.detector.settled(), on_event);
        if expected > 0 {
            let fraction = (frames_done as f64 / expected as f64).min(1.0) * DETECTING_DONE;
            if fraction >= reported + PROGRESS_STEP {
                reported = fraction;
                on_event(AnalysisEvent::Progress {
                    stage: Stage::Detecting,
                    fraction,
                    frames_done,
                });
            }
        }
    }
    let decoded = decoder.finish()?;
    // Shots already reported stay reported, but a file that stopped well short of its declared
    // length fails: its metadata and shots would pass a fragment off as the whole video.
    check_decoded_to_end(&decoded.stderr, probe.metadata.duration_millis)?;
    let frames_analyzed = decoded.frames;
    on_event(AnalysisEvent::Progress {
        stage: Stage::Finishing,
        fraction: DETECTING_DONE,
        frames_done: frames_analyzed,
    });
    for boundary in run.detector.finish() {
        run.shots.add_boundary(boundary);
    }
    run.settle(u64::MAX, on_event);
    if let Some(black_run) = run.black.finish() {
        run.cue(black_run, on_event);
    }
    let Run {
        shots,
        mut result_shots,
        cues,
        ..
    } = run;
    if let Some((shot, thumbnail_jpeg)) = shots.finish() {
        result_shots.push(shot.clone());
        on_event(AnalysisEvent::Shot {
            shot,
            thumbnail_jpeg,
        });
    }
    let mut video_metadata = probe.metadata.clone();
    video_metadata.frame_count = Some(frames_analyzed);
    let count = |kind: fn(TransitionKind) -> bool| {
        result_shots
            .iter()
            .filter(|s| kind(s.transition_in.kind))
            .count() as u32
    };
    let summary = ResultSummary {
        shot_count: result_shots.len() as u32,
        cut_count: count(|k| k == TransitionKind::Cut),
        gradual_count: count(|k| matches!(k, TransitionKind::Dissolve | TransitionKind::Fade)),
        cue_count: cues.len() as u32,
        duration_millis: video_metadata.duration_millis,
        frames_analyzed,
        processing_millis: started.elapsed().as_millis() as u64,
    };
    on_event(AnalysisEvent::Progress {
        stage: Stage::Finishing,
        fraction: 1.0,
        frames_done: frames_analyzed,
    });
    Ok(AnalysisResult {
        video_metadata,
        shots: result_shots,
        technical_cues: cues,
        summary,
        analyzer: Analyzer {
            name: env!("CARGO_PKG_NAME").to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            analysis_width: extractor.width() as u32,
        },
    })
}

/// The state of one analysis between decoding and the result.
struct Run {
    rate: FrameRate,
    detector: ShotDetector,
    black: BlackFrameDetector,
    shots: ShotAssembler,
    /// Frames decoded but not yet settled, oldest first.
    unsettled: VecDeque<Unsettled>,
    /// Frame buffers to reuse, so decoding allocates only while the look-ahead fills.
    spare: Vec<VideoFrame>,
    /// Number of the oldest unsettled frame.
    settled: u64,
    result_shots: Vec<Shot>,
    cues: Vec<TechnicalCue>,
}

impl Run {
    /// Hands every frame before `until` to the shot assembler.
    fn settle(&mut self, until: u64, on_event: &mut dyn FnMut(AnalysisEvent)) {
        while self.settled < until {
            let Some(frame) = self.unsettled.pop_front() else {
                break;
            };
            let settled = SettledFrame {
                number: self.settled,
                picture: &frame.picture,
                features: &frame.features,
                motion: frame.motion,
            };
            if let Some((shot, thumbnail_jpeg)) = self.shots.add_frame(&settled) {
                self.result_shots.push(shot.clone());
                on_event(AnalysisEvent::Shot {
                    shot,
                    thumbnail_jpeg,
                });
            }
            self.spare.push(frame.picture);
            self.settled += 1;
        }
    }

    fn cue(&mut self, run: BlackRun, on_event: &mut dyn FnMut(AnalysisEvent)) {
        let cue = TechnicalCue {
            kind: TechnicalCueType::BlackFrames,
            span: span(run.first, run.last, self.rate),
            confidence: run.confidence,
        };
        self.cues.push(cue.clone());
        on_event(AnalysisEvent::Cue(cue));
    }
}
