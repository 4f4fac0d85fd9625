//! The domain's one error type. Each variant has a stable code that the API publishes;
//! the web crate maps variants to HTTP statuses in one place.

use crate::text::Text;
use crate::time::{DateStyle, Language, Timestamp, format_datetime};

pub type DomainResult<T> = Result<T, DomainError>;

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error("{what} '{key}' was not found")]
    NotFound { what: &'static str, key: String },

    #[error("{what} '{key}' already exists")]
    AlreadyExists { what: &'static str, key: String },

    /// Input that cannot be accepted; `field` names what to fix.
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: Text },

    #[error("sign-in required")]
    Unauthenticated,

    #[error("wrong user name or password")]
    BadCredentials,

    #[error("too many failed sign-ins; the account is locked until {until}")]
    AccountLocked { until: Timestamp },

    /// A bearer token that is unknown, revoked or expired.
    #[error("{0}")]
    InvalidToken(Text),

    #[error("this account is disabled; ask a platform administrator")]
    AccountDisabled,

    #[error("you do not have the permission '{needed}' for this")]
    Forbidden { needed: String },

    /// The data of another agency's dataset, without an active sharing grant.
    #[error("{0}")]
    NoGrant(Text),

    /// The request is valid but clashes with the current state.
    #[error("{0}")]
    Conflict(Text),

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
            DomainError::NoGrant(_) => "no_grant",
            DomainError::Conflict(_) => "conflict",
            DomainError::Store(_) => "internal",
        }
    }

    pub fn invalid(field: impl Into<String>, reason: Text) -> Self {
        DomainError::Invalid {
            field: field.into(),
            reason,
        }
    }

    pub fn conflict(zh: impl Into<String>, en: impl Into<String>) -> Self {
        DomainError::Conflict(Text::new(zh, en))
    }

    /// The message for a person, in their language. Store failures never show their detail.
    pub fn message(&self, lang: Language) -> String {
        let zh = lang == Language::ZhTw;
        match self {
            DomainError::NotFound { what, key } => {
                if zh {
                    format!("找不到{} {key}", what_zh(what))
                } else {
                    format!("{what} '{key}' was not found")
                }
            }
            DomainError::AlreadyExists { what, key } => {
                if zh {
                    format!("{} {key} 已經存在", what_zh(what))
                } else {
                    format!("{what} '{key}' already exists")
                }
            }
            DomainError::Invalid { reason, .. } => reason.get(lang).to_string(),
            DomainError::NoGrant(why) => why.get(lang).to_string(),
            DomainError::Unauthenticated => {
                if zh {
                    "請先登入".into()
                } else {
                    "sign-in required".into()
                }
            }
            DomainError::BadCredentials => {
                if zh {
                    "帳號或密碼錯誤".into()
                } else {
                    "wrong user name or password".into()
                }
            }
            DomainError::AccountLocked { until } => {
                let when = format_datetime(*until, DateStyle::Roc, lang);
                if zh {
                    format!("登入失敗次數過多，帳號已暫時鎖定至 {when}；也可請平台管理者解除")
                } else {
                    format!(
                        "too many failed sign-ins; the account is locked until {when}, or ask an administrator to unlock it"
                    )
                }
            }
            DomainError::InvalidToken(text) | DomainError::Conflict(text) => {
                text.get(lang).to_string()
            }
            DomainError::AccountDisabled => {
                if zh {
                    "此帳號已停用，請洽平台管理者".into()
                } else {
                    "this account is disabled; ask a platform administrator".into()
                }
            }
            DomainError::Forbidden { needed } => {
                if zh {
                    format!("您沒有執行此操作的權限（需要 {needed}）；如需權限請洽平台管理者")
                } else {
                    format!(
                        "you do not have the permission '{needed}' for this; ask a platform administrator"
                    )
                }
            }
            DomainError::Store(_) => {
                if zh {
                    "系統發生錯誤，請稍後再試；若持續發生請通知平台管理者".into()
                } else {
                    "something went wrong on our side; try again, and tell an administrator if it persists".into()
                }
            }
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

/// Chinese names for the things `NotFound` and `AlreadyExists` talk about.
fn what_zh(what: &str) -> &str {
    match what {
        "agency" => "機關",
        "user" => "使用者",
        "grant" => "角色授權",
        "token" => "API 權杖",
        "import" => "匯入紀錄",
        "notification" => "通知",
        "demand" => "資料需求",
        "match" => "媒合的資料集",
        "platform" => "平台",
        "cost" => "年度經費",
        other => other,
    }
}
