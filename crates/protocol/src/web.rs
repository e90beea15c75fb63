//! The page's side of the wire, in the browser: what a page receives is decoded from the
//! browser's own `JSON.parse`, and what it sends is encoded with `JSON.stringify`.
//!
//! Why not serde here too: compiled to wasm, serde_json plus a derived visitor per type (and
//! the buffering that `flatten` and tagged enums need) made up some 130 KB of the app's
//! 570 KB. The derived serde impls stay the reference for the wire format; this module reads
//! and writes the same field names, and `tests/web_codec.rs` checks in headless Chromium that
//! every pinned message decodes to exactly the value serde gives and that every sent message
//! encodes to exactly serde's text.
//!
//! Only what a page receives is decodable ([`ServerMessage`], [`AnalysisResult`], the HTTP
//! answers, the multipart upload API's answers) and only what it sends is encodable
//! ([`ClientAction`], [`CreateJobRequest`], the multipart create and complete requests).

use crate::action::ClientAction;
use crate::event::{ErrorCode, EventBody, JobEvent, JobState, Reply, ServerMessage, Stage};
use crate::http::{
    ApiError, ClientConfig, ConnectCheck, ConnectVerdict, CreateJobRequest, CreateJobResponse,
    Health, JobList, JobStatus,
};
use crate::ids::{JobId, UploadId};
use crate::multipart::{
    CompleteMultipartRequest, CompleteMultipartResponse, CreateMultipartRequest,
    CreateMultipartResponse, ListPartsResponse, SignedPart, UploadedPart,
};
use crate::result::{
    AnalysisResult, Analyzer, DominantColor, ResultSummary, Shot, ShotFacts, Span, TechnicalCue,
    TechnicalCueType, Transition, TransitionKind, VideoMetadata,
};
use js_sys::{Array, JSON, Object, Reflect};
use std::fmt;
use wasm_bindgen::JsValue;

/// The largest integer a JSON number holds exactly in a browser (2^53 − 1).
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// Why a text is not the expected message: where in it, and what was expected there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    /// Dotted path to the offending value, e.g. `shot.facts.motion`; empty for the whole text.
    path: String,
    /// What should have been there, e.g. `a whole number`.
    expected: &'static str,
}

impl DecodeError {
    fn expected(expected: &'static str) -> Self {
        Self {
            path: String::new(),
            expected,
        }
    }

    /// The same error, one level further out: `key` holds the value that was wrong.
    fn within(mut self, key: &str) -> Self {
        self.path = match (self.path.is_empty(), self.path.starts_with('[')) {
            (true, _) => key.to_owned(),
            (false, true) => format!("{key}{}", self.path),
            (false, false) => format!("{key}.{}", self.path),
        };
        self
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "expected {}", self.expected)
        } else {
            write!(f, "`{}`: expected {}", self.path, self.expected)
        }
    }
}

impl std::error::Error for DecodeError {}

/// A wire type a page receives, read from a parsed JSON value.
pub trait FromJs: Sized {
    /// Reads `value`, or says which part of it is not as the wire format wants.
    fn from_js(value: &JsValue) -> Result<Self, DecodeError>;
}

/// A wire type a page sends, as the JS value `JSON.stringify` turns into its text.
pub trait ToJs {
    /// The value, with fields in the order serde writes them.
    fn to_js(&self) -> JsValue;
}

/// Parses `text` with the browser's `JSON.parse`.
pub fn parse(text: &str) -> Result<JsValue, DecodeError> {
    JSON::parse(text).map_err(|_| DecodeError::expected("valid JSON"))
}

/// Parses and decodes one message.
pub fn decode<T: FromJs>(text: &str) -> Result<T, DecodeError> {
    T::from_js(&parse(text)?)
}

/// The JSON text of one message.
pub fn encode<T: ToJs>(value: &T) -> String {
    JSON::stringify(&value.to_js())
        .ok()
        .and_then(|text| text.as_string())
        .expect("objects of strings and numbers always stringify")
}

/// The fields of one JSON object.
struct Fields<'a>(&'a JsValue);

impl<'a> Fields<'a> {
    fn of(value: &'a JsValue) -> Result<Self, DecodeError> {
        if value.is_object() && !Array::is_array(value) {
            Ok(Self(value))
        } else {
            Err(DecodeError::expected("an object"))
        }
    }

