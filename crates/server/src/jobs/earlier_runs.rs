//! What earlier runs of a job already pushed. A job runs again when a server restart
//! interrupted it, or when a person retries a failed or cancelled one; the new run decodes the
//! video from its start, and pushes only what the stream does not hold yet, so a page never
//! takes back (or doubles) a shot it showed and its progress bar never runs backwards.

use std::collections::HashSet;
use vidpush_protocol::{EventBody, JobEvent};

/// The results of a job's earlier runs, read from its stored events.
#[derive(Debug, Default)]
pub struct EarlierRuns {
    /// Indexes of the shots pushed.
    shots: HashSet<u32>,
    /// How many technical cues were pushed: a run finds them in the same order.
    cues: usize,
    /// Cues this run found so far.
    cues_found: usize,
    /// Whether the container's facts were pushed.
    metadata: bool,
    /// The furthest progress pushed, if any was.
    fraction: Option<f64>,
}

impl EarlierRuns {
    /// What the stored events (as JSON texts) hold. An event that does not parse is skipped:
    /// at worst, its result is pushed again, which a page absorbs.
    pub fn from_stored(events: &[String]) -> Self {
        let mut earlier = Self::default();
        for text in events {
            let Ok(event) = serde_json::from_str::<JobEvent>(text) else {
                continue;
            };
            match event.body {
                EventBody::Shot { shot, .. } => {
                    earlier.shots.insert(shot.index);
                }
                EventBody::Cue { .. } => earlier.cues += 1,
                EventBody::Metadata { .. } => earlier.metadata = true,
                EventBody::Progress { fraction, .. } => {
                    earlier.fraction = Some(earlier.fraction.map_or(fraction, |f| f.max(fraction)));
                }
                _ => {}
            }
        }
        earlier
    }

    /// Whether shot `index` of this run is new to the stream.
    pub fn is_new_shot(&self, index: u32) -> bool {
        !self.shots.contains(&index)
    }

    /// Whether `body`, made by this run, is new to the stream and is to be pushed. Called once
    /// for each of the run's events, in order.
    pub fn is_new(&mut self, body: &EventBody) -> bool {
        match body {
            EventBody::Shot { shot, .. } => self.is_new_shot(shot.index),
            EventBody::Cue { .. } => {
                self.cues_found += 1;
                self.cues_found > self.cues
            }
            EventBody::Metadata { .. } => !self.metadata,
            EventBody::Progress { fraction, .. } => self.fraction.is_none_or(|f| *fraction > f),
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vidpush_protocol::{JobId, Stage, TechnicalCue, TechnicalCueType};

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
        let mut earlier = EarlierRuns::from_stored(&[
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
    fn a_first_run_pushes_everything() {
        let mut earlier = EarlierRuns::from_stored(&[stored(1, EventBody::Started)]);
        assert!(earlier.is_new_shot(0));
        assert!(earlier.is_new(&progress(0.0)));
        assert!(earlier.is_new(&cue()));
        assert!(earlier.is_new(&EventBody::Metadata {
            metadata: vidpush_protocol::VideoMetadata {
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
        }));
    }
}
