//! The audit trail: every state change appends an entry; entries are hash-chained so
//! that altering, deleting or reordering any of them is detectable.

mod chain;
mod model;
mod service;

pub use chain::{ChainHead, ChainProblem, GENESIS_HASH, Verification, Verifier, entry_hash, seal};
pub use model::{Actor, AuditEntry, AuditEvent, AuditFilter, Outcome, diff_json};
pub use service::AuditService;
