//! Deciding what a harvest or upload changes, before anything is written: new datasets,
//! changed descriptions, untouched ones, and those gone from a complete listing (marked
//! withdrawn, never deleted). Pure: the same input always plans the same changes.

use std::collections::{HashMap, HashSet};

use super::model::{Dataset, DatasetRecord, DatasetStatus};
use crate::agencies::AgencyCode;
use crate::import::ImportReport;
use crate::text::Text;
use crate::time::Timestamp;

/// One record read from a source, parsed or with the reason it could not be.
#[derive(Debug, Clone)]
pub struct ParsedDataset {
    pub line: u64,
    pub raw: String,
    pub result: Result<DatasetRecord, Text>,
}

#[derive(Debug, Clone)]
pub enum PlannedChange {
    Create {
        record: Box<DatasetRecord>,
        /// The data's own last update, as the source states it.
        data_updated_at: Option<Timestamp>,
    },
    Update {
        id: i64,
        before: Box<DatasetRecord>,
        after: Box<DatasetRecord>,
        /// Set only when the source shows newer data; a metadata edit leaves it `None`.
        data_updated_at: Option<Timestamp>,
        /// It was withdrawn and is back at its source.
        reactivated: bool,
    },
}

#[derive(Debug, Clone)]
pub struct CatalogImportPlan {
    pub source: String,
    pub changes: Vec<PlannedChange>,
    /// Seen again, nothing changed.
    pub unchanged: Vec<i64>,
    /// Gone from a complete listing of the source.
    pub withdrawn: Vec<i64>,
    pub report: ImportReport,
}

/// The newest data timestamp a record carries: its own or any distribution's.
pub fn data_timestamp(record: &DatasetRecord) -> Option<Timestamp> {
    record
        .distributions
        .iter()
        .filter_map(|d| d.modified)
        .chain(record.source_modified)
        .max()
}

/// A distribution whose content checksum changed means the data changed, whatever the dates say.
fn content_changed(before: &DatasetRecord, after: &DatasetRecord) -> bool {
    before.distributions.iter().zip(&after.distributions).any(
        |(b, a)| matches!((&b.checksum_sha256, &a.checksum_sha256), (Some(x), Some(y)) if x != y),
    )
}

/// Plan an import of `parsed` records from `source` against the datasets already held from it.
/// With `full_listing`, datasets of this source missing from the input are withdrawn.
pub fn plan_catalog_import(
    existing: &[Dataset],
    parsed: Vec<ParsedDataset>,
    source: &str,
    full_listing: bool,
    known_agencies: &HashSet<AgencyCode>,
    now: Timestamp,
    mut report: ImportReport,
) -> CatalogImportPlan {
    report.received = parsed.len() as u64;
    let held: HashMap<&str, &Dataset> = existing
        .iter()
        .filter(|d| d.key.source == source)
        .map(|d| (d.key.key.as_str(), d))
        .collect();
    let mut first_seen: HashMap<String, (u64, DatasetRecord)> = HashMap::new();
    let mut changes = Vec::new();
    let mut unchanged = Vec::new();

    for row in parsed {
        let record = match row.result {
            Err(why) => {
                report.reject(row.line, why, &row.raw);
                continue;
            }
            Ok(r) => r,
        };
        if record.identifier.trim().is_empty() {
            report.reject(
                row.line,
                Text::new("缺少資料集識別碼", "the dataset has no identifier"),
                &row.raw,
            );
            continue;
        }
        if !known_agencies.contains(&record.agency) {
            let code = record.agency.to_string();
            report.reject(
                row.line,
                Text::new(
                    format!("提供機關 {code} 不在機關清單中；請先新增或匯入此機關"),
                    format!("the providing agency {code} is not in the organisation tree; add or import it first"),
                ),
                &row.raw,
            );
            continue;
        }
        match first_seen.get(&record.identifier) {
            Some((_, first)) if *first == record => {
                report.duplicates += 1;
                continue;
            }
            Some((line, _)) => {
                report.reject(
                    row.line,
                    Text::new(
                        format!(
                            "資料集 {} 已在第 {line} 行出現，但內容不同",
                            record.identifier
                        ),
                        format!(
                            "dataset {} already appears at line {line} with different values",
                            record.identifier
                        ),
                    ),
                    &row.raw,
                );
                continue;
            }
            None => {
                first_seen.insert(record.identifier.clone(), (row.line, record.clone()));
            }
        }
        match held.get(record.identifier.as_str()) {
            None => {
                report.created += 1;
                changes.push(PlannedChange::Create {
                    data_updated_at: data_timestamp(&record),
                    record: Box::new(record),
                });
            }
            Some(current) => {
                let mut record = record;
                record.keep_local(&current.record);
                let withdrawn = matches!(current.status, DatasetStatus::Withdrawn { .. });
                if current.record == record && !withdrawn {
                    report.unchanged += 1;
                    unchanged.push(current.id);
                    continue;
                }
                let newer = data_timestamp(&record)
                    .filter(|t| current.data_updated_at.is_none_or(|held| *t > held));
                let data_updated_at = if content_changed(&current.record, &record) {
                    Some(now)
                } else {
                    newer
                };
                report.updated += 1;
                changes.push(PlannedChange::Update {
                    id: current.id,
                    before: Box::new(current.record.clone()),
                    after: Box::new(record),
                    data_updated_at,
                    reactivated: withdrawn,
                });
            }
        }
    }
    report.rejected.sort_by_key(|r| r.line);

    let withdrawn = if full_listing {
        held.values()
            .filter(|d| matches!(d.status, DatasetStatus::Active))
            .filter(|d| !first_seen.contains_key(&d.key.key))
            .map(|d| d.id)
            .collect()
    } else {
        Vec::new()
    };

    CatalogImportPlan {
        source: source.to_string(),
        changes,
        unchanged,
        withdrawn,
        report,
    }
}
