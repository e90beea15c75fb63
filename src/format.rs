//! How numbers read on screen: sizes, rates, clock times, durations. Pure and tested natively.

/// `0:12`, `1:02:03`: a position in a video, from milliseconds.
pub fn clock(millis: u64) -> String {
    let s = millis / 1000;
    let (h, m, s) = (s / 3600, (s / 60) % 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// [`clock`] with tenths when the position falls between whole seconds (`0:00.4`, `0:03`), so
/// shots shorter than a second do not all read `0:00`.
pub fn clock_tenths(millis: u64) -> String {
    match (millis % 1000) / 100 {
        0 => clock(millis),
        tenths => format!("{}.{tenths}", clock(millis)),
    }
}

/// A message from the server as a sentence on screen: capital first letter, final full stop
/// (`cancelled by request` → `Cancelled by request.`).
pub fn sentence(message: &str) -> String {
    let message = message.trim();
    if message.is_empty() {
        return String::new();
    }
    let first = message.chars().next().map_or(0, char::len_utf8);
    let mut out = upper_case(&message[..first]);
    out.push_str(&message[first..]);
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// `text` in upper case, by Unicode's rules. In the browser, JavaScript's `toUpperCase` does
/// it: its case tables are already in the browser, while Rust's would add about 10 KiB to the
/// wasm file.
#[cfg(target_arch = "wasm32")]
fn upper_case(text: &str) -> String {
    js_sys::JsString::from(text).to_upper_case().into()
}

#[cfg(not(target_arch = "wasm32"))]
fn upper_case(text: &str) -> String {
    text.to_uppercase()
}

/// `text` in lower case, by Unicode's rules (JavaScript's `toLowerCase` in the browser, for the
/// same reason as [`upper_case`]).
#[cfg(target_arch = "wasm32")]
pub fn lower_case(text: &str) -> String {
    js_sys::JsString::from(text).to_lower_case().into()
}

#[cfg(not(target_arch = "wasm32"))]
pub fn lower_case(text: &str) -> String {
    text.to_lowercase()
}

/// A container as people name it, from ffprobe's list of demuxer names (`mov,mp4,m4a,…` →
/// `MP4 / MOV`: ffprobe reads both with one demuxer and cannot tell them apart).
pub fn container(ffprobe_names: &str) -> String {
    let names: Vec<&str> = ffprobe_names.split(',').map(str::trim).collect();
    let has = |name: &str| names.contains(&name);
    if has("mp4") && has("mov") {
        "MP4 / MOV".into()
    } else if has("webm") && has("matroska") {
        "WebM / Matroska".into()
    } else {
        names
            .first()
            .copied()
            .unwrap_or_default()
            .to_ascii_uppercase()
    }
}

/// `1 shot`, `3 shots`: a count with its noun, singular or plural.
pub fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// `512 bytes`, `1.5 MB`, `4.3 GB`: the server's way of writing sizes, so the page and the
/// server's messages say the same.
pub fn bytes(n: u64) -> String {
    vidpush_protocol::sizes::human_bytes(n)
}

/// `3 s`, `2 min 5 s`, `1 h 4 min`: a remaining time, rounded up to whole seconds.
pub fn remaining(seconds: f64) -> String {
    let s = seconds.max(0.0).ceil() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s / 60) % 60),
    }
}

/// `42%` from a fraction in `[0, 1]`.
pub fn percent(fraction: f64) -> String {
    format!("{}%", fixed((fraction.clamp(0.0, 1.0) * 100.0).floor(), 0))
}

/// `3.125%`: `part` of `whole` as a CSS length with three decimals, fine enough that a shot's
/// segment on the ruler lands on the right pixel of even a very long video.
pub fn css_percent(part: u64, whole: u64) -> String {
    format!("{}%", fixed(part as f64 * 100.0 / whole as f64, 3))
}

/// `25 fps`, `29.970 fps`: a frame rate with three decimals, unless it is a whole number.
pub fn frame_rate(fps: f64) -> String {
    let rate = fixed(fps, 3);
    format!("{} fps", rate.strip_suffix(".000").unwrap_or(&rate))
}

