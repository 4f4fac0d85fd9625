//! The `[intel]` configuration: the TAXII 2.1 collections `civitas intel pull` reads.

use civitas_core::intel::TaxiiCollection;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct IntelConfig {
    pub taxii: Vec<TaxiiSettings>,
}

/// One `[[intel.taxii]]` entry.
#[derive(Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct TaxiiSettings {
    pub name: String,
    /// The API root, e.g. https://taxii.example.gov.tw/regional/ (https only; plain http to
    /// this machine for tests).
    pub api_root: String,
    pub collection: String,
    /// Only these object types; empty: all.
    pub types: Vec<String>,
    /// Objects per page asked for; 0: the server's choice.
    pub limit: u32,
    /// HTTP Basic credentials, if the server asks; the password may live in `password_file`.
    pub username: String,
    pub password: String,
    pub password_file: String,
}

// The password never reaches logs or `civitas config show`.
impl std::fmt::Debug for TaxiiSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaxiiSettings")
            .field("name", &self.name)
            .field("api_root", &self.api_root)
            .field("collection", &self.collection)
            .field("types", &self.types)
            .field("limit", &self.limit)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("password_file", &self.password_file)
            .finish()
    }
}

impl TaxiiSettings {
    pub fn collection(&self) -> TaxiiCollection {
        TaxiiCollection {
            name: self.name.clone(),
            api_root: self.api_root.clone(),
            collection_id: self.collection.clone(),
            types: self.types.clone(),
            limit: (self.limit > 0).then_some(self.limit),
        }
    }

    /// (user, password) when a user name is set.
    pub fn credentials(&self) -> Result<Option<(String, String)>, String> {
        if self.username.is_empty() {
            return Ok(None);
        }
        let password = match self.password_file.trim() {
            "" => self.password.clone(),
            path => std::fs::read_to_string(path)
                .map_err(|e| format!("intel.taxii {}: cannot read {path}: {e}", self.name))?
                .trim_end_matches(['\r', '\n'])
                .to_string(),
        };
        Ok(Some((self.username.clone(), password)))
    }
}