    fn raw(&self, key: &str) -> JsValue {
        Reflect::get(self.0, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    }

    /// A field that must be present.
    fn get<T: FromJs>(&self, key: &str) -> Result<T, DecodeError> {
        let value = self.raw(key);
        if value.is_undefined() {
            return Err(DecodeError::expected("a value (the field is missing)").within(key));
        }
        T::from_js(&value).map_err(|e| e.within(key))
    }

    /// A field that may be left out or be `null`.
    fn optional<T: FromJs>(&self, key: &str) -> Result<Option<T>, DecodeError> {
        let value = self.raw(key);
        if value.is_undefined() || value.is_null() {
            return Ok(None);
        }
        T::from_js(&value).map(Some).map_err(|e| e.within(key))
    }
}

impl FromJs for String {
    fn from_js(value: &JsValue) -> Result<Self, DecodeError> {
        value.as_string().ok_or(DecodeError::expected("a string"))
    }
}

impl FromJs for f64 {
    fn from_js(value: &JsValue) -> Result<Self, DecodeError> {
        value.as_f64().ok_or(DecodeError::expected("a number"))
    }
}

impl FromJs for f32 {
    fn from_js(value: &JsValue) -> Result<Self, DecodeError> {
        f64::from_js(value).map(|n| n as f32)
    }
}

impl FromJs for u64 {
    fn from_js(value: &JsValue) -> Result<Self, DecodeError> {
        match value.as_f64() {
            Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= MAX_SAFE_INTEGER => Ok(n as u64),
            _ => Err(DecodeError::expected("a whole number of at most 2^53 − 1")),
        }
    }
}

impl FromJs for u32 {
    fn from_js(value: &JsValue) -> Result<Self, DecodeError> {
        u32::try_from(u64::from_js(value)?)
            .map_err(|_| DecodeError::expected("a whole number of at most 2^32 − 1"))
    }
}

impl FromJs for u16 {
    fn from_js(value: &JsValue) -> Result<Self, DecodeError> {
        u16::try_from(u64::from_js(value)?)
            .map_err(|_| DecodeError::expected("a whole number of at most 65535"))
    }
}

impl<T: FromJs> FromJs for Vec<T> {
    fn from_js(value: &JsValue) -> Result<Self, DecodeError> {
        if !Array::is_array(value) {
            return Err(DecodeError::expected("an array"));
        }
        Array::from(value)
            .iter()
            .enumerate()
            .map(|(i, item)| T::from_js(&item).map_err(|e| e.within(&format!("[{i}]"))))
            .collect()
    }
}

impl FromJs for JobId {
    fn from_js(value: &JsValue) -> Result<Self, DecodeError> {
        String::from_js(value).map(Self)
    }
}

impl FromJs for UploadId {
    fn from_js(value: &JsValue) -> Result<Self, DecodeError> {
        String::from_js(value).map(Self)
    }
}

/// The variant of a string enum whose wire name is `value`.
fn one_of<T: Copy>(
    value: &JsValue,
    names: &[(&str, T)],
    expected: &'static str,
) -> Result<T, DecodeError> {
    let name = String::from_js(value)?;
    names
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, variant)| *variant)
        .ok_or(DecodeError::expected(expected))
}

impl FromJs for JobState {
    fn from_js(value: &JsValue) -> Result<Self, DecodeError> {
        use JobState::*;
        let all = [Queued, Running, Completed, Failed, Cancelled].map(|s| (s.as_str(), s));
        one_of(value, &all, "a job state")
    }
}

/// `FromJs` for an enum written as one of a fixed set of strings.
macro_rules! from_js_by_name {
    ($type:ty, $expected:literal, { $($name:literal => $variant:expr),+ $(,)? }) => {
        impl FromJs for $type {
            fn from_js(value: &JsValue) -> Result<Self, DecodeError> {
                one_of(value, &[$(($name, $variant)),+], $expected)
            }
        }
    };
}

from_js_by_name!(Stage, "a stage", {
    "probing" => Stage::Probing,
    "detecting" => Stage::Detecting,
    "finishing" => Stage::Finishing,
});

from_js_by_name!(ErrorCode, "an error code", {
    "badRequest" => ErrorCode::BadRequest,
    "notFound" => ErrorCode::NotFound,
    "forbidden" => ErrorCode::Forbidden,
    "internal" => ErrorCode::Internal,
});

