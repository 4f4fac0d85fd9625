//! The domain's one error type. Each variant has a stable code that the API publishes;
//! the web crate maps variants to HTTP statuses in one place.

use crate::time::Timestamp;

pub type DomainResult<T> = Result<T, DomainError>;

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error("{what} '{key}' was not found")]
    NotFound { what: &'static str, key: String },

    #[error("{what} '{key}' already exists")]
    AlreadyExists { what: &'static str, key: String },

    /// Input that cannot be accepted; `field` names what to fix.
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },

    #[error("sign-in required")]
    Unauthenticated,

    #[error("wrong user name or password")]
    BadCredentials,

    #[error("too many failed sign-ins; the account is locked until {until}")]
    AccountLocked { until: Timestamp },

    /// A bearer token that is unknown, revoked or expired.
    #[error("{0}")]
    InvalidToken(&'static str),

    #[error("this account is disabled; ask a platform administrator")]
    AccountDisabled,

    #[error("you do not have the permission '{needed}' for this")]
    Forbidden { needed: String },

    /// The request is valid but clashes with the current state.
    #[error("{0}")]
    Conflict(String),

    /// Storage failed; the message is for logs, never for users.
    #[error("storage failure: {0}")]
    Store(String),
}

impl DomainError {
    /// The stable, public, snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::NotFound { .. } => "not_found",
            DomainError::AlreadyExists { .. } => "already_exists",
            DomainError::Invalid { .. } => "invalid_input",
            DomainError::Unauthenticated => "unauthenticated",
            DomainError::BadCredentials => "bad_credentials",
            DomainError::InvalidToken(_) => "invalid_token",
            DomainError::AccountLocked { .. } => "account_locked",
            DomainError::AccountDisabled => "account_disabled",
            DomainError::Forbidden { .. } => "forbidden",
            DomainError::Conflict(_) => "conflict",
            DomainError::Store(_) => "internal",
        }
    }

    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        DomainError::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub fn not_found(what: &'static str, key: impl Into<String>) -> Self {
        DomainError::NotFound {
            what,
            key: key.into(),
        }
    }

    pub fn store(err: impl std::fmt::Display) -> Self {
        DomainError::Store(err.to_string())
    }
}
