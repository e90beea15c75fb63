//! Decoding with ffmpeg into raw, downscaled frames on a pipe. Owns the ffmpeg command line, the
//! frame geometry and the output-size limit; frames never touch the disk.

use crate::error::AnalysisError;
use crate::options::{AnalysisOptions, CancelFlag};
use crate::process::{BoundedChild, first_complaint};
use std::io::Read;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// Smallest decoded frame side: the detector's 2x2 chroma blocks need at least this.
const MIN_SIDE: u32 = 8;

/// One decoded frame: planar YUV 4:2:0, full range (0 is black, 255 white), as ffmpeg wrote it.
#[derive(Clone, Debug)]
pub struct VideoFrame {
    /// Width in pixels (even).
    pub width: u32,
    /// Height in pixels (even).
    pub height: u32,
    /// Y plane, then U, then V.
    pub data: Vec<u8>,
}

impl VideoFrame {
    /// A black frame of the given (even) size.
    pub fn new(width: u32, height: u32) -> Self {
        VideoFrame {
            width,
            height,
            data: vec![0; frame_bytes(width, height)],
        }
    }

    /// The luma plane, row by row.
    pub fn luma(&self) -> &[u8] {
        &self.data[..(self.width * self.height) as usize]
    }

    /// The two chroma planes (U, V), each half width and half height.
    pub fn chroma(&self) -> (&[u8], &[u8]) {
        let luma = (self.width * self.height) as usize;
        let quarter = luma / 4;
        (
            &self.data[luma..luma + quarter],
            &self.data[luma + quarter..luma + 2 * quarter],
        )
    }
}

/// Bytes of one YUV 4:2:0 frame of an even size.
pub fn frame_bytes(width: u32, height: u32) -> usize {
    (width as usize * height as usize) * 3 / 2
}

/// The even frame size that keeps the display aspect at `want_width` px wide, never upscaling.
pub fn scaled_size(display_width: u32, display_height: u32, want_width: u32) -> (u32, u32) {
    let even = |v: u64| ((v / 2 * 2) as u32).max(MIN_SIDE);
    let width = u64::from(want_width.min(display_width).max(MIN_SIDE));
    let height = (width * u64::from(display_height) + u64::from(display_width) / 2)
        / u64::from(display_width.max(1));
    (even(width), even(height))
}

/// The ffmpeg arguments that decode `path` to frames of `width`x`height`, up to but without the
/// output: the analysis adds `-f rawvideo -`, the benchmark `-f null -` to time decoding alone.
pub fn ffmpeg_args(path: &Path, width: u32, height: u32) -> Vec<std::ffi::OsString> {
    let filter = format!("scale={width}:{height}:flags=area:out_range=full,format=yuv420p");
    let mut args: Vec<std::ffi::OsString> =
        ["-nostdin", "-hide_banner", "-loglevel", "error", "-i"]
            .iter()
            .map(Into::into)
            .collect();
    args.push(path.into());
    // Only the first video stream: audio, subtitles and data would only cost time. Passthrough
    // keeps one output frame per decoded frame, so frame numbers are the file's own.
    for arg in [
        "-map",
        "0:v:0",
        "-an",
        "-sn",
        "-dn",
        "-vf",
        &filter,
        "-fps_mode",
        "passthrough",
    ] {
        args.push(arg.into());
    }
    args
}

/// A running ffmpeg that yields frames one by one.
pub struct FrameDecoder {
    child: BoundedChild,
    width: u32,
    height: u32,
    bytes_read: u64,
    max_bytes: u64,
    frames_read: u64,
    cancel: CancelFlag,
    input: String,
}

impl FrameDecoder {
    /// Starts ffmpeg on `path`, decoding to `width`x`height` (both even).
    pub fn start(
        path: &Path,
        (width, height): (u32, u32),
        options: &AnalysisOptions,
        deadline: Instant,
        cancel: &CancelFlag,
    ) -> Result<Self, AnalysisError> {
        let mut command = Command::new(&options.ffmpeg);
        command
            .args(ffmpeg_args(path, width, height))
            .args(["-f", "rawvideo", "-"]);
        let child = BoundedChild::spawn(command, deadline, options.time_limit, cancel)?;
        Ok(FrameDecoder {
            child,
            width,
            height,
            bytes_read: 0,
            max_bytes: options.max_decoded_bytes,
            frames_read: 0,
            cancel: cancel.clone(),
            input: path.to_string_lossy().into_owned(),
        })
    }

    /// The decoded frame size.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// Reads the next frame into `frame` (which must have the decoder's size); `Ok(false)` at
    /// the end of the video.
    pub fn read_into(&mut self, frame: &mut VideoFrame) -> Result<bool, AnalysisError> {
        if self.cancel.is_cancelled() {
            return Err(AnalysisError::Cancelled);
        }
        let want = frame.data.len() as u64;
        if self.bytes_read + want > self.max_bytes {
            return Err(AnalysisError::TooLarge(self.max_bytes));
        }
        let mut filled = 0;
        while filled < frame.data.len() {
            match self.child.stdout().read(&mut frame.data[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error.into()),
            }
        }
        if let Some(error) = self.child.stop_error() {
            return Err(error);
        }
        self.bytes_read += filled as u64;
        if filled < frame.data.len() {
            // End of stream; a torn last frame (ffmpeg killed mid-write) is dropped.
            return Ok(false);
        }
        self.frames_read += 1;
        Ok(true)
    }

    /// Waits for ffmpeg to exit after the last frame. A decoder that failed before producing any
    /// frame makes the file unreadable; one that failed late (a truncated upload) still leaves a
    /// useful analysis of what decoded.
    pub fn finish(self) -> Result<u64, AnalysisError> {
        let frames = self.frames_read;
        let input = self.input;
        let (status, stderr) = self.child.wait()?;
        if frames == 0 {
            let reason = if status.success() {
                "it contains no decodable frames".to_owned()
            } else {
                first_complaint(&stderr, &input)
            };
            return Err(AnalysisError::Unreadable(reason));
        }
        Ok(frames)
    }
}
