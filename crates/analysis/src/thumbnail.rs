//! JPEG thumbnails of decoded frames. Owns the conversion from our planar YUV frames to the
//! interleaved YCbCr a JPEG encoder takes; it never chooses which frame to show.

use crate::decode::{VideoFrame, full_chroma, full_luma};
use jpeg_encoder::{ColorType, Encoder};

/// Encodes `frame` as a baseline JPEG at `quality` (1 to 100).
pub fn encode_jpeg(frame: &VideoFrame, quality: u8) -> Vec<u8> {
    let (width, height) = (frame.width as usize, frame.height as usize);
    let luma = frame.luma();
    let (u_plane, v_plane) = frame.chroma();
    // JFIF stores full-range YCbCr: expand our limited-range samples and interleave,
    // repeating each chroma sample over its 2x2 block.
    let mut ycbcr = Vec::with_capacity(width * height * 3);
    for y in 0..height {
        for x in 0..width {
            let chroma = (y / 2) * (width / 2) + x / 2;
            ycbcr.extend_from_slice(&[
                full_luma(luma[y * width + x]),
                full_chroma(u_plane[chroma]),
                full_chroma(v_plane[chroma]),
            ]);
        }
    }
    let mut jpeg = Vec::new();
    let encoder = Encoder::new(&mut jpeg, quality.clamp(1, 100));
    // Encoding into a Vec cannot fail for I/O, and the size is within JPEG's 65535 limit
    // because frames are downscaled to thumbnail width before they get here.
    match encoder.encode(
        &ycbcr,
        frame.width as u16,
        frame.height as u16,
        ColorType::Ycbcr,
    ) {
        Ok(()) => jpeg,
        Err(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_a_valid_jpeg() {
        let frame = VideoFrame::new(32, 18);
        let jpeg = encode_jpeg(&frame, 80);
        assert_eq!(&jpeg[..2], &[0xFF, 0xD8]);
        assert_eq!(&jpeg[jpeg.len() - 2..], &[0xFF, 0xD9]);
    }
}