/// `2.4 s`: a duration in seconds with tenths, from milliseconds.
pub fn seconds(millis: u64) -> String {
    format!("{} s", fixed(millis as f64 / 1000.0, 1))
}

/// The most decimals [`fixed`] writes: the fraction is kept in a `u64`, which holds 19 digits.
pub const MAX_DECIMALS: u32 = 19;

/// `value` with exactly `decimals` digits after the point (`29.970`, `0.40`, `-3`), the same
/// text as `format!("{value:.decimals$}")` but with integer arithmetic only: core's float
/// formatting (Grisu and Dragon with their tables) would add about 15 KB to the wasm file.
///
/// The exact binary value is rounded, ties to even, as core does: `0.125` → `0.12`, while
/// `1.005` (really 1.00499999…) → `1.00`. Unlike core, a value that rounds to zero has no sign
/// (`-0.04` → `0.0`). NaN and the infinities read `NaN`, `inf` and `-inf`.
///
/// # Panics
/// When `decimals` is above [`MAX_DECIMALS`].
pub fn fixed(value: f64, decimals: u32) -> String {
    assert!(
        decimals <= MAX_DECIMALS,
        "fixed() writes at most 19 decimals"
    );
    if value.is_nan() {
        return "NaN".to_owned();
    }
    let sign = if value.is_sign_negative() { "-" } else { "" };
    if value.is_infinite() {
        return format!("{sign}inf");
    }
    // value = ±mantissa · 2^exponent, exactly.
    let bits = value.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let stored = bits & ((1 << 52) - 1);
    let (mantissa, exponent) = if biased == 0 {
        (stored, -1074)
    } else {
        (stored | 1 << 52, biased - 1075)
    };
    let (whole, fraction) = if exponent >= 0 {
        // Above 2^52 every f64 is a whole number: nothing to round.
        (shifted_digits(mantissa, exponent as u32), 0)
    } else {
        rounded(mantissa, exponent.unsigned_abs(), decimals)
    };
    let sign = if whole == "0" && fraction == 0 {
        ""
    } else {
        sign
    };
    if decimals == 0 {
        format!("{sign}{whole}")
    } else {
        let width = decimals as usize;
        format!("{sign}{whole}.{fraction:0width$}")
    }
}

/// The whole part (as digits) and the `decimals`-digit fraction of `mantissa / 2^shift`,
/// rounded to the nearest last digit, ties to even.
fn rounded(mantissa: u64, shift: u32, decimals: u32) -> (String, u64) {
    let (mut whole, below_point) = if shift < 64 {
        (mantissa >> shift, mantissa & ((1 << shift) - 1))
    } else {
        (0, mantissa)
    };
    let scale = 10u64.pow(decimals);
    // Below 2^53 · 10^19 < 2^117: no overflow.
    let scaled = u128::from(below_point) * u128::from(scale);
    let mut fraction = if shift < 128 {
        (scaled >> shift) as u64
    } else {
        0
    };
    let round_up = shift < 128 && {
        let rest = scaled & ((1 << shift) - 1);
        let half = 1 << (shift - 1);
        let last_digit = if decimals == 0 { whole } else { fraction };
        rest > half || (rest == half && last_digit % 2 == 1)
    };
    if round_up {
        fraction += 1;
        if fraction == scale {
            fraction = 0;
            whole += 1;
        }
    }
    (whole.to_string(), fraction)
}

