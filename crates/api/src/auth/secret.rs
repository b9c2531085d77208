//! The HS256 secret of the embedded default: generated once, kept in a file only its owner
//! can read, so tokens survive restarts and `cargo xtask token` signs with the same key.

use std::io::Write;
use std::path::Path;

use crate::auth::token::MIN_SECRET_BYTES;

/// Reads the secret at `path`, creating it with 48 random bytes (hex) when missing.
pub fn load_or_create(path: &Path) -> std::io::Result<Vec<u8>> {
    if let Ok(text) = std::fs::read_to_string(path) {
        let secret = text.trim().as_bytes().to_vec();
        if secret.len() < MIN_SECRET_BYTES {
            return Err(std::io::Error::other(format!(
                "{} holds fewer than {MIN_SECRET_BYTES} bytes",
                path.display()
            )));
        }
        return Ok(secret);
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut bytes = [0u8; 48];
    rand::fill(&mut bytes);
    let secret = hex::encode(bytes);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(secret.as_bytes())?;
    Ok(secret.into_bytes())
}
