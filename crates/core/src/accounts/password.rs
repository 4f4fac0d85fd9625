//! Password hashing (Argon2id, PHC strings so parameters can be raised later) and policy.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::{DomainError, DomainResult};
use crate::text::Text;

/// OWASP's Argon2id minimum: 19 MiB, 2 passes, 1 lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Argon2Params {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for Argon2Params {
    fn default() -> Self {
        Argon2Params {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

impl Argon2Params {
    fn hasher(&self) -> DomainResult<Argon2<'static>> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|e| DomainError::invalid("argon2", Text::same(e.to_string())))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

pub fn hash_password(password: &str, params: &Argon2Params) -> DomainResult<String> {
    let salt = SaltString::encode_b64(&crate::random::bytes::<16>()?)
        .map_err(|e| DomainError::store(format!("salt: {e}")))?;
    params
        .hasher()?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| DomainError::store(format!("hashing: {e}")))
}

/// Verification reads the parameters from the stored PHC string.
pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// At least 12 characters, not the user name, not one repeated character.
pub fn check_password_policy(password: &str, user_name: &str) -> DomainResult<()> {
    let count = password.chars().count();
    if count < 12 {
        return Err(DomainError::invalid(
            "password",
            Text::new(
                "密碼至少需要 12 個字元；用一句好記的短句最方便",
                "a password needs at least 12 characters; a short sentence is easy to remember",
            ),
        ));
    }
    if count > 256 {
        return Err(DomainError::invalid(
            "password",
            Text::new("密碼最多 256 個字元", "at most 256 characters"),
        ));
    }
    let lower = password.to_lowercase();
    if !user_name.is_empty() && lower.contains(&user_name.to_lowercase()) {
        return Err(DomainError::invalid(
            "password",
            Text::new(
                "密碼不可包含帳號名稱",
                "the password must not contain the user name",
            ),
        ));
    }
    let mut chars = password.chars();
    if let Some(first) = chars.next()
        && chars.all(|c| c == first)
    {
        return Err(DomainError::invalid(
            "password",
            Text::new(
                "密碼不可只由同一個字元重複組成",
                "the password must not be one repeated character",
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashed_password_verifies_and_a_wrong_one_does_not() {
        let params = Argon2Params {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        };
        let phc = hash_password("correct horse battery", &params).unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &phc));
        assert!(!verify_password("correct horse batterY", &phc));
        assert!(!verify_password("anything", "not a phc string"));
    }

    #[test]
    fn weak_passwords_are_refused_with_a_reason() {
        assert!(check_password_policy("short", "amy").is_err());
        assert!(check_password_policy("aaaaaaaaaaaaaa", "amy").is_err());
        assert!(check_password_policy("my-name-is-amy-ok", "amy").is_err());
        assert!(check_password_policy("桃園市政府資訊安全很重要", "amy").is_ok());
    }
}
