//! Exports of a finished [`AnalysisResult`] into files people use elsewhere: JSON (the result
//! as the server serves it), CSV (a spreadsheet of shots), WebVTT chapters (for a `<track>` or
//! a player) and a CMX 3600 EDL (for a video editor). Pure text generation; the download glue
//! is in `ui`.

pub mod edl;
pub mod table;
pub mod timecode;
pub mod vtt;

use vidpush_protocol::AnalysisResult;

/// A fetched result: decoded for the exporters, and as text for the JSON export.
#[derive(Clone, Debug, PartialEq)]
pub struct ResultFile {
    /// The result.
    pub result: AnalysisResult,
    /// Its JSON as the server served it, indented.
    pub json: String,
}

/// One export format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// The full result as the server served it, indented.
    Json,
    /// One row per shot.
    Csv,
    /// WebVTT chapters, one cue per shot.
    WebVtt,
    /// CMX 3600 edit decision list, one cut event per shot.
    Edl,
}

impl Format {
    /// Every format, in the order the buttons show them.
    pub const ALL: [Format; 4] = [Format::Json, Format::Csv, Format::WebVtt, Format::Edl];

    /// Button label.
    pub fn label(self) -> &'static str {
        match self {
            Format::Json => "JSON",
            Format::Csv => "CSV",
            Format::WebVtt => "WebVTT",
            Format::Edl => "EDL",
        }
    }

    /// `data-testid` of the button.
    pub fn test_id(self) -> &'static str {
        match self {
            Format::Json => "export-json",
            Format::Csv => "export-csv",
            Format::WebVtt => "export-vtt",
            Format::Edl => "export-edl",
        }
    }

    /// MIME type of the downloaded file.
    pub fn mime(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "text/csv",
            Format::WebVtt => "text/vtt",
            Format::Edl => "text/plain",
        }
    }

    /// The download's file name: the video's name without extension plus the format's.
    pub fn file_name(self, video_name: &str) -> String {
        let stem = video_name
            .rsplit_once('.')
            .map_or(video_name, |(stem, _)| stem);
        let stem = if stem.is_empty() { "video" } else { stem };
        let ext = match self {
            Format::Json => "shots.json",
            Format::Csv => "shots.csv",
            Format::WebVtt => "chapters.vtt",
            Format::Edl => "edl",
        };
        format!("{stem}.{ext}")
    }

    /// The file's text.
    pub fn render(self, file: &ResultFile, video_name: &str) -> String {
        match self {
            Format::Json => file.json.clone(),
            Format::Csv => table::csv(&file.result),
            Format::WebVtt => vtt::chapters(&file.result),
            Format::Edl => edl::cmx3600(&file.result, video_name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_replace_the_extension() {
        assert_eq!(
            Format::Csv.file_name("beach day.mp4"),
            "beach day.shots.csv"
        );
        assert_eq!(Format::Edl.file_name("noext"), "noext.edl");
        assert_eq!(Format::WebVtt.file_name(".mp4"), "video.chapters.vtt");
    }
}

/// A two-shot result (frames 0–74 and 75–249 at 25 fps) for the exporters' tests.
#[cfg(test)]
pub(crate) mod tests_support {
    use crate::fixtures::{metadata, shot, summary};
    use vidpush_protocol::{AnalysisResult, Analyzer};

    pub fn result() -> AnalysisResult {
        AnalysisResult {
            video_metadata: metadata(),
            shots: vec![shot(0, 0, 75), shot(1, 75, 250)],
            technical_cues: Vec::new(),
            summary: summary(2),
            analyzer: Analyzer {
                name: "vidpush-analysis".into(),
                version: "0.1.0".into(),
                analysis_width: 320,
            },
        }
    }
}
