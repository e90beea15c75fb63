//! Shots as they are assembled from settled frames: facts (colours, brightness, motion) and the
//! thumbnail candidate accumulate frame by frame, and a shot is finished the moment the next
//! boundary's first frame settles. Owns the `Shot` record; it never decides where boundaries are.

use crate::boundary::Boundary;
use crate::colors::ColorHistogram;
use crate::decode::VideoFrame;
use crate::features::FrameFeatures;
use crate::thumbnail::encode_jpeg;
use crate::timecode::{FrameRate, span};
use std::collections::VecDeque;
use vidpush_protocol::result::{Shot, ShotFacts, Transition, TransitionKind};

/// Mean frame-to-frame luma change that counts as full motion (1.0): a fast pan or handheld
/// action changes about a quarter of full scale per frame at analysis size.
const FULL_MOTION: f32 = 0.25;

/// How much a frame inside a transition is worth as a thumbnail next to a clean frame: blends
/// and half-black frames make poor thumbnails, but a shot that is all transition still needs one.
const TRANSITION_THUMBNAIL_WEIGHT: f32 = 0.1;

/// One settled frame, as the shot being built takes it.
pub struct SettledFrame<'a> {
    /// Its number.
    pub number: u64,
    /// Its decoded picture, at thumbnail size.
    pub picture: &'a VideoFrame,
    /// Its features.
    pub features: &'a FrameFeatures,
    /// Luma change from the previous frame, 0.0 to 1.0.
    pub motion: f32,
}

/// The shot being built.
struct ShotBuilder {
    index: u32,
    first: u64,
    transition: Transition,
    transition_last: u64,
    confidence: f32,
    colors: ColorHistogram,
    luma_sum: f64,
    motion_sum: f64,
    frames: u64,
    thumbnail: Option<(u64, f32)>,
    thumbnail_picture: Option<VideoFrame>,
}

impl ShotBuilder {
    fn new(index: u32, boundary: Option<&Boundary>) -> Self {
        let (first, transition, transition_last, confidence) = match boundary {
            Some(b) => (
                b.frame,
                Transition {
                    kind: b.kind,
                    duration_frames: b.frames(),
                },
                b.last,
                b.confidence,
            ),
            None => (
                0,
                Transition {
                    kind: TransitionKind::Start,
                    duration_frames: 0,
                },
                0,
                100.0,
            ),
        };
        ShotBuilder {
            index,
            first,
            transition,
            transition_last,
            confidence,
            colors: ColorHistogram::default(),
            luma_sum: 0.0,
            motion_sum: 0.0,
            frames: 0,
            thumbnail: None,
            thumbnail_picture: None,
        }
    }

    fn add(&mut self, frame: &SettledFrame<'_>, next_transition_first: Option<u64>) {
        let features = frame.features;
        self.colors.add_frame(&features.luma, &features.chroma);
        self.luma_sum += f64::from(features.mean_luma);
        if self.frames > 0 {
            self.motion_sum += f64::from(frame.motion);
        }
        self.frames += 1;
        let in_transition = (self.transition.kind != TransitionKind::Start
            && frame.number <= self.transition_last)
            || next_transition_first.is_some_and(|first| frame.number >= first);
        let weight = if in_transition {
            TRANSITION_THUMBNAIL_WEIGHT
        } else {
            1.0
        };
        let score = features.sharpness * weight;
        if self.thumbnail.is_none_or(|(_, best)| score > best) {
            self.thumbnail = Some((frame.number, score));
            match &mut self.thumbnail_picture {
                Some(picture) => picture.data.copy_from_slice(&frame.picture.data),
                None => self.thumbnail_picture = Some(frame.picture.clone()),
            }
        }
    }

    fn finish(self, last: u64, rate: FrameRate, quality: u8) -> (Shot, Vec<u8>) {
        let frames = self.frames.max(1) as f64;
        let motion_frames = self.frames.saturating_sub(1).max(1) as f64;
        let shot = Shot {
            index: self.index,
            span: span(self.first, last, rate),
            confidence: self.confidence,
            transition_in: self.transition,
            thumbnail_frame: self.thumbnail.map_or(self.first, |(n, _)| n),
            facts: ShotFacts {
                dominant_colors: self.colors.dominant(),
                mean_brightness: (self.luma_sum / frames) as f32,
                motion: ((self.motion_sum / motion_frames) as f32 / FULL_MOTION).clamp(0.0, 1.0),
            },
        };
        let jpeg = self
            .thumbnail_picture
            .as_ref()
            .map(|p| encode_jpeg(p, quality))
            .unwrap_or_default();
        (shot, jpeg)
    }
}

/// Turns settled frames and final boundaries into finished shots, in order.
pub struct ShotAssembler {
    rate: FrameRate,
    quality: u8,
    boundaries: VecDeque<Boundary>,
    current: ShotBuilder,
    last_frame: Option<u64>,
}

impl ShotAssembler {
    /// An assembler for video at `rate`, writing thumbnails at JPEG `quality`.
    pub fn new(rate: FrameRate, quality: u8) -> Self {
        ShotAssembler {
            rate,
            quality,
            boundaries: VecDeque::new(),
            current: ShotBuilder::new(0, None),
            last_frame: None,
        }
    }

    /// Adds a final boundary (boundaries come in order, before their first frame settles).
    pub fn add_boundary(&mut self, boundary: Boundary) {
        self.boundaries.push_back(boundary);
    }

    /// Adds the next settled frame; returns the shot it finished, with its thumbnail, if any.
    pub fn add_frame(&mut self, frame: &SettledFrame<'_>) -> Option<(Shot, Vec<u8>)> {
        let mut finished = None;
        if self
            .boundaries
            .front()
            .is_some_and(|b| b.frame <= frame.number)
            && self.current.frames > 0
        {
            let boundary = self.boundaries.pop_front().expect("front() was just Some");
            let next = ShotBuilder::new(self.current.index + 1, Some(&boundary));
            let done = std::mem::replace(&mut self.current, next);
            finished = Some(done.finish(frame.number - 1, self.rate, self.quality));
        }
        let next_first = self.boundaries.front().map(|b| b.first);
        self.current.add(frame, next_first);
        self.last_frame = Some(frame.number);
        finished
    }

    /// Ends the video: finishes the last shot, if any frame was seen.
    pub fn finish(self) -> Option<(Shot, Vec<u8>)> {
        let last = self.last_frame?;
        Some(self.current.finish(last, self.rate, self.quality))
    }
}
