//! Identifiers of case records. The store assigns them (e.g. `INC-2026-0007`); the domain only
//! needs them to be short, printable and safe in file names, CSV and STIX ids.

use serde::{Deserialize, Serialize};

use crate::error::{DomainError, DomainResult};
use crate::text::Text;

/// An incident, engagement, finding, action or evidence item's id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RecordId(String);

impl RecordId {
    pub fn parse(text: &str) -> DomainResult<Self> {
        parse_ref(text, "id").map(RecordId)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An alert notification (alert group) an incident was opened from, by the store's id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NotificationRef(String);

impl NotificationRef {
    pub fn parse(text: &str) -> DomainResult<Self> {
        parse_ref(text, "notification").map(NotificationRef)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn parse_ref(text: &str, field: &str) -> DomainResult<String> {
    let text = text.trim();
    let ok = (1..=64).contains(&text.len())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
    if ok {
        Ok(text.to_string())
    } else {
        Err(DomainError::invalid(
            field,
            Text::new(
                "編號須為 1 至 64 個英數字或 - _ . : 符號（例如 INC-2026-0007）",
                "an id is 1–64 letters, digits, '-', '_', '.' or ':' (e.g. INC-2026-0007)",
            ),
        ))
    }
}

macro_rules! string_conversions {
    ($t:ident) => {
        impl TryFrom<String> for $t {
            type Error = DomainError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                $t::parse(&value)
            }
        }
        impl From<$t> for String {
            fn from(id: $t) -> String {
                id.0
            }
        }
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}
string_conversions!(RecordId);
string_conversions!(NotificationRef);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_id_is_accepted_and_a_path_is_refused() {
        assert_eq!(
            RecordId::parse(" INC-2026-0007 ").unwrap().as_str(),
            "INC-2026-0007"
        );
        assert!(RecordId::parse("../etc/passwd").is_err());
        assert!(RecordId::parse("").is_err());
        assert!(NotificationRef::parse("grp:42").is_ok());
    }
}
