//! What a job's stream of stored events holds so far, for two uses:
//! - A job runs again when a server restart interrupted it, or when a person retries a failed
//!   or cancelled one; the new run decodes the video from its start, and pushes only what the
//!   stream does not hold yet, so a page never takes back (or doubles) a shot it showed and its
//!   progress bar never runs backwards ([`StreamSoFar::is_new`]).
//! - A job that fails or is cancelled keeps the shots it found: they become its partial result,
//!   served and exported like a whole one ([`StreamSoFar::partial_result`]).

use std::collections::BTreeMap;
use vidpush_protocol::{
    AnalysisResult, Analyzer, EventBody, JobEvent, ResultSummary, Shot, TechnicalCue,
    TransitionKind, VideoMetadata,
};

/// The results a job's stored events hold.
#[derive(Debug, Default)]
pub struct StreamSoFar {
    /// The shots pushed, by index.
    shots: BTreeMap<u32, Shot>,
    /// The technical cues pushed, in order: a run finds them in the same order.
    cues: Vec<TechnicalCue>,
    /// How many cues earlier runs pushed.
    cues_before: usize,
    /// Cues this run found so far.
    cues_found: usize,
    /// The container's facts, once pushed.
    metadata: Option<VideoMetadata>,
    /// The furthest progress pushed, if any was.
    fraction: Option<f64>,
    /// Frames analysed at the furthest progress.
    frames_done: u64,
}

impl StreamSoFar {
    /// What the stored events (as JSON texts) hold. An event that does not parse is skipped:
    /// at worst, its result is pushed again, which a page absorbs.
    pub fn from_stored(events: &[String]) -> Self {
        let mut stream = Self::default();
        for text in events {
            let Ok(event) = serde_json::from_str::<JobEvent>(text) else {
                continue;
            };
            stream.add(event.body);
        }
        stream.cues_before = stream.cues.len();
        stream
    }

    fn add(&mut self, body: EventBody) {
        match body {
            EventBody::Shot { shot, .. } => {
                self.shots.insert(shot.index, shot);
            }
            EventBody::Cue { cue } => self.cues.push(cue),
            EventBody::Metadata { metadata } => self.metadata = Some(metadata),
            EventBody::Progress {
                fraction,
                frames_done,
                ..
            } if self.fraction.is_none_or(|f| fraction >= f) => {
                self.fraction = Some(fraction);
                self.frames_done = frames_done;
            }
            _ => {}
        }
    }

    /// Whether shot `index` of this run is new to the stream.
    pub fn is_new_shot(&self, index: u32) -> bool {
        !self.shots.contains_key(&index)
    }

    /// What a job that stopped early found: its container's facts and the shots and cues
    /// pushed, with a summary of those. `None` when it found no shot, or stopped before it knew
    /// the container's facts.
    pub fn partial_result(self, processing_millis: u64) -> Option<AnalysisResult> {
        let video_metadata = self.metadata?;
        if self.shots.is_empty() {
            return None;
        }
        let shots: Vec<Shot> = self.shots.into_values().collect();
        let count = |kind: fn(TransitionKind) -> bool| {
            shots.iter().filter(|s| kind(s.transition_in.kind)).count() as u32
        };
        let summary = ResultSummary {
            shot_count: shots.len() as u32,
            cut_count: count(|k| k == TransitionKind::Cut),
            gradual_count: count(|k| matches!(k, TransitionKind::Dissolve | TransitionKind::Fade)),
            cue_count: self.cues.len() as u32,
            duration_millis: video_metadata.duration_millis,
            frames_analyzed: self.frames_done,
            processing_millis,
        };
        Some(AnalysisResult {
            video_metadata,
            shots,
            technical_cues: self.cues,
            summary,
            analyzer: Analyzer {
                name: "vidpush-analysis".to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
                analysis_width: vidpush_analysis::AnalysisOptions::default().analysis_width,
            },
        })
    }

