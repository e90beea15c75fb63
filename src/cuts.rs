//! The person's choice of fewer or more cuts: sent with each new job as its hard-cut
//! sensitivity (`POST /api/jobs`), and remembered in `localStorage` for the next visit.

use vidpush_protocol::limits::{MAX_CUT_SENSITIVITY, MIN_CUT_SENSITIVITY};

/// `localStorage` key of the choice.
pub const STORAGE_KEY: &str = "vidpush.cuts";

/// How readily the analysis reports hard cuts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CutChoice {
    /// The lowest sensitivity: only clear changes of picture are cuts.
    Fewer,
    /// The server's default, the setting the detector is measured at.
    #[default]
    Usual,
    /// The highest sensitivity: cuts between look-alike shots too.
    More,
}

impl CutChoice {
    /// Every choice, in the order the page offers them.
    pub const ALL: [CutChoice; 3] = [CutChoice::Fewer, CutChoice::Usual, CutChoice::More];

    /// The sensitivity a job is created with; `None` leaves it to the server's default.
    pub fn sensitivity(self) -> Option<f64> {
        match self {
            CutChoice::Fewer => Some(MIN_CUT_SENSITIVITY),
            CutChoice::Usual => None,
            CutChoice::More => Some(MAX_CUT_SENSITIVITY),
        }
    }

    /// The stored (and the radio button's) value.
    pub fn as_str(self) -> &'static str {
        match self {
            CutChoice::Fewer => "fewer",
            CutChoice::Usual => "usual",
            CutChoice::More => "more",
        }
    }

    /// The choice remembered as `stored`; anything else (nothing stored, or a value from
    /// another version) is the usual setting.
    pub fn from_stored(stored: Option<&str>) -> Self {
        CutChoice::ALL
            .into_iter()
            .find(|choice| Some(choice.as_str()) == stored)
            .unwrap_or_default()
    }

    /// The button's words.
    pub fn label(self) -> &'static str {
        match self {
            CutChoice::Fewer => "Fewer cuts",
            CutChoice::Usual => "Usual",
            CutChoice::More => "More cuts",
        }
    }

    /// What the choice trades, in a sentence.
    pub fn explanation(self) -> &'static str {
        match self {
            CutChoice::Fewer => {
                "Fewer cuts: only clear changes of picture count, so fast motion and light \
                 changes never pass for cuts, but a cut between look-alike shots may be missed."
            }
            CutChoice::Usual => {
                "Usual: the balance the detector was measured at. Flashes, dissolves and fades \
                 are judged the same whatever you choose."
            }
            CutChoice::More => {
                "More cuts: also finds cuts between look-alike shots, at the price of a few \
                 false cuts on fast motion and objects passing close to the camera."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fewer_and_more_send_the_ends_of_the_range_and_usual_sends_nothing() {
        assert_eq!(CutChoice::Fewer.sensitivity(), Some(0.5));
        assert_eq!(CutChoice::Usual.sensitivity(), None);
        assert_eq!(CutChoice::More.sensitivity(), Some(2.0));
    }

    #[test]
    fn a_stored_choice_reads_back_and_anything_else_is_usual() {
        for choice in CutChoice::ALL {
            assert_eq!(CutChoice::from_stored(Some(choice.as_str())), choice);
        }
        assert_eq!(CutChoice::from_stored(None), CutChoice::Usual);
        assert_eq!(CutChoice::from_stored(Some("lots")), CutChoice::Usual);
    }
}