from_js_by_name!(ConnectVerdict, "a connect verdict", {
    "ok" => ConnectVerdict::Ok,
    "unauthorized" => ConnectVerdict::Unauthorized,
    "originNotAllowed" => ConnectVerdict::OriginNotAllowed,
    "throttled" => ConnectVerdict::Throttled,
    "atCapacity" => ConnectVerdict::AtCapacity,
});

from_js_by_name!(TransitionKind, "a transition type", {
    "start" => TransitionKind::Start,
    "cut" => TransitionKind::Cut,
    "dissolve" => TransitionKind::Dissolve,
    "fade" => TransitionKind::Fade,
});

from_js_by_name!(TechnicalCueType, "a technical cue type", {
    "BlackFrames" => TechnicalCueType::BlackFrames,
});

impl FromJs for VideoMetadata {
    fn from_js(value: &JsValue) -> Result<Self, DecodeError> {
        let f = Fields::of(value)?;
        Ok(Self {
            codec: f.get("codec")?,
            format: f.get("format")?,
            duration_millis: f.get("durationMillis")?,
            frame_rate: f.get("frameRate")?,
            frame_rate_fraction: f.get("frameRateFraction")?,
            frame_width: f.get("frameWidth")?,
            frame_height: f.get("frameHeight")?,
            color_range: f.get("colorRange")?,
            frame_count: f.optional("frameCount")?,
            audio_codec: f.optional("audioCodec")?,
        })
    }
}

/// A span's fields sit flat in the object of the shot or cue they belong to.
fn span(f: &Fields) -> Result<Span, DecodeError> {
    Ok(Span {
        start_timestamp_millis: f.get("startTimestampMillis")?,
        end_timestamp_millis: f.get("endTimestampMillis")?,
        duration_millis: f.get("durationMillis")?,
        start_timecode_smpte: f.get("startTimecodeSMPTE")?,
        end_timecode_smpte: f.get("endTimecodeSMPTE")?,
        duration_smpte: f.get("durationSMPTE")?,
        start_frame_number: f.get("startFrameNumber")?,
        end_frame_number: f.get("endFrameNumber")?,
        duration_frames: f.get("durationFrames")?,
    })
}

impl FromJs for Transition {
    fn from_js(value: &JsValue) -> Result<Self, DecodeError> {
        let f = Fields::of(value)?;
        Ok(Self {
            kind: f.get("type")?,
            duration_frames: f.get("durationFrames")?,
        })
    }
}

impl FromJs for DominantColor {
    fn from_js(value: &JsValue) -> Result<Self, DecodeError> {
        let f = Fields::of(value)?;
        Ok(Self {
            hex: f.get("hex")?,
            share: f.get("share")?,
        })
    }
}

impl FromJs for ShotFacts {
    fn from_js(value: &JsValue) -> Result<Self, DecodeError> {
        let f = Fields::of(value)?;
        Ok(Self {
            dominant_colors: f.get("dominantColors")?,
            mean_brightness: f.get("meanBrightness")?,
            motion: f.get("motion")?,
        })
    }
}

impl FromJs for Shot {
    fn from_js(value: &JsValue) -> Result<Self, DecodeError> {
        let f = Fields::of(value)?;
        Ok(Self {
            index: f.get("index")?,
            span: span(&f)?,
            confidence: f.get("confidence")?,
            transition_in: f.get("transitionIn")?,
            thumbnail_frame: f.get("thumbnailFrame")?,
            facts: f.get("facts")?,
        })
    }
}

impl FromJs for TechnicalCue {
    fn from_js(value: &JsValue) -> Result<Self, DecodeError> {
        let f = Fields::of(value)?;
        Ok(Self {
            kind: f.get("type")?,
            span: span(&f)?,
            confidence: f.get("confidence")?,
        })
    }
}

impl FromJs for ResultSummary {
    fn from_js(value: &JsValue) -> Result<Self, DecodeError> {
        let f = Fields::of(value)?;
        Ok(Self {
            shot_count: f.get("shotCount")?,
            cut_count: f.get("cutCount")?,
            gradual_count: f.get("gradualCount")?,
            cue_count: f.get("cueCount")?,
            duration_millis: f.get("durationMillis")?,
            frames_analyzed: f.get("framesAnalyzed")?,
            processing_millis: f.get("processingMillis")?,
        })
    }
}

impl FromJs for Analyzer {
    fn from_js(value: &JsValue) -> Result<Self, DecodeError> {
        let f = Fields::of(value)?;
        Ok(Self {
            name: f.get("name")?,
            version: f.get("version")?,
            analysis_width: f.get("analysisWidth")?,
        })
    }
}

