//! API tokens: shown once, stored hashed, limited to a subset of the owner's roles,
//! expiring, revocable.

use serde::{Deserialize, Serialize};

use crate::authz::Grant;
use crate::error::DomainResult;
use crate::time::Timestamp;

/// Every token starts with this, so a leaked one is easy to recognise in scans.
pub const TOKEN_PREFIX: &str = "civ_";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub user_name: String,
    pub label: String,
    /// The first characters of the token, to tell tokens apart without revealing them.
    pub prefix: String,
    pub grants: Vec<Grant>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

impl ApiToken {
    pub fn is_usable(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

#[derive(Debug, Clone)]
pub struct NewToken {
    pub user_id: i64,
    pub label: String,
    pub prefix: String,
    pub secret_hash: String,
    pub grants: Vec<Grant>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A fresh token: (the plaintext to show once, its display prefix, its hash).
pub fn generate_token() -> DomainResult<(String, String, String)> {
    let secret = format!(
        "{TOKEN_PREFIX}{}",
        hex::encode(crate::random::bytes::<24>()?)
    );
    let prefix = secret.chars().take(TOKEN_PREFIX.len() + 8).collect();
    let hash = super::session::hash_secret(&secret);
    Ok((secret, prefix, hash))
}
