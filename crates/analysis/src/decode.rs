//! Decoding with ffmpeg into downscaled YUV frames on a pipe (a YUV4MPEG2 stream: a header with
//! the size ffmpeg chose, then one marker and one raw frame after another). Owns the ffmpeg
//! command line, the frame geometry and range, and the output-size limit; frames never touch
//! the disk.

use crate::error::AnalysisError;
use crate::options::{AnalysisOptions, CancelFlag, MAX_FRAME_PIXELS};
use crate::process::BoundedChild;
use std::io::Read;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// Smallest decoded frame side: the detector's 2x2 chroma blocks need at least this.
pub const MIN_SIDE: u32 = 8;

/// Luma of black and white in limited ("video", "TV") range, the range of the decoded frames.
const LIMITED_BLACK: i32 = 16;
const LIMITED_WHITE: i32 = 235;
/// Chroma swing either side of 128 in limited range (full range swings 127.5).
const LIMITED_CHROMA_SWING: i32 = 112;

/// Full-range value of each limited-range luma sample, clamped (a table: it runs per pixel).
static FULL_LUMA: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut v = 0;
    while v < 256 {
        let range = LIMITED_WHITE - LIMITED_BLACK;
        let full = ((v - LIMITED_BLACK) * 255 + range / 2).div_euclid(range);
        table[v as usize] = if full < 0 {
            0
        } else if full > 255 {
            255
        } else {
            full as u8
        };
        v += 1;
    }
    table
};

/// Full-range value of each limited-range chroma sample, clamped.
static FULL_CHROMA: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut v = 0;
    while v < 256 {
        let swing = 2 * LIMITED_CHROMA_SWING;
        let full = 128 + ((v - 128) * 255 + swing / 2).div_euclid(swing);
        table[v as usize] = if full < 0 {
            0
        } else if full > 255 {
            255
        } else {
            full as u8
        };
        v += 1;
    }
    table
};

/// A decoded luma sample in full range (0 black, 255 white), as features and JPEG use it.
#[inline]
pub fn full_luma(sample: u8) -> u8 {
    FULL_LUMA[usize::from(sample)]
}

/// A decoded chroma sample in full range.
#[inline]
pub fn full_chroma(sample: u8) -> u8 {
    FULL_CHROMA[usize::from(sample)]
}

/// One decoded frame: planar YUV 4:2:0 in limited range (luma 16 is black, 235 white), as ffmpeg
/// wrote it; [`full_luma`] and [`full_chroma`] convert the samples that are looked at.
///
/// Why limited: ffmpeg's conversion to full range costs about a tenth of all decoding work,
/// and nearly every video is limited range already, so asking for limited range makes the
/// scaler's job a plain resize. The detector looks at ~5,000 averaged samples per frame and
/// thumbnails at one frame per shot, which a table converts for almost nothing.
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
        let luma = (width * height) as usize;
        let mut data = vec![128; frame_bytes(width, height)];
        data[..luma].fill(LIMITED_BLACK as u8);
        VideoFrame {
            width,
            height,
            data,
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

/// Most decoder threads one ffmpeg uses. Each frame thread holds its own frames in flight, so
/// memory grows with threads (8K H.264: 0.6 GiB of address space with one thread, 1.1 GiB with
/// four, 1.7 GiB with eight) while our output is a small picture; ffmpeg's own default is one
/// thread per core plus one, up to 16, which would make the memory a file needs depend on the
/// machine. Four keeps 8K within [`crate::options::DEFAULT_MAX_DECODER_MEMORY`].
pub const MAX_DECODER_THREADS: usize = 4;

/// Decoder threads for this machine: one per core, at most [`MAX_DECODER_THREADS`].
fn decoder_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(MAX_DECODER_THREADS)
}

