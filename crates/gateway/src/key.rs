//! The management key's file: created once with owner-only permissions, then reused, so backend
//! tools started later can read the same key.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use rand::Rng;

/// Name of the key file inside the data directory.
pub const MANAGEMENT_KEY_FILE: &str = "management.key";

/// Random bytes in a new key (256 bits, printed as 64 hex characters).
const KEY_BYTES: usize = 32;

/// Reads `<data_dir>/management.key`, or creates it (mode 0600) with a new random key.
pub fn load_or_create_management_key(data_dir: &Path) -> io::Result<String> {
    let path = data_dir.join(MANAGEMENT_KEY_FILE);
    match fs::read_to_string(&path) {
        Ok(key) if !key.trim().is_empty() => return Ok(key.trim().to_owned()),
        Ok(_) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => return Err(error),
    }
    fs::create_dir_all(data_dir)?;
    let mut bytes = [0u8; KEY_BYTES];
    rand::rng().fill(&mut bytes[..]);
    let key: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&path)?;
    file.write_all(key.as_bytes())?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_created_private_and_then_reused() {
        let dir = tempfile::tempdir().expect("a temp dir can be created");
        let key = load_or_create_management_key(dir.path()).expect("the key file is writable");
        assert_eq!(key.len(), 64);
        assert_eq!(
            load_or_create_management_key(dir.path()).expect("the key file is readable"),
            key
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let meta = fs::metadata(dir.path().join(MANAGEMENT_KEY_FILE)).expect("the file exists");
            assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        }
    }
}
