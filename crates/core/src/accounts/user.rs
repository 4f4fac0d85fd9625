//! User accounts and role grants.

use serde::{Deserialize, Serialize};

use crate::agencies::AgencyCode;
use crate::authz::Grant;
use crate::error::{DomainError, DomainResult};
use crate::text::Text;
use crate::time::{DateStyle, Language, Timestamp};

/// A sign-in name: 2–64 lowercase letters, digits, '.', '_' or '-', starting with a letter
/// or digit (usually the person's directory account).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UserName(String);

impl UserName {
    pub fn parse(text: &str) -> DomainResult<Self> {
        let text = text.trim().to_ascii_lowercase();
        let ok_len = (2..=64).contains(&text.len());
        let ok_first = text
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric());
        let ok_chars = text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
        if ok_len && ok_first && ok_chars {
            Ok(UserName(text))
        } else {
            Err(DomainError::invalid(
                "name",
                Text::new(
                    "帳號須為 2 至 64 個小寫英文字母、數字或 . _ -，並以字母或數字開頭",
                    "a user name is 2–64 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit",
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for UserName {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        UserName::parse(&value)
    }
}

impl From<UserName> for String {
    fn from(name: UserName) -> String {
        name.0
    }
}

impl std::fmt::Display for UserName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    pub name: UserName,
    pub display_name: String,
    pub email: Option<String>,
    pub home_agency: Option<AgencyCode>,
    pub active: bool,
    pub language: Language,
    pub date_style: DateStyle,
    pub failed_logins: u32,
    pub locked_until: Option<Timestamp>,
    pub last_login_at: Option<Timestamp>,
    pub password_changed_at: Timestamp,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The fields of an account that can be edited after creation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserProfile {
    pub display_name: String,
    pub email: Option<String>,
    pub home_agency: Option<AgencyCode>,
    pub active: bool,
    pub language: Language,
    pub date_style: DateStyle,
}

impl UserProfile {
    pub fn of(user: &User) -> Self {
        UserProfile {
            display_name: user.display_name.clone(),
            email: user.email.clone(),
            home_agency: user.home_agency.clone(),
            active: user.active,
            language: user.language,
            date_style: user.date_style,
        }
    }

    pub fn normalised(mut self) -> DomainResult<Self> {
        self.display_name = self.display_name.trim().to_string();
        if self.display_name.is_empty() || self.display_name.chars().count() > 80 {
            return Err(DomainError::invalid(
                "display_name",
                Text::new(
                    "請填寫 1 至 80 字的顯示名稱",
                    "a display name of 1–80 characters is required",
                ),
            ));
        }
        if self.display_name.chars().any(char::is_control) {
            return Err(DomainError::invalid(
                "display_name",
                Text::new("不可包含控制字元", "control characters are not allowed"),
            ));
        }
        self.email = self
            .email
            .map(|e| e.trim().to_string())
            .filter(|e| !e.is_empty());
        if let Some(email) = &self.email {
            let valid = email.len() <= 254
                && email.split_once('@').is_some_and(|(local, domain)| {
                    !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
                })
                && !email.chars().any(|c| c.is_whitespace() || c.is_control());
            if !valid {
                return Err(DomainError::invalid(
                    "email",
                    Text::new("電子郵件地址格式不正確", "not an e-mail address"),
                ));
            }
        }
        Ok(self)
    }
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub name: UserName,
    pub profile: UserProfile,
    pub password_hash: String,
    pub created_at: Timestamp,
}

/// A role grant as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleGrant {
    pub id: i64,
    pub user_id: i64,
    #[serde(flatten)]
    pub grant: Grant,
    pub granted_at: Timestamp,
    pub granted_by: String,
}

#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Substring of name or display name.
    pub text: Option<String>,
    /// Only users whose home agency is one of these.
    pub home_agencies: Option<Vec<AgencyCode>>,
    pub active: Option<bool>,
}