/// The ffmpeg arguments that decode `path` to frames at most `want_width` pixels wide, up to
/// but without the output: the analysis adds `-f yuv4mpegpipe -`, the benchmark `-f null -` to
/// time decoding alone. The decoder refuses any picture over [`MAX_FRAME_PIXELS`] before it
/// allocates one (also when a stream changes size part-way), and runs at most
/// [`MAX_DECODER_THREADS`] threads.
///
/// ffmpeg picks the size itself, from the picture it decodes: the display aspect is kept
/// (`dar` counts non-square pixels; ffmpeg has already turned rotated video upright), the
/// picture is never enlarged, and both sides are even and at least [`MIN_SIDE`]. So decoding
/// needs nothing from the probe and starts while ffprobe still runs; the frame size is read
/// from the stream's header.
pub fn ffmpeg_args(path: &Path, want_width: u32) -> Vec<std::ffi::OsString> {
    let filter = format!(
        "scale=w='max({MIN_SIDE},trunc(min({want_width},iw*sar)/2)*2)'\
         :h='max({MIN_SIDE},trunc(ow/dar/2+0.5)*2)':flags=area:out_range=limited,format=yuv420p"
    );
    let mut args: Vec<std::ffi::OsString> = ["-nostdin", "-hide_banner", "-loglevel", "error"]
        .iter()
        .map(Into::into)
        .collect();
    // Decoder options go before the input they apply to.
    for arg in [
        "-threads".to_owned(),
        decoder_threads().to_string(),
        "-max_pixels".to_owned(),
        MAX_FRAME_PIXELS.to_string(),
        "-i".to_owned(),
    ] {
        args.push(arg.into());
    }
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

/// Longest YUV4MPEG2 stream header accepted: ffmpeg writes about 60 bytes.
const MAX_HEADER_BYTES: usize = 1024;

/// The marker in front of every YUV4MPEG2 frame, as ffmpeg writes it (no frame parameters).
const FRAME_MARKER: &[u8] = b"FRAME\n";

/// Bytes asked for ffmpeg's stdout pipe: Linux's default 64 KiB holds less than one 320x180
/// frame, so ffmpeg and the analysis would take turns at every frame; 1 MiB (the unprivileged
/// maximum) lets ffmpeg decode about a dozen frames ahead and both sides wake up far less often.
const PIPE_BYTES: i32 = 1 << 20;

/// Enlarges the pipe's buffer to [`PIPE_BYTES`]; on failure (an older kernel, a lower limit)
/// the pipe keeps its size, which is only slower.
#[cfg(target_os = "linux")]
fn widen_pipe(pipe: &std::process::ChildStdout) {
    use std::os::fd::AsRawFd;
    /// `F_SETPIPE_SZ` from `<fcntl.h>` (Linux only, stable since 2.6.35).
    const F_SETPIPE_SZ: i32 = 1031;
    unsafe extern "C" {
        fn fcntl(fd: i32, cmd: i32, ...) -> i32;
    }
    // SAFETY: `fcntl(F_SETPIPE_SZ)` takes an int argument and only resizes the kernel buffer of
    // a descriptor we own and keep open for the call; it reads or writes none of our memory.
    unsafe {
        fcntl(pipe.as_raw_fd(), F_SETPIPE_SZ, PIPE_BYTES);
    }
}

#[cfg(not(target_os = "linux"))]
fn widen_pipe(_pipe: &std::process::ChildStdout) {}

/// ffmpeg's output was not the stream we asked for: a bug or a broken ffmpeg, not the file.
fn unexpected_stream(why: &str) -> AnalysisError {
    AnalysisError::Unreadable(format!(
        "ffmpeg's decoded stream was not understood ({why}); check the ffmpeg installation"
    ))
}

/// How often ffmpeg prints a progress report while decoding, in seconds: an hour, so in practice
/// one report at the start and the final one, whose `time=` says how far decoding got (see
/// [`crate::completeness`]). `-stats` makes ffmpeg print them despite `-loglevel error`.
const REPORT_PERIOD_SECS: &str = "3600";

/// How a decoding run ended, once ffmpeg has exited.
#[derive(Debug)]
pub struct DecodeEnd {
    /// Frames decoded.
    pub frames: u64,
    /// Everything ffmpeg printed (bounded): its complaints, if any, and its progress reports,
    /// the last of which says how far decoding got.
    pub stderr: String,
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
    /// Starts ffmpeg on `path`, decoding to frames at most `want_width` wide. The size is known
    /// once [`FrameDecoder::read_header`] has read it.
    pub fn start(
        path: &Path,
        want_width: u32,
        options: &AnalysisOptions,
        deadline: Instant,
        cancel: &CancelFlag,
    ) -> Result<Self, AnalysisError> {
        let mut command = Command::new(&options.ffmpeg);
        command
            .args(["-stats", "-stats_period", REPORT_PERIOD_SECS])
            .args(ffmpeg_args(path, want_width))
            .args(["-f", "yuv4mpegpipe", "-"]);
        let mut child = BoundedChild::spawn(
            command,
            deadline,
            options.time_limit,
            options.max_decoder_memory,
            cancel,
        )?;
        widen_pipe(child.stdout());
        Ok(FrameDecoder {
            child,
            width: 0,
            height: 0,
            bytes_read: 0,
            max_bytes: options.max_decoded_bytes,
            frames_read: 0,
            cancel: cancel.clone(),
            input: path.to_string_lossy().into_owned(),
        })
    }

    /// Reads the stream header (waiting for ffmpeg to decode the first frame) and returns the
    /// frame size; `Ok(None)` when ffmpeg ends without one (its complaint comes from
    /// [`FrameDecoder::finish`]).
    pub fn read_header(&mut self) -> Result<Option<(u32, u32)>, AnalysisError> {
        let mut header = Vec::new();
        let mut byte = [0u8; 1];
        loop {
            if !self.fill(&mut byte)? {
                return Ok(None);
            }
            if byte[0] == b'\n' {
                break;
            }
            header.push(byte[0]);
            if header.len() > MAX_HEADER_BYTES {
                return Err(unexpected_stream("its header is too long"));
            }
        }
        let header = String::from_utf8_lossy(&header);
        let mut fields = header.split(' ');
        if fields.next() != Some("YUV4MPEG2") {
            return Err(unexpected_stream("it is not YUV4MPEG2"));
        }
        let (mut width, mut height) = (0, 0);
        for field in fields {
            let (key, value) = field.split_at(field.len().min(1));
            match key {
                "W" => width = value.parse().unwrap_or(0),
                "H" => height = value.parse().unwrap_or(0),
                "C" if !value.starts_with("420") => {
                    return Err(unexpected_stream("its frames are not 4:2:0"));
                }
                _ => {}
            }
        }
        if width < MIN_SIDE || height < MIN_SIDE || width % 2 == 1 || height % 2 == 1 {
            return Err(unexpected_stream("its frame size is not even"));
        }
        (self.width, self.height) = (width, height);
        Ok(Some((width, height)))
    }

    /// The decoded frame size (zero before the header was read).
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
        let mut marker = [0u8; FRAME_MARKER.len()];
        if !self.fill(&mut marker)? {
            return Ok(false);
        }
        if marker != FRAME_MARKER {
            return Err(unexpected_stream("a frame lacks its marker"));
        }
        let complete = self.fill(&mut frame.data)?;
        self.bytes_read += want;
        if !complete {
            // End of stream; a torn last frame (ffmpeg killed mid-write) is dropped.
            return Ok(false);
        }
        self.frames_read += 1;
        Ok(true)
    }

    /// Fills `buffer` from ffmpeg's output; `Ok(false)` when the stream ends first.
    fn fill(&mut self, buffer: &mut [u8]) -> Result<bool, AnalysisError> {
        let mut filled = 0;
        while filled < buffer.len() {
            match self.child.stdout().read(&mut buffer[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error.into()),
            }
        }
        if let Some(error) = self.child.stop_error() {
            return Err(error);
        }
        Ok(filled == buffer.len())
    }

    /// Waits for ffmpeg to exit after the last frame. A decoder that failed before producing any
    /// frame makes the file unreadable; one that failed or stopped late is judged by the caller,
    /// which knows how long the video should be.
    pub fn finish(self) -> Result<DecodeEnd, AnalysisError> {
        let frames = self.frames_read;
        let input = self.input;
        let (status, stderr) = self.child.wait()?;
        if frames == 0 {
            return Err(if status.success() {
                AnalysisError::Unreadable("it contains no decodable frames".to_owned())
            } else {
                AnalysisError::refused(stderr, &input)
            });
        }
        Ok(DecodeEnd { frames, stderr })
    }
}