/// The decimal digits of `mantissa · 2^shift`, which passes `u128` for large values (an f64
/// reaches 1.8 · 10^308).
fn shifted_digits(mantissa: u64, shift: u32) -> String {
    if shift < mantissa.leading_zeros() {
        return (mantissa << shift).to_string();
    }
    /// One little-endian limb holds nine decimal digits; a limb times 2^32 still fits a u64.
    const LIMB: u64 = 1_000_000_000;
    let mut limbs = vec![
        mantissa % LIMB,
        (mantissa / LIMB) % LIMB,
        mantissa / (LIMB * LIMB),
    ];
    let mut left = shift;
    while left > 0 {
        let step = left.min(32);
        let mut carry = 0;
        for limb in &mut limbs {
            let v = (*limb << step) + carry;
            *limb = v % LIMB;
            carry = v / LIMB;
        }
        while carry > 0 {
            limbs.push(carry % LIMB);
            carry /= LIMB;
        }
        left -= step;
    }
    while limbs.len() > 1 && limbs.last() == Some(&0) {
        limbs.pop();
    }
    let mut digits = limbs.pop().unwrap_or_default().to_string();
    for limb in limbs.iter().rev() {
        digits.push_str(&format!("{limb:09}"));
    }
    digits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_shows_minutes_and_hours() {
        assert_eq!(clock(0), "0:00");
        assert_eq!(clock(12_400), "0:12");
        assert_eq!(clock(3_723_000), "1:02:03");
    }

    #[test]
    fn containers_are_named_as_people_know_them() {
        assert_eq!(container("mov,mp4,m4a,3gp,3g2,mj2"), "MP4 / MOV");
        assert_eq!(container("matroska,webm"), "WebM / Matroska");
        assert_eq!(container("avi"), "AVI");
    }

    #[test]
    fn counts_agree_with_their_noun() {
        assert_eq!(count(1, "cut"), "1 cut");
        assert_eq!(count(0, "cut"), "0 cuts");
        assert_eq!(count(40, "shot"), "40 shots");
    }

    #[test]
    fn server_reasons_become_sentences() {
        assert_eq!(sentence("cancelled by request"), "Cancelled by request.");
        assert_eq!(sentence(" Already fine. "), "Already fine.");
        assert_eq!(sentence(""), "");
    }

    #[test]
    fn clock_tenths_tells_sub_second_shots_apart() {
        assert_eq!(clock_tenths(400), "0:00.4");
        assert_eq!(clock_tenths(3_050), "0:03");
        assert_eq!(clock_tenths(62_980), "1:02.9");
    }

    #[test]
    fn bytes_use_three_significant_digits() {
        assert_eq!(bytes(512), "512 bytes");
        assert_eq!(bytes(1_500_000), "1.5 MB");
        assert_eq!(bytes(25_300_000), "25.3 MB");
        assert_eq!(bytes(4_294_967_296), "4.3 GB", "as the server writes it");
    }

    #[test]
    fn remaining_and_percent_round_sensibly() {
        assert_eq!(remaining(2.1), "3 s");
        assert_eq!(remaining(125.0), "2 min 5 s");
        assert_eq!(remaining(3840.0), "1 h 4 min");
        assert_eq!(percent(0.999), "99%");
        assert_eq!(percent(1.5), "100%");
    }

    #[test]
    fn percent_of_total_and_seconds_for_the_shot_strip() {
        assert_eq!(css_percent(1, 8), "12.500%");
        assert_eq!(css_percent(1, 3), "33.333%");
        assert_eq!(css_percent(3_000, 3_000), "100.000%");
        assert_eq!(seconds(0), "0.0 s");
        assert_eq!(seconds(12_400), "12.4 s");
        assert_eq!(
            seconds(2_450),
            "2.5 s",
            "2.45 is stored as 2.4500000000000002"
        );
        assert_eq!(
            seconds(1_250),
            "1.2 s",
            "an exact tie rounds to even, as core does"
        );
    }

    #[test]
    fn frame_rates_drop_a_zero_fraction() {
        assert_eq!(frame_rate(25.0), "25 fps");
        assert_eq!(frame_rate(29.97002997), "29.970 fps");
        assert_eq!(frame_rate(23.976023976), "23.976 fps");
        assert_eq!(frame_rate(59.9999), "60 fps");
    }

    #[test]
    fn fixed_rounds_the_exact_value_ties_to_even() {
        assert_eq!(fixed(29.97002997, 3), "29.970");
        assert_eq!(fixed(0.5, 0), "0");
        assert_eq!(fixed(1.5, 0), "2");
        assert_eq!(fixed(2.5, 0), "2");
        assert_eq!(fixed(-2.5, 0), "-2");
        assert_eq!(fixed(0.125, 2), "0.12");
        assert_eq!(fixed(0.375, 2), "0.38");
        assert_eq!(fixed(1.005, 2), "1.00", "1.005 is stored as 1.00499999…");
        assert_eq!(fixed(0.15, 1), "0.1", "0.15 is stored as 0.1499999…");
        assert_eq!(fixed(9.9996, 3), "10.000");
        assert_eq!(fixed(99.96, 1), "100.0");
    }

    #[test]
    fn fixed_handles_zero_signs_and_non_numbers() {
        assert_eq!(fixed(0.0, 0), "0");
        assert_eq!(fixed(0.0, 3), "0.000");
        assert_eq!(fixed(-0.0, 1), "0.0");
        assert_eq!(fixed(-0.04, 1), "0.0");
        assert_eq!(fixed(-0.05000001, 1), "-0.1");
        assert_eq!(fixed(-1234.5678, 2), "-1234.57");
        assert_eq!(fixed(5e-324, 3), "0.000");
        assert_eq!(fixed(f64::NAN, 2), "NaN");
        assert_eq!(fixed(f64::INFINITY, 1), "inf");
        assert_eq!(fixed(f64::NEG_INFINITY, 0), "-inf");
    }

    #[test]
    fn fixed_writes_large_values_in_full() {
        assert_eq!(fixed(4_294_967_296.0, 1), "4294967296.0");
        assert_eq!(fixed(9_007_199_254_740_993.0, 0), "9007199254740992");
        assert_eq!(fixed(1e21, 2), "1000000000000000000000.00");
        assert_eq!(fixed(-1e300, 0), format!("{:.0}", -1e300));
        assert_eq!(fixed(f64::MAX, 1), format!("{:.1}", f64::MAX));
    }

    /// Core's text, except that a value rounding to zero has no sign.
    fn core_fixed(value: f64, decimals: u32) -> String {
        let text = format!("{value:.0$}", decimals as usize);
        match text.strip_prefix('-') {
            Some(rest) if rest.bytes().all(|b| b == b'0' || b == b'.') => rest.to_owned(),
            _ => text,
        }
    }

    #[test]
    fn fixed_writes_what_core_formatting_writes() {
        let mut values: Vec<f64> = (-4_000..4_000)
            .flat_map(|i| {
                [
                    f64::from(i) / 8.0,
                    f64::from(i) / 1000.0,
                    f64::from(i) / 3.0,
                ]
            })
            .collect();
        // A fixed xorshift sequence of raw f64 bits: every exponent, both signs.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            values.push(f64::from_bits(state));
            // Exponents from 2^-60 to 2^80, where the digits are worth reading.
            let exponent = 1023 - 60 + (state >> 53) % 140;
            values.push(f64::from_bits(
                (state & 0x800f_ffff_ffff_ffff) | exponent << 52,
            ));
        }
        for value in values.into_iter().filter(|v| v.is_finite()) {
            for decimals in [0, 1, 2, 3, 4, 7, MAX_DECIMALS] {
                assert_eq!(
                    fixed(value, decimals),
                    core_fixed(value, decimals),
                    "{value:e} with {decimals} decimals"
                );
            }
        }
    }

    #[test]
    fn a_widened_f32_reads_as_core_writes_the_f32() {
        let shares = [0.6_f32, 0.25, 0.333_333_34, 0.975, 0.1, 0.4, 0.005, 0.0125];
        for share in shares {
            let percent = share * 100.0;
            assert_eq!(fixed(f64::from(percent), 0), format!("{percent:.0}"));
            assert_eq!(fixed(f64::from(share), 1), format!("{share:.1}"));
            assert_eq!(fixed(f64::from(share), 3), format!("{share:.3}"));
        }
    }
}
