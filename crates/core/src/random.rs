//! Secrets and identifiers from the operating system's random source.

use crate::error::{DomainError, DomainResult};

pub fn bytes<const N: usize>() -> DomainResult<[u8; N]> {
    let mut buf = [0u8; N];
    getrandom::getrandom(&mut buf)
        .map_err(|e| DomainError::store(format!("no randomness: {e}")))?;
    Ok(buf)
}

/// A 256-bit secret as lowercase hex (session ids, CSRF tokens).
pub fn secret_hex() -> DomainResult<String> {
    Ok(hex::encode(bytes::<32>()?))
}

/// A password people can type: groups of letters and digits without look-alikes.
pub fn readable_password() -> DomainResult<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY34679";
    let raw = bytes::<20>()?;
    let mut out = String::with_capacity(23);
    for (i, b) in raw.iter().enumerate() {
        if i > 0 && i % 5 == 0 {
            out.push('-');
        }
        let idx = usize::from(*b) % ALPHABET.len();
        out.push(char::from(*ALPHABET.get(idx).unwrap_or(&b'x')));
    }
    Ok(out)
}

/// SHA-256 in lowercase hex.
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}
