//! Agency values and their validation.

use serde::{Deserialize, Serialize};

use crate::error::{DomainError, DomainResult};
use crate::text::Text;
use crate::time::Timestamp;

/// A stable agency code. Official 機關代碼 (e.g. `380120000J`) where one exists;
/// a local code (e.g. `TY-ARTMUSEUM`) otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AgencyCode(String);

impl AgencyCode {
    pub fn parse(text: &str) -> DomainResult<Self> {
        let text = text.trim();
        let ok_len = (2..=32).contains(&text.len());
        let ok_chars = text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
        if ok_len && ok_chars {
            Ok(AgencyCode(text.to_string()))
        } else {
            Err(DomainError::invalid(
                "code",
                Text::new(
                    "機關代碼須為 2 至 32 個英數字或 - _ . 符號（例如 380120000J）",
                    "an agency code is 2–32 letters, digits, '-', '_' or '.' (e.g. 380120000J)",
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AgencyCode {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        AgencyCode::parse(&value)
    }
}

impl From<AgencyCode> for String {
    fn from(code: AgencyCode) -> String {
        code.0
    }
}

impl std::fmt::Display for AgencyCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgencyKind {
    /// 市政府
    CityGovernment,
    /// 一級機關：局、處、委員會
    Bureau,
    /// 二級機關及所屬機關
    Subordinate,
    /// 區公所
    District,
    /// 市營事業及公司
    Enterprise,
}

impl AgencyKind {
    pub const ALL: &'static [AgencyKind] = &[
        AgencyKind::CityGovernment,
        AgencyKind::Bureau,
        AgencyKind::Subordinate,
        AgencyKind::District,
        AgencyKind::Enterprise,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            AgencyKind::CityGovernment => "city_government",
            AgencyKind::Bureau => "bureau",
            AgencyKind::Subordinate => "subordinate",
            AgencyKind::District => "district",
            AgencyKind::Enterprise => "enterprise",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        AgencyKind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == text.trim())
    }

    pub fn label_zh(&self) -> &'static str {
        match self {
            AgencyKind::CityGovernment => "市政府",
            AgencyKind::Bureau => "一級機關",
            AgencyKind::Subordinate => "所屬機關",
            AgencyKind::District => "區公所",
            AgencyKind::Enterprise => "市營事業",
        }
    }

    pub fn label_en(&self) -> &'static str {
        match self {
            AgencyKind::CityGovernment => "City government",
            AgencyKind::Bureau => "Bureau / office",
            AgencyKind::Subordinate => "Subordinate agency",
            AgencyKind::District => "District office",
            AgencyKind::Enterprise => "City enterprise",
        }
    }
}

/// What a person or an import supplies to create or describe an agency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgencyInput {
    pub code: AgencyCode,
    pub name_zh: String,
    pub name_en: Option<String>,
    pub short_name_zh: Option<String>,
    pub parent: Option<AgencyCode>,
    pub kind: AgencyKind,
}

impl AgencyInput {
    /// Trim, drop empty optionals and check lengths.
    pub fn normalised(mut self) -> DomainResult<Self> {
        self.name_zh = self.name_zh.trim().to_string();
        self.name_en = clean_optional(self.name_en);
        self.short_name_zh = clean_optional(self.short_name_zh);
        if self.name_zh.is_empty() {
            return Err(DomainError::invalid(
                "name_zh",
                Text::new("請填寫機關中文名稱", "the Chinese name is required"),
            ));
        }
        check_len("name_zh", &self.name_zh, 100)?;
        if let Some(en) = &self.name_en {
            check_len("name_en", en, 200)?;
        }
        if let Some(short) = &self.short_name_zh {
            check_len("short_name_zh", short, 40)?;
        }
        if self.parent.as_ref() == Some(&self.code) {
            return Err(DomainError::invalid(
                "parent",
                Text::new(
                    "機關不能以自己為上級機關",
                    "an agency cannot be its own parent",
                ),
            ));
        }
        if self.kind == AgencyKind::CityGovernment && self.parent.is_some() {
            return Err(DomainError::invalid(
                "parent",
                Text::new(
                    "市政府是組織樹的最上層，沒有上級機關",
                    "the city government is the root of the tree and has no parent",
                ),
            ));
        }
        if self.kind != AgencyKind::CityGovernment && self.parent.is_none() {
            return Err(DomainError::invalid(
                "parent",
                Text::new(
                    "除市政府外，每個機關都需要上級機關",
                    "every agency except the city government needs a parent agency",
                ),
            ));
        }
        Ok(self)
    }
}

fn clean_optional(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn check_len(field: &str, value: &str, max: usize) -> DomainResult<()> {
    if value.chars().count() > max {
        return Err(DomainError::invalid(
            field,
            Text::new(
                format!("最多 {max} 個字"),
                format!("at most {max} characters"),
            ),
        ));
    }
    if value.chars().any(|c| c.is_control()) {
        return Err(DomainError::invalid(
            field,
            Text::new("不可包含控制字元", "control characters are not allowed"),
        ));
    }
    Ok(())
}

/// The full stored state of an agency, as the store writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgencyRecord {
    #[serde(flatten)]
    pub input: AgencyInput,
    pub active: bool,
    pub retired_at: Option<Timestamp>,
    pub successor: Option<AgencyCode>,
}

/// An agency as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agency {
    pub code: AgencyCode,
    pub name_zh: String,
    pub name_en: Option<String>,
    pub short_name_zh: Option<String>,
    pub parent: Option<AgencyCode>,
    pub kind: AgencyKind,
    pub active: bool,
    pub retired_at: Option<Timestamp>,
    pub successor: Option<AgencyCode>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Agency {
    pub fn record(&self) -> AgencyRecord {
        AgencyRecord {
            input: AgencyInput {
                code: self.code.clone(),
                name_zh: self.name_zh.clone(),
                name_en: self.name_en.clone(),
                short_name_zh: self.short_name_zh.clone(),
                parent: self.parent.clone(),
                kind: self.kind,
            },
            active: self.active,
            retired_at: self.retired_at,
            successor: self.successor.clone(),
        }
    }

    /// The name as people say it: short name when there is one.
    pub fn display_name_zh(&self) -> &str {
        self.short_name_zh.as_deref().unwrap_or(&self.name_zh)
    }
}

/// A field-by-field summary of what changed, for the audit trail.
pub fn diff_records(before: &AgencyRecord, after: &AgencyRecord) -> serde_json::Value {
    let b = serde_json::to_value(before).unwrap_or_default();
    let a = serde_json::to_value(after).unwrap_or_default();
    crate::audit::diff_json(&b, &a)
}
