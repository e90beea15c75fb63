//! Shot boundaries and the last step before they are final: a fade out to black followed by a
//! fade (or cut) in from black is one boundary, not two with a black "shot" between; black
//! before the first picture or after the last one is no boundary at all (it is a black-frame
//! cue). Owns only that merging; it never looks at pixels beyond "is this frame dark".

use std::collections::VecDeque;
use vidpush_protocol::result::TransitionKind;

/// Darkness flags kept for recent frames: frames are observed when they arrive, boundaries are
/// added up to ~100 frames later (the detector's look-ahead plus a long gradual transition).
const DARKNESS_MEMORY: usize = 512;

/// Most frames a boundary waits in darkness for a fade in to merge with (about 6 s at 25 fps):
/// every frame behind it stays buffered, at thumbnail size, until it is released.
const MAX_DARK_WAIT: u64 = 150;

/// Frames of slack when deciding that two transitions touch across a dark gap: a fade's
/// detected extent can stop a frame or two short of the black.
const MERGE_SLACK: u64 = 3;

/// A boundary between two shots.
#[derive(Clone, Debug, PartialEq)]
pub struct Boundary {
    /// First frame of the new shot.
    pub frame: u64,
    /// Cut, dissolve or fade.
    pub kind: TransitionKind,
    /// First frame that belongs to the transition (equal to `frame` for a cut).
    pub first: u64,
    /// Last frame that belongs to the transition (equal to `frame` for a cut).
    pub last: u64,
    /// How sure the detector is, 50.0 to 100.0.
    pub confidence: f32,
}

impl Boundary {
    /// Frames the transition spans, 1 for a cut.
    pub fn frames(&self) -> u64 {
        self.last - self.first + 1
    }
}

/// Holds each boundary until it is known whether it merges with the next one across darkness.
#[derive(Debug, Default)]
pub struct BoundaryMerger {
    pending: Option<Boundary>,
    /// First frame after the pending boundary's transition that is not dark, once seen.
    light_after_pending: Option<u64>,
    /// First frame of the whole video that is not dark, once seen.
    first_light: Option<u64>,
    /// Frames seen so far (their darkness is known).
    frames_seen: u64,
    /// Darkness of the last [`DARKNESS_MEMORY`] frames seen, oldest first.
    recent_dark: VecDeque<bool>,
}

impl BoundaryMerger {
    /// Records the darkness of the next frame (frames arrive in order).
    pub fn observe(&mut self, dark: bool) {
        let frame = self.frames_seen;
        self.frames_seen += 1;
        if self.recent_dark.len() == DARKNESS_MEMORY {
            self.recent_dark.pop_front();
        }
        self.recent_dark.push_back(dark);
        if dark {
            return;
        }
        self.first_light.get_or_insert(frame);
        if let Some(pending) = &self.pending
            && frame > pending.last
        {
            self.light_after_pending.get_or_insert(frame);
        }
    }

    /// Adds a detected boundary (in order); returns the boundary it made final, if any.
    pub fn add(&mut self, next: Boundary) -> Option<Boundary> {
        let Some(pending) = self.pending.take() else {
            self.hold(next);
            return None;
        };
        let gap_is_dark = self
            .light_after_pending
            .is_none_or(|light| light + MERGE_SLACK >= next.first);
        // Two transitions that merely touch, with no dark frame between, are two boundaries
        // around a very short shot: two cuts a frame apart, or a dissolve into a shot that
        // fades out at once.
        let lowest = (pending.last + 1).saturating_sub(MERGE_SLACK);
        let highest = next.first.saturating_sub(1) + MERGE_SLACK;
        let dark_between = (lowest..=highest.max(lowest)).any(|frame| self.was_dark(frame));
        if gap_is_dark && dark_between {
            let merged = Boundary {
                frame: (pending.first + next.last).div_ceil(2),
                kind: if pending.kind == TransitionKind::Cut && next.kind == TransitionKind::Cut {
                    TransitionKind::Cut
                } else {
                    TransitionKind::Fade
                },
                first: pending.first,
                last: next.last,
                confidence: pending.confidence.min(next.confidence),
            };
            self.hold(merged);
            return None;
        }
        self.hold(next);
        self.release(pending)
    }

    /// Returns the pending boundary once no boundary starting before `frontier` can still come.
    pub fn settle(&mut self, frontier: u64, lookback: u64) -> Option<Boundary> {
        let pending = self.pending.as_ref()?;
        match self.light_after_pending {
            Some(light) if frontier > light.max(pending.last) + lookback => {}
            // A long black stretch ends the wait: the frames behind the boundary must be
            // released to their shot, so the boundary stands alone.
            None if frontier > pending.last + MAX_DARK_WAIT => {}
            _ => return None,
        }
        let pending = self.pending.take()?;
        self.release(pending)
    }

    /// Ends the video: a boundary followed only by darkness is dropped.
    pub fn finish(&mut self) -> Option<Boundary> {
        let pending = self.pending.take()?;
        self.light_after_pending?;
        self.release(pending)
    }

    /// The boundary that is still held, if any.
    pub fn pending(&self) -> Option<&Boundary> {
        self.pending.as_ref()
    }

    /// Whether `frame` was dark; frames no longer remembered (or not seen yet) count as dark,
    /// so a merge is only refused on evidence.
    fn was_dark(&self, frame: u64) -> bool {
        let oldest = self.frames_seen - self.recent_dark.len() as u64;
        frame
            .checked_sub(oldest)
            .and_then(|i| self.recent_dark.get(i as usize))
            .is_none_or(|&dark| dark)
    }

    fn hold(&mut self, boundary: Boundary) {
        // Frames after the transition may already have been observed: look them up.
        let oldest = self.frames_seen - self.recent_dark.len() as u64;
        self.light_after_pending = ((boundary.last + 1).max(oldest)..self.frames_seen)
            .find(|&frame| !self.recent_dark[(frame - oldest) as usize]);
        self.pending = Some(boundary);
    }

    /// Drops a boundary with nothing but darkness before it (a fade in at the very start).
    fn release(&self, boundary: Boundary) -> Option<Boundary> {
        let lit_before = self.first_light.is_some_and(|light| light < boundary.first);
        lit_before.then_some(boundary)
    }
}
