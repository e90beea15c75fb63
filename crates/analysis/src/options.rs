//! What a caller can tune about one analysis, and the flag that cancels it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use vidpush_protocol::limits;

/// Default width of the frames the shot detector looks at: 96 px keeps shapes and colours apart
/// while the per-frame work stays far below decoding cost.
pub const DEFAULT_ANALYSIS_WIDTH: u32 = 96;

/// Default thumbnail width: sharp enough for a timeline card, small enough (~15 KB) to push.
pub const DEFAULT_THUMBNAIL_WIDTH: u32 = 320;

/// Default wall-clock limit for one analysis: a two-hour 1080p film decodes at 320 px well
/// inside it on two cores; a decoder stuck in a hostile file does not hold a worker longer.
pub const DEFAULT_TIME_LIMIT: Duration = Duration::from_secs(30 * 60);

/// Default cap on decoded frame bytes read from ffmpeg (64 GiB): about four hours of 25 fps
/// video at 320x180; a file that claims to be longer is stopped instead of decoded forever.
pub const DEFAULT_MAX_DECODED_BYTES: u64 = 64 * 1024 * 1024 * 1024;

/// Largest frame analysed, in pixels (width × height as ffprobe reports them): 8192×4320, the
/// frame of DCI 8K, the largest of the 8K formats; UHD 8K (7680×4320) fits. Above it one frame
/// costs more than 53 MB decoded and a decoder keeps a dozen of them, so a tiny crafted file
/// (a 734 KiB H.264 of 16000×16000 frames) could demand gigabytes. Both ffprobe and ffmpeg are
/// told this limit (`-max_pixels`), so they refuse such a picture before allocating it, and
/// the probe refuses a stream that declares it.
pub const MAX_FRAME_PIXELS: u64 = 8192 * 4320;

/// Default address-space limit of every ffmpeg and ffprobe child (3 GiB), so a hostile file
/// that slips past [`MAX_FRAME_PIXELS`] costs a bounded amount. Measured with Debian's ffmpeg
/// 5.1 decoding as vidpush does (4 decoder threads): its libraries alone take 270 MiB; 1080p
/// and 4K need at most 610 MiB; 8K H.264 1.1 GiB, 8K HEVC 10-bit 1.6 GiB, 8K AV1 10-bit (the
/// hungriest) 2.1 GiB. Address space, not resident memory: those runs touched 55–70% of it.
pub const DEFAULT_MAX_DECODER_MEMORY: u64 = 3 * 1024 * 1024 * 1024;

/// Default hard-cut sensitivity: the bar the accuracy suites were measured at. The range is
/// the protocol's, so the page, the API and the CLI offer the same one.
pub const DEFAULT_SENSITIVITY: f32 = limits::DEFAULT_CUT_SENSITIVITY as f32;

/// Lowest sensitivity ([`limits::MIN_CUT_SENSITIVITY`]): a cut must change the picture twice as
/// much as at the default.
pub const MIN_SENSITIVITY: f32 = limits::MIN_CUT_SENSITIVITY as f32;

/// Highest sensitivity ([`limits::MAX_CUT_SENSITIVITY`]): a cut needs half the change of the
/// default.
pub const MAX_SENSITIVITY: f32 = limits::MAX_CUT_SENSITIVITY as f32;

/// Knobs of one analysis.
#[derive(Clone, Debug)]
pub struct AnalysisOptions {
    /// Width of the frames the detector sees; smaller is faster, larger sees finer detail.
    pub analysis_width: u32,
    /// Width of the JPEG thumbnails (and of the frames ffmpeg decodes to).
    pub thumbnail_width: u32,
    /// Wall-clock limit for probing plus decoding.
    pub time_limit: Duration,
    /// Cap on raw frame bytes read from ffmpeg.
    pub max_decoded_bytes: u64,
    /// Address-space limit, in bytes, of each ffmpeg and ffprobe child: what one decoder may
    /// take of the machine's memory, whatever the file asks for.
    pub max_decoder_memory: u64,
    /// How readily a hard cut is reported, [`MIN_SENSITIVITY`] to [`MAX_SENSITIVITY`] (values
    /// outside are clamped); every bar a cut must pass is divided by it. Above 1 finds cuts
    /// between similar shots (same set, same light) at the price of more false cuts on fast
    /// motion and light changes; below 1 reports fewer false cuts on busy footage and misses
    /// cuts between look-alike shots. Flashes are recognised whatever the setting; dissolves
    /// and fades are not affected. Measured on the footage suite (tuning / held-out / fresh
    /// seeds, 38, 38 and 35 cuts): at 0.5, 3, 1 and 0 cuts missed, no false cut; at 1, none
    /// missed, none false; at 2, none missed, 0, 3 and 3 false cuts (on crossing objects and
    /// fast motion).
    pub sensitivity: f32,
    /// JPEG quality of thumbnails, 1 to 100.
    pub thumbnail_quality: u8,
    /// The ffmpeg program to run (a path or a name on `PATH`).
    pub ffmpeg: String,
    /// The ffprobe program to run.
    pub ffprobe: String,
}

impl Default for AnalysisOptions {
    fn default() -> Self {
        AnalysisOptions {
            analysis_width: DEFAULT_ANALYSIS_WIDTH,
            thumbnail_width: DEFAULT_THUMBNAIL_WIDTH,
            time_limit: DEFAULT_TIME_LIMIT,
            max_decoded_bytes: DEFAULT_MAX_DECODED_BYTES,
            max_decoder_memory: DEFAULT_MAX_DECODER_MEMORY,
            sensitivity: DEFAULT_SENSITIVITY,
            // 80: no visible blocking at 320 px, a third the size of quality 95.
            thumbnail_quality: 80,
            ffmpeg: "ffmpeg".to_owned(),
            ffprobe: "ffprobe".to_owned(),
        }
    }
}

/// Cancels a running analysis. Cheap to clone; every clone cancels the same analysis. The
/// analysis checks it between frames, and a watchdog kills ffmpeg within a few milliseconds so a
/// stalled decoder cannot delay the cancellation.
#[derive(Clone, Debug, Default)]
pub struct CancelFlag(Arc<AtomicBool>);

impl CancelFlag {
    /// A flag that is not cancelled yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the analysis to stop as soon as it can.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// True once `cancel` was called on any clone.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}
