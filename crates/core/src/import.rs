//! The one import pipeline every format plugs into: parse → normalise → validate →
//! deduplicate → store → report. A report always reconciles:
//! received = created + updated + unchanged + duplicates + rejected.

use serde::{Deserialize, Serialize};

use crate::text::Text;
use crate::time::Timestamp;

/// A record that could not be taken, kept with where it was and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    /// 1-based line (or record number for formats without lines).
    pub line: u64,
    pub reason: Text,
    /// The record as received, truncated to a readable length.
    pub raw: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// What was imported, e.g. `agencies`.
    pub kind: String,
    /// The format the records came in.
    pub format: String,
    /// Where they came from: a file name or a URL.
    pub source: String,
    pub received: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub duplicates: u64,
    pub rejected: Vec<Rejected>,
    /// The text encoding the file was read as (UTF-8, or Big5 converted to UTF-8).
    #[serde(default)]
    pub encoding: Option<String>,
    /// Records of the source no longer present in a complete listing, marked withdrawn.
    #[serde(default)]
    pub withdrawn: u64,
}

/// An import report as stored, with when and by whom.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImportRun {
    pub id: i64,
    pub started_at: Timestamp,
    pub finished_at: Timestamp,
    pub actor_name: String,
    /// How many records were rejected; `report.rejected` holds them only when the run is
    /// read on its own (listings leave it empty).
    pub rejected_total: u64,
    #[serde(flatten)]
    pub report: ImportReport,
}

impl ImportReport {
    pub fn new(kind: &str, format: &str, source: &str) -> Self {
        ImportReport {
            kind: kind.to_string(),
            format: format.to_string(),
            source: source.to_string(),
            received: 0,
            created: 0,
            updated: 0,
            unchanged: 0,
            duplicates: 0,
            rejected: Vec::new(),
            encoding: None,
            withdrawn: 0,
        }
    }

    pub fn stored(&self) -> u64 {
        self.created + self.updated + self.unchanged
    }

    pub fn rejected_count(&self) -> u64 {
        self.rejected.len() as u64
    }

    /// The accounting identity every import must satisfy.
    pub fn reconciles(&self) -> bool {
        self.received == self.stored() + self.duplicates + self.rejected_count()
    }

    /// The file as a whole could not be read: one received record, rejected with the reason,
    /// so that the failure is stored like any other rejection.
    pub fn unreadable(mut self, why: Text) -> Self {
        self.received = 1;
        self.reject(0, why, "");
        self
    }

    /// The counts, for the audit trail.
    pub fn summary(&self) -> serde_json::Value {
        serde_json::json!({
            "format": self.format,
            "received": self.received,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "duplicates": self.duplicates,
            "rejected": self.rejected.len(),
            "withdrawn": self.withdrawn,
            "encoding": self.encoding,
        })
    }

    pub fn reject(&mut self, line: u64, reason: Text, raw: &str) {
        self.rejected.push(Rejected {
            line,
            reason,
            raw: truncate_chars(raw, 2000),
        });
    }
}

pub fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((idx, _)) => format!("{}…", text.get(..idx).unwrap_or(text)),
        None => text.to_string(),
    }
}

/// Decode a text file: UTF-8 (with or without a BOM), or Big5 — which files saved by older
/// Windows tools in Taiwan often are — converted to UTF-8. Returns the text and the encoding
/// it was read as; anything else is refused with advice.
pub fn decode_text(bytes: &[u8]) -> Result<(std::borrow::Cow<'_, str>, &'static str), Text> {
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    match std::str::from_utf8(body) {
        Ok(text) => Ok((std::borrow::Cow::Borrowed(text), "UTF-8")),
        Err(e) => {
            let (text, had_errors) = encoding_rs::BIG5.decode_without_bom_handling(body);
            if had_errors {
                let at = e.valid_up_to();
                Err(Text::new(
                    format!(
                        "檔案不是 UTF-8 也不是 Big5 文字（第 {at} 位元組起無法解讀）；請以 UTF-8 另存新檔後再匯入"
                    ),
                    format!(
                        "the file is neither UTF-8 nor Big5 text (unreadable from byte {at}); save it as UTF-8 and import again"
                    ),
                ))
            } else {
                Ok((std::borrow::Cow::Owned(text.into_owned()), "Big5"))
            }
        }
    }
}

/// Import kinds a reader of alerts sees without `read_imports`.
const SECURITY_KINDS: [&str; 2] = ["alerts", "stix"];

/// Reading import runs: anyone who may read imports (stewards see what their imports did), and
/// readers of alerts their alert and intel imports.
pub struct ImportService<'a> {
    p: &'a crate::Platform,
}

impl<'a> ImportService<'a> {
    pub fn new(p: &'a crate::Platform) -> Self {
        ImportService { p }
    }

    /// `true`: every import; `false`: only alert and intel imports (a security reader without
    /// `read_imports` still sees the quarantine of their sensors' rejected lines).
    fn scope(&self, caller: &crate::Caller) -> crate::DomainResult<bool> {
        use crate::authz::Permission;
        if caller.principal.can_somewhere(Permission::ReadImports) {
            Ok(true)
        } else if caller.principal.can_somewhere(Permission::ReadAlerts) {
            Ok(false)
        } else {
            Err(crate::DomainError::Forbidden {
                needed: Permission::ReadImports.as_str().into(),
            })
        }
    }

    pub async fn list(
        &self,
        caller: &crate::Caller,
        kind: Option<&str>,
        page: crate::page::PageRequest,
    ) -> crate::DomainResult<crate::page::Page<ImportRun>> {
        let kind = if self.scope(caller)? {
            kind
        } else {
            match kind {
                None => Some("alerts"),
                Some(k) if SECURITY_KINDS.contains(&k) => Some(k),
                Some(_) => {
                    return Err(crate::DomainError::Forbidden {
                        needed: crate::authz::Permission::ReadImports.as_str().into(),
                    });
                }
            }
        };
        self.p.stores.imports.import_runs(kind, page).await
    }

    pub async fn get(&self, caller: &crate::Caller, id: i64) -> crate::DomainResult<ImportRun> {
        let all = self.scope(caller)?;
        self.p
            .stores
            .imports
            .import_run(id)
            .await?
            .filter(|run| all || SECURITY_KINDS.contains(&run.report.kind.as_str()))
            .ok_or_else(|| crate::DomainError::not_found("import", id.to_string()))
    }
}
