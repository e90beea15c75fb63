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

/// `512 B`, `1.5 MB`, `4.29 GB` (decimal units, as file managers show them).
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if value >= 100.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else if value >= 10.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.2} {}", UNITS[unit])
    }
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
    format!("{:.0}%", (fraction.clamp(0.0, 1.0) * 100.0).floor())
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
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1_500_000), "1.50 MB");
        assert_eq!(bytes(25_300_000), "25.3 MB");
        assert_eq!(bytes(4_294_967_296), "4.29 GB");
    }

    #[test]
    fn remaining_and_percent_round_sensibly() {
        assert_eq!(remaining(2.1), "3 s");
        assert_eq!(remaining(125.0), "2 min 5 s");
        assert_eq!(remaining(3840.0), "1 h 4 min");
        assert_eq!(percent(0.999), "99%");
        assert_eq!(percent(1.5), "100%");
    }
}
