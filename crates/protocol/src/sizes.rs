//! Sizes as people read them, written one way on the page and in the server's messages: whole
//! bytes below a kilobyte, else one decimal of decimal units (`4.3 GB`, as file managers
//! count). Integer arithmetic only, so the page's wasm carries no float formatting.

/// The units above bytes, each 1000 times the one before.
const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];

/// `999 bytes`, `1.5 KB`, `4.3 GB`, `10.0 TB`.
pub fn human_bytes(bytes: u64) -> String {
    if bytes < 1000 {
        return format!("{bytes} bytes");
    }
    let mut unit = 0;
    let mut scale: u128 = 1000;
    let bytes = u128::from(bytes);
    loop {
        // Tenths of the unit, rounded half up.
        let tenths = (bytes * 10 + scale / 2) / scale;
        // 999.96 KB rounds to 1000.0 KB: say 1.0 MB instead.
        if tenths < 10_000 || unit == UNITS.len() - 1 {
            return format!("{}.{} {}", tenths / 10, tenths % 10, UNITS[unit]);
        }
        unit += 1;
        scale *= 1000;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_a_person_wrote_them() {
        assert_eq!(human_bytes(0), "0 bytes");
        assert_eq!(human_bytes(999), "999 bytes");
        assert_eq!(human_bytes(1_000), "1.0 KB");
        assert_eq!(human_bytes(1_500_000), "1.5 MB");
        assert_eq!(human_bytes(25_349_999), "25.3 MB");
        assert_eq!(human_bytes(4 * 1024 * 1024 * 1024), "4.3 GB");
        assert_eq!(human_bytes(999_960), "1.0 MB");
        assert_eq!(human_bytes(10_000_000_000_000), "10.0 TB");
        assert_eq!(human_bytes(u64::MAX), "18446744.1 TB");
    }
}