impl FromJs for AnalysisResult {
    fn from_js(value: &JsValue) -> Result<Self, DecodeError> {
        let f = Fields::of(value)?;
        Ok(Self {
            video_metadata: f.get("videoMetadata")?,
            shots: f.get("shots")?,
            technical_cues: f.get("technicalCues")?,
            summary: f.get("summary")?,
            analyzer: f.get("analyzer")?,
        })
    }
}

/// The body of an event whose `type` tag is `kind`, from the event's own fields.
fn event_body(kind: &str, f: &Fields) -> Result<EventBody, DecodeError> {
    Ok(match kind {
        "job.queued" => EventBody::Queued {
            file_name: f.get("fileName")?,
            size_bytes: f.get("sizeBytes")?,
        },
        "job.started" => EventBody::Started,
        "job.progress" => EventBody::Progress {
            stage: f.get("stage")?,
            fraction: f.get("fraction")?,
            frames_done: f.get("framesDone")?,
        },
        "job.metadata" => EventBody::Metadata {
            metadata: f.get("metadata")?,
        },
        "job.shot" => EventBody::Shot {
            shot: f.get("shot")?,
            thumbnail_url: f.get("thumbnailUrl")?,
        },
        "job.cue" => EventBody::Cue { cue: f.get("cue")? },
        "job.completed" => EventBody::Completed {
            summary: f.get("summary")?,
            result_url: f.get("resultUrl")?,
        },
        "job.failed" => EventBody::Failed {
            reason: f.get("reason")?,
        },
        "job.cancelled" => EventBody::Cancelled {
            reason: f.get("reason")?,
        },
        _ => return Err(DecodeError::expected("a known job event type").within("type")),
    })
}

impl FromJs for JobEvent {
    fn from_js(value: &JsValue) -> Result<Self, DecodeError> {
        let f = Fields::of(value)?;
        let kind: String = f.get("type")?;
        Ok(Self {
            job_id: f.get("jobId")?,
            seq: f.get("seq")?,
            at_ms: f.get("atMs")?,
            body: event_body(&kind, &f)?,
        })
    }
}

impl FromJs for Reply {
    fn from_js(value: &JsValue) -> Result<Self, DecodeError> {
        let f = Fields::of(value)?;
        let kind: String = f.get("type")?;
        Ok(match kind.as_str() {
            "subscribed" => Reply::Subscribed {
                job_id: f.get("jobId")?,
                state: f.get("state")?,
                last_seq: f.get("lastSeq")?,
            },
            "unsubscribed" => Reply::Unsubscribed {
                job_id: f.get("jobId")?,
            },
            "pong" => Reply::Pong,
            "error" => Reply::Error {
                code: f.get("code")?,
                message: f.get("message")?,
                job_id: f.optional("jobId")?,
            },
            _ => return Err(DecodeError::expected("a known reply type").within("type")),
        })
    }
}

impl FromJs for ServerMessage {
    /// An event when the `type` tag starts with `job.`, a reply otherwise.
    fn from_js(value: &JsValue) -> Result<Self, DecodeError> {
        let kind: String = Fields::of(value)?.get("type")?;
        if kind.starts_with("job.") {
            JobEvent::from_js(value).map(Self::Event)
        } else {
            Reply::from_js(value).map(Self::Reply)
        }
    }
}

impl FromJs for ApiError {
    fn from_js(value: &JsValue) -> Result<Self, DecodeError> {
        let f = Fields::of(value)?;
        Ok(Self {
            code: f.get("code")?,
            message: f.get("message")?,
        })
    }
}

impl FromJs for ConnectCheck {
    fn from_js(value: &JsValue) -> Result<Self, DecodeError> {
        let f = Fields::of(value)?;
        Ok(Self {
            verdict: f.get("verdict")?,
            status: f.get("status")?,
            message: f.get("message")?,
        })
    }
}

impl FromJs for ClientConfig {
    fn from_js(value: &JsValue) -> Result<Self, DecodeError> {
        let f = Fields::of(value)?;
        Ok(Self {
            gateway_url: f.optional("gatewayUrl")?,
            api_url: f.optional("apiUrl")?,
            token: f.optional("token")?,
        })
    }
}

impl FromJs for CreateJobResponse {
    fn from_js(value: &JsValue) -> Result<Self, DecodeError> {
        Ok(Self {
            job_id: Fields::of(value)?.get("jobId")?,
        })
    }
}