    /// Whether `body`, made by this run, is new to the stream and is to be pushed; a new one
    /// is added to what the stream holds. Called once for each of the run's events, in order.
    pub fn is_new(&mut self, body: &EventBody) -> bool {
        let new = match body {
            EventBody::Shot { shot, .. } => self.is_new_shot(shot.index),
            EventBody::Cue { .. } => {
                self.cues_found += 1;
                self.cues_found > self.cues_before
            }
            EventBody::Metadata { .. } => self.metadata.is_none(),
            EventBody::Progress { fraction, .. } => self.fraction.is_none_or(|f| *fraction > f),
            _ => true,
        };
        if new {
            self.add(body.clone());
        }
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vidpush_protocol::{JobId, Stage, TechnicalCueType};

    fn stored(seq: u64, body: EventBody) -> String {
        JobEvent {
            job_id: JobId("j".into()),
            seq,
            at_ms: 0,
            body,
        }
        .to_json()
    }

    fn progress(fraction: f64) -> EventBody {
        EventBody::Progress {
            stage: Stage::Detecting,
            fraction,
            frames_done: 0,
        }
    }

    fn cue() -> EventBody {
        EventBody::Cue {
            cue: TechnicalCue {
                kind: TechnicalCueType::BlackFrames,
                span: span(),
                confidence: 90.0,
            },
        }
    }

    fn span() -> vidpush_protocol::Span {
        vidpush_protocol::Span {
            start_timestamp_millis: 0,
            end_timestamp_millis: 40,
            duration_millis: 40,
            start_timecode_smpte: String::new(),
            end_timecode_smpte: String::new(),
            duration_smpte: String::new(),
            start_frame_number: 0,
            end_frame_number: 0,
            duration_frames: 1,
        }
    }

    #[test]
    fn a_run_again_pushes_only_what_the_stream_does_not_hold() {
        let mut earlier = StreamSoFar::from_stored(&[
            stored(1, EventBody::Started),
            stored(2, progress(0.4)),
            stored(3, cue()),
            stored(4, EventBody::Started),
        ]);
        assert!(
            !earlier.is_new(&progress(0.2)),
            "progress would run backwards"
        );
        assert!(earlier.is_new(&progress(0.5)));
        assert!(!earlier.is_new(&cue()), "the first cue was pushed");
        assert!(earlier.is_new(&cue()), "the second cue is new");
        assert!(earlier.is_new(&EventBody::Started));
    }

    #[test]
    fn a_job_that_stopped_early_keeps_what_it_found_as_a_partial_result() {
        let shot = |index: u32, kind: TransitionKind| EventBody::Shot {
            shot: Shot {
                index,
                span: span(),
                confidence: 90.0,
                transition_in: vidpush_protocol::Transition {
                    kind,
                    duration_frames: 1,
                },
                thumbnail_frame: 0,
                facts: vidpush_protocol::ShotFacts {
                    dominant_colors: vec![],
                    mean_brightness: 0.5,
                    motion: 0.0,
                },
            },
            thumbnail_url: String::new(),
        };
        let mut stream = StreamSoFar::from_stored(&[
            stored(
                1,
                EventBody::Metadata {
                    metadata: metadata(),
                },
            ),
            stored(2, shot(0, TransitionKind::Start)),
        ]);
        assert!(stream.is_new(&shot(1, TransitionKind::Dissolve)));
        assert!(!stream.is_new(&shot(0, TransitionKind::Start)));
        let result = stream
            .partial_result(5)
            .expect("two shots and the metadata");
        let indexes: Vec<u32> = result.shots.iter().map(|s| s.index).collect();
        assert_eq!(indexes, vec![0, 1]);
        assert_eq!(
            (result.summary.shot_count, result.summary.gradual_count),
            (2, 1)
        );
        assert!(StreamSoFar::from_stored(&[]).partial_result(0).is_none());
    }

    #[test]
    fn a_first_run_pushes_everything() {
        let mut earlier = StreamSoFar::from_stored(&[stored(1, EventBody::Started)]);
        assert!(earlier.is_new_shot(0));
        assert!(earlier.is_new(&progress(0.0)));
        assert!(earlier.is_new(&cue()));
        assert!(earlier.is_new(&EventBody::Metadata {
            metadata: metadata()
        }));
    }

    fn metadata() -> VideoMetadata {
        VideoMetadata {
            codec: "h264".into(),
            format: "mp4".into(),
            duration_millis: 1,
            frame_rate: 25.0,
            frame_rate_fraction: "25/1".into(),
            frame_width: 2,
            frame_height: 2,
            color_range: "LIMITED".into(),
            frame_count: None,
            audio_codec: None,
        }
    }
}
