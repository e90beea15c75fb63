//! New ids for uploads, jobs and whatever else the server names.

/// A fresh random id: 128 bits as 26 lower-case base-32 characters, URL- and file-safe.
pub fn new_id() -> String {
    const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
    let mut value: u128 = rand::random();
    (0..26)
        .map(|_| {
            let c = ALPHABET[(value & 31) as usize] as char;
            value >>= 5;
            c
        })
        .collect()
}
