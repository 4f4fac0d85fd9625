//! Browser sign-in sessions. The cookie carries a random secret; only its hash is stored,
//! so a copy of the database cannot be used to hijack a session.

use serde::{Deserialize, Serialize};

use crate::random::sha256_hex;
use crate::time::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub id_hash: String,
    pub user_id: i64,
    /// Sent back with every form and htmx request; bound to this session.
    pub csrf_token: String,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    /// Idle expiry, pushed forward on use.
    pub expires_at: Timestamp,
    /// Hard expiry, never pushed forward.
    pub absolute_expires_at: Timestamp,
    pub source_ip: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub session: Session,
}

/// Hash a session or token secret for storage and lookup.
pub fn hash_secret(secret: &str) -> String {
    sha256_hex(secret.as_bytes())
}