impl FromJs for Health {
    fn from_js(value: &JsValue) -> Result<Self, DecodeError> {
        let f = Fields::of(value)?;
        Ok(Self {
            status: f.get("status")?,
            version: f.get("version")?,
            max_upload_bytes: f.optional("maxUploadBytes")?,
        })
    }
}

impl FromJs for JobStatus {
    fn from_js(value: &JsValue) -> Result<Self, DecodeError> {
        let f = Fields::of(value)?;
        Ok(Self {
            job_id: f.get("jobId")?,
            state: f.get("state")?,
            last_seq: f.get("lastSeq")?,
            file_name: f.get("fileName")?,
            created_at_ms: f.get("createdAtMs")?,
        })
    }
}

impl FromJs for JobList {
    fn from_js(value: &JsValue) -> Result<Self, DecodeError> {
        let f = Fields::of(value)?;
        Ok(Self {
            jobs: f.get("jobs")?,
            next_cursor: f.optional("nextCursor")?,
        })
    }
}

impl FromJs for CreateMultipartResponse {
    fn from_js(value: &JsValue) -> Result<Self, DecodeError> {
        let f = Fields::of(value)?;
        Ok(Self {
            upload_id: f.get("uploadId")?,
            key: f.get("key")?,
            part_size: f.get("partSize")?,
            part_count: f.get("partCount")?,
        })
    }
}

impl FromJs for SignedPart {
    fn from_js(value: &JsValue) -> Result<Self, DecodeError> {
        let f = Fields::of(value)?;
        Ok(Self {
            url: f.get("url")?,
            expires_at_ms: f.get("expiresAtMs")?,
        })
    }
}

impl FromJs for UploadedPart {
    fn from_js(value: &JsValue) -> Result<Self, DecodeError> {
        let f = Fields::of(value)?;
        Ok(Self {
            part_number: f.get("partNumber")?,
            size: f.get("size")?,
            etag: f.get("etag")?,
        })
    }
}

impl FromJs for ListPartsResponse {
    fn from_js(value: &JsValue) -> Result<Self, DecodeError> {
        Ok(Self {
            parts: Fields::of(value)?.get("parts")?,
        })
    }
}

impl FromJs for CompleteMultipartResponse {
    fn from_js(value: &JsValue) -> Result<Self, DecodeError> {
        let f = Fields::of(value)?;
        Ok(Self {
            upload_id: f.get("uploadId")?,
            size: f.get("size")?,
        })
    }
}

/// An object with `fields` set in order (`JSON.stringify` keeps insertion order).
fn object(fields: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (key, value) in fields {
        Reflect::set(&object, &JsValue::from_str(key), value)
            .expect("setting a property of a plain new object cannot fail");
    }
    object.into()
}

impl ToJs for ClientAction {
    fn to_js(&self) -> JsValue {
        let action = ("action", JsValue::from_str(self.route()));
        match self {
            Self::Subscribe { job_id, after_seq } => object(&[
                action,
                ("jobId", job_id.as_str().into()),
                ("afterSeq", (*after_seq as f64).into()),
            ]),
            Self::Unsubscribe { job_id } | Self::Cancel { job_id } => {
                object(&[action, ("jobId", job_id.as_str().into())])
            }
            Self::Ping => object(&[action]),
        }
    }
}

impl ToJs for CreateJobRequest {
    fn to_js(&self) -> JsValue {
        match self.sensitivity {
            Some(sensitivity) => object(&[
                ("uploadId", self.upload_id.as_str().into()),
                ("sensitivity", sensitivity.into()),
            ]),
            None => object(&[("uploadId", self.upload_id.as_str().into())]),
        }
    }
}

impl ToJs for CreateMultipartRequest {
    fn to_js(&self) -> JsValue {
        object(&[
            ("fileName", self.file_name.as_str().into()),
            ("fileType", self.file_type.as_str().into()),
            ("size", (self.size as f64).into()),
        ])
    }
}

impl ToJs for CompleteMultipartRequest {
    fn to_js(&self) -> JsValue {
        let parts: Array = self
            .parts
            .iter()
            .map(|part| {
                object(&[
                    ("partNumber", part.part_number.into()),
                    ("etag", part.etag.as_str().into()),
                ])
            })
            .collect();
        object(&[("parts", parts.into())])
    }
}
