//! What people may do with the catalogue, with authorisation, freshness and audit.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::json;

use super::agency_map::AgencyMap;
use super::format::{CatalogFormat, Listing};
use super::model::{Dataset, DatasetRecord, DatasetVersion, FreshnessSnapshot};
use super::plan::{ParsedDataset, PlannedChange, plan_catalog_import};
use super::search::{SearchQuery, SearchResult, frequency_class};
use super::sources;
use crate::agencies::{Agency, AgencyCode, AgencyImportFormat, AgencyKind};
use crate::authz::{Permission, Target};
use crate::error::{DomainError, DomainResult};
use crate::freshness::{
    FreshnessInput, FreshnessState, Reachability, SeriesMember, UpdateFrequency, assess,
    assess_yearly_series,
};
use crate::import::ImportReport;
use crate::notify::Queued;
use crate::platform::{Caller, Platform};
use crate::ports::{FreshnessHistoryRow, FreshnessRow};
use crate::text::Text;
use crate::time::Timestamp;

/// Declared frequencies parsed once each: a catalogue holds a dozen distinct strings.
#[derive(Default)]
struct Frequencies(HashMap<String, UpdateFrequency>);

impl Frequencies {
    fn of(&mut self, declared: &str) -> &UpdateFrequency {
        if !self.0.contains_key(declared) {
            self.0
                .insert(declared.to_string(), UpdateFrequency::parse(declared));
        }
        self.0.get(declared).unwrap_or(&UpdateFrequency::Missing)
    }
}

fn row_snapshot(
    p: &Platform,
    r: &FreshnessRow,
    frequency: &UpdateFrequency,
    now: Timestamp,
) -> FreshnessSnapshot {
    let reachability = match r.unreachable_at {
        Some(checked_at) => Reachability::Unreachable { checked_at },
        None => Reachability::NotChecked,
    };
    snapshot_parsed(
        p,
        frequency,
        r.data_updated_at,
        r.reviewed_at,
        reachability,
        now,
    )
}

/// What a person entering a description by hand must get right.
fn validate_entry(record: &DatasetRecord) -> DomainResult<()> {
    if record.title_zh.trim().is_empty() {
        return Err(DomainError::invalid(
            "title_zh",
            Text::new("請填寫資料集名稱", "the title is required"),
        ));
    }
    if record.description_zh.trim().is_empty() {
        return Err(DomainError::invalid(
            "description_zh",
            Text::new("請填寫資料集描述", "the description is required"),
        ));
    }
    match UpdateFrequency::parse(&record.frequency) {
        UpdateFrequency::Unknown(_) | UpdateFrequency::Missing => Err(DomainError::invalid(
            "frequency",
            Text::new(
                format!(
                    "更新頻率「{}」無法解讀；請選即時、每日、每週、每月、每季、每半年、每年、不定期或不更新，或寫「每3個月」",
                    record.frequency
                ),
                format!(
                    "the update frequency '{}' cannot be read; choose one from the list or write e.g. 每3個月",
                    record.frequency
                ),
            ),
        )),
        _ => Ok(()),
    }
}

/// An agency written by its code or its name (Chinese, English or short; 臺/台 folded; a
/// retired agency leads to its successor), by the same rules harvests use.
pub fn resolve_agency(agencies: &[Agency], cell: &str) -> Option<AgencyCode> {
    let map = AgencyMap::new(agencies, &BTreeMap::new(), None).ok()?;
    map.resolve(&super::sources::ckan::AgencyHint {
        code: Some(cell.trim().to_string()),
        name: Some(cell.trim().to_string()),
        id: None,
    })
}

/// What a reassessment changed and whom it told.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FreshnessRun {
    /// Datasets whose state changed.
    pub changed: u64,
    pub notified: Queued,
}

/// Where imported records come from: the source they are keyed under, a label for the
/// report (a file name or URL), and how the source names its agencies.
pub struct ImportSource<'s> {
    pub key: &'s str,
    pub label: &'s str,
    pub aliases: &'s BTreeMap<String, String>,
    pub default_agency: Option<&'s str>,
}

pub struct CatalogService<'a> {
    p: &'a Platform,
}

/// Assess one dataset's freshness from its evidence.
pub fn snapshot(
    p: &Platform,
    frequency: &str,
    data_updated_at: Option<Timestamp>,
    reviewed_at: Option<Timestamp>,
    now: Timestamp,
) -> FreshnessSnapshot {
    snapshot_with(
        p,
        frequency,
        data_updated_at,
        reviewed_at,
        Reachability::NotChecked,
        now,
    )
}

/// Assess one dataset's freshness from its evidence and whether its addresses answer.
pub fn snapshot_with(
    p: &Platform,
    frequency: &str,
    data_updated_at: Option<Timestamp>,
    reviewed_at: Option<Timestamp>,
    reachability: Reachability,
    now: Timestamp,
) -> FreshnessSnapshot {
    snapshot_parsed(
        p,
        &UpdateFrequency::parse(frequency),
        data_updated_at,
        reviewed_at,
        reachability,
        now,
    )
}

fn snapshot_parsed(
    p: &Platform,
    frequency: &UpdateFrequency,
    data_updated_at: Option<Timestamp>,
    reviewed_at: Option<Timestamp>,
    reachability: Reachability,
    now: Timestamp,
) -> FreshnessSnapshot {
    let a = assess(
        &FreshnessInput {
            frequency,
            last_data_update: data_updated_at,
            last_review: reviewed_at,
            reachability,
        },
        &p.freshness,
        now,
    );
    FreshnessSnapshot {
        state: a.state,
        assessed_at: now,
        due_at: a.due_at,
        explanation: a.explanation,
    }
}

impl<'a> CatalogService<'a> {
    pub fn new(p: &'a Platform) -> Self {
        CatalogService { p }
    }

    pub(crate) fn now(&self) -> Timestamp {
        self.p.now()
    }

    fn require_read(&self, caller: &Caller) -> DomainResult<()> {
        // Descriptions are visible to every member of staff; access to the data itself is
        // decided by the dataset's access level and the sharing grants.
        if caller.principal.can_somewhere(Permission::ReadCatalog) {
            Ok(())
        } else {
            Err(DomainError::Forbidden {
                needed: Permission::ReadCatalog.as_str().into(),
            })
        }
    }

    /// Import dataset descriptions from one file, keyed under the format's own source name.
    /// Agencies a supply list names but the tree lacks are imported first (recorded as their
    /// own import run).
    pub async fn import(
        &self,
        caller: &Caller,
        bytes: &[u8],
        format: CatalogFormat,
        source_name: &str,
    ) -> DomainResult<(i64, ImportReport)> {
        let none = BTreeMap::new();
        let source = ImportSource {
            key: format.source(),
            label: source_name,
            aliases: &none,
            default_agency: None,
        };
        self.import_documents(caller, &[bytes], format, &source)
            .await
    }

    /// The organisation tree and a source's aliases as one lookup, or why the aliases are wrong.
    pub async fn agency_map(
        &self,
        aliases: &BTreeMap<String, String>,
        default_agency: Option<&str>,
    ) -> DomainResult<Result<AgencyMap, Text>> {
        let agencies = self.p.stores.agencies.agencies().await?;
        Ok(AgencyMap::new(&agencies, aliases, default_agency))
    }

    /// Record a run that read nothing, with the reason, so that it shows in the import history.
    pub async fn save_unreadable(
        &self,
        caller: &Caller,
        format: CatalogFormat,
        label: &str,
        started_at: Timestamp,
        why: Text,
    ) -> DomainResult<(i64, ImportReport)> {
        let auth = self.authorize_import(caller, format).await?;
        let report = ImportReport::new("datasets", format.code(), label).unreadable(why);
        let at = self.p.now();
        let event = caller.event(
            at,
            &auth,
            "catalog.import",
            "import",
            label,
            report.summary(),
        );
        let id = self
            .p
            .stores
            .imports
            .save_import_run(&report, started_at, at, &caller.principal.user_name, event)
            .await?;
        Ok((id, report))
    }

    /// Import one or more documents of `format` (pages of one listing for `package_search`)
    /// as records of `source`.
    pub async fn import_documents(
        &self,
        caller: &Caller,
        documents: &[&[u8]],
        format: CatalogFormat,
        source: &ImportSource<'_>,
    ) -> DomainResult<(i64, ImportReport)> {
        self.authorize_import(caller, format).await?;
        let started_at = self.p.now();
        let map = match self
            .agency_map(source.aliases, source.default_agency)
            .await?
        {
            Ok(map) => map,
            Err(why) => {
                return self
                    .save_unreadable(caller, format, source.label, started_at, why)
                    .await;
            }
        };
        let resolve = |hint: &super::sources::ckan::AgencyHint| map.resolve(hint);
        let listing = match format.parse_documents(documents, &resolve) {
            Ok(listing) if format == CatalogFormat::Sheet => Listing {
                records: self.only_manageable(caller, listing.records).await?,
                complete: false,
            },
            Ok(listing) => listing,
            Err(why) => {
                return self
                    .save_unreadable(caller, format, source.label, started_at, why)
                    .await;
            }
        };
        let encoding = match documents {
            [one] => crate::import::decode_text(one)
                .ok()
                .map(|(_, e)| e.to_string()),
            _ => None,
        };
        if let (CatalogFormat::TaoyuanSupplyList, [bytes]) = (format, documents) {
            self.import_missing_agencies(caller, &listing, bytes, source.label)
                .await?;
        }
        let mut report = ImportReport::new("datasets", format.code(), source.label);
        report.encoding = encoding;
        self.import_listing(caller, format, listing, source.key, started_at, report)
            .await
    }

    /// A supply list names its agencies: those the tree lacks are imported from it first.
    async fn import_missing_agencies(
        &self,
        caller: &Caller,
        listing: &Listing,
        bytes: &[u8],
        label: &str,
    ) -> DomainResult<()> {
        let agencies: Vec<_> = self.p.stores.agencies.agencies().await?;
        let known: HashSet<&AgencyCode> = agencies.iter().map(|a| &a.code).collect();
        let missing = listing
            .records
            .iter()
            .filter_map(|r| r.result.as_ref().ok())
            .any(|r| !known.contains(&r.agency));
        let has_root = agencies
            .iter()
            .any(|a| a.kind == AgencyKind::CityGovernment);
        if missing && has_root {
            self.p
                .agencies()
                .import(caller, bytes, AgencyImportFormat::TaoyuanSupplyList, label)
                .await?;
        }
        Ok(())
    }

    /// Plan and store parsed records of the source keyed `source_key`: create, update, leave
    /// unchanged, reject with reasons, and — only for a complete listing — withdraw what the
    /// source no longer lists. Audited, then freshness is reassessed.
    pub async fn import_listing(
        &self,
        caller: &Caller,
        format: CatalogFormat,
        listing: Listing,
        source_key: &str,
        started_at: Timestamp,
        report: ImportReport,
    ) -> DomainResult<(i64, ImportReport)> {
        let auth = self.authorize_import(caller, format).await?;
        let agencies: HashSet<AgencyCode> = self
            .p
            .stores
            .agencies
            .agencies()
            .await?
            .into_iter()
            .map(|a| a.code)
            .collect();
        let existing = self.p.stores.catalog.datasets_from(source_key).await?;
        let now = self.p.now();
        let plan = plan_catalog_import(
            &existing,
            listing.records,
            source_key,
            listing.complete,
            &agencies,
            now,
            report,
        );
        let source_name = plan.report.source.clone();
        let mut freshness = Vec::new();
        let mut events = Vec::new();
        for change in &plan.changes {
            match change {
                PlannedChange::Create {
                    record,
                    data_updated_at,
                } => {
                    freshness.push((
                        record.identifier.clone(),
                        snapshot(self.p, &record.frequency, *data_updated_at, None, now),
                    ));
                    events.push(caller.event(
                        now,
                        &auth,
                        "dataset.create",
                        "dataset",
                        &record.identifier,
                        json!({ "title": record.title_zh, "agency": record.agency, "source": plan.source }),
                    ));
                }
                PlannedChange::Update {
                    id,
                    before,
                    after,
                    data_updated_at,
                    reactivated,
                } => {
                    let held = existing.iter().find(|d| d.id == *id);
                    let data = data_updated_at.or(held.and_then(|d| d.data_updated_at));
                    let reviewed = held.and_then(|d| d.reviewed_at);
                    freshness.push((
                        after.identifier.clone(),
                        snapshot(self.p, &after.frequency, data, reviewed, now),
                    ));
                    events.push(caller.event(
                        now,
                        &auth,
                        if *reactivated {
                            "dataset.reactivate"
                        } else {
                            "dataset.update"
                        },
                        "dataset",
                        &after.identifier,
                        record_diff(before, after),
                    ));
                }
            }
        }
        for id in &plan.withdrawn {
            if let Some(d) = existing.iter().find(|d| d.id == *id) {
                events.push(caller.event(
                    now,
                    &auth,
                    "dataset.withdraw",
                    "dataset",
                    &d.record.identifier,
                    json!({ "reason": "no longer in its source", "source": plan.source }),
                ));
            }
        }
        let mut plan = plan;
        plan.report.withdrawn = plan.withdrawn.len() as u64;
        events.push(caller.event(
            now,
            &auth,
            "catalog.import",
            "import",
            &source_name,
            plan.report.summary(),
        ));
        let id = self
            .p
            .stores
            .catalog
            .apply_catalog_import(
                &plan,
                &freshness,
                started_at,
                now,
                &caller.principal.user_name,
                events,
            )
            .await?;
        // Series are judged across their members: reassess everything once the import is in.
        self.recompute_freshness(now).await?;
        Ok((id, plan.report))
    }

    pub async fn get(&self, caller: &Caller, id: i64) -> DomainResult<Dataset> {
        self.require_read(caller)?;
        self.p
            .stores
            .catalog
            .dataset(id)
            .await?
            .ok_or_else(|| DomainError::not_found("dataset", id.to_string()))
    }

    pub async fn get_by_identifier(
        &self,
        caller: &Caller,
        identifier: &str,
    ) -> DomainResult<Dataset> {
        self.require_read(caller)?;
        self.p
            .stores
            .catalog
            .dataset_by_identifier(identifier)
            .await?
            .ok_or_else(|| DomainError::not_found("dataset", identifier))
    }

    pub async fn search(&self, caller: &Caller, query: &SearchQuery) -> DomainResult<SearchResult> {
        self.require_read(caller)?;
        self.p.stores.catalog.search(query).await
    }

    pub async fn versions(&self, caller: &Caller, id: i64) -> DomainResult<Vec<DatasetVersion>> {
        self.require_read(caller)?;
        self.p.stores.catalog.versions(id).await
    }

    /// Harvests of whole catalogues are the platform's; an agency's own sheet may be uploaded
    /// by its stewards (each row is then checked against the agencies they may manage).
    async fn authorize_import(
        &self,
        caller: &Caller,
        format: CatalogFormat,
    ) -> DomainResult<crate::authz::Authorization> {
        if format == CatalogFormat::Sheet
            && !caller
                .principal
                .can(Permission::ManageCatalog, &Target::City)
        {
            let home = caller.principal.home_agency.clone();
            let target = self.p.agencies().target(home.as_ref()).await?;
            return caller
                .principal
                .authorize(Permission::ManageCatalog, &target);
        }
        caller
            .principal
            .authorize(Permission::ManageCatalog, &Target::City)
    }

    /// Rows for agencies the caller may not manage become refusals naming the agency.
    async fn only_manageable(
        &self,
        caller: &Caller,
        parsed: Vec<ParsedDataset>,
    ) -> DomainResult<Vec<ParsedDataset>> {
        let mut allowed: HashMap<AgencyCode, bool> = HashMap::new();
        let mut out = Vec::with_capacity(parsed.len());
        for mut row in parsed {
            if let Ok(record) = &row.result {
                let agency = record.agency.clone();
                let ok = match allowed.get(&agency) {
                    Some(ok) => *ok,
                    None => {
                        let ok = self.authorize_manage(caller, &agency).await.is_ok();
                        allowed.insert(agency.clone(), ok);
                        ok
                    }
                };
                if !ok {
                    row.result = Err(Text::new(
                        format!("您沒有登錄 {agency} 資料集的權限；請由該機關的資料管理員上傳"),
                        format!(
                            "you may not register datasets for {agency}; ask that agency's data steward to upload this row"
                        ),
                    ));
                }
            }
            out.push(row);
        }
        Ok(out)
    }

    async fn authorize_manage(
        &self,
        caller: &Caller,
        agency: &AgencyCode,
    ) -> DomainResult<crate::authz::Authorization> {
        let target = self.p.agencies().target(Some(agency)).await?;
        caller
            .principal
            .authorize(Permission::ManageCatalog, &target)
    }

    /// A steward registers a dataset by hand (for agencies with no system of their own).
    /// An empty identifier is derived from the agency and title. The data's own last update,
    /// when given, starts the freshness clock; otherwise the dataset is assessed as never updated.
    pub async fn create(
        &self,
        caller: &Caller,
        mut record: DatasetRecord,
    ) -> DomainResult<Dataset> {
        let auth = self.authorize_manage(caller, &record.agency).await?;
        let agency = self
            .p
            .stores
            .agencies
            .agency(&record.agency)
            .await?
            .ok_or_else(|| DomainError::not_found("agency", record.agency.as_str()))?;
        if !agency.active {
            return Err(DomainError::invalid(
                "agency",
                Text::new(
                    format!("{} 已裁撤，請改登錄在承接機關", agency.name_zh),
                    format!(
                        "{} is retired; register the dataset under its successor",
                        agency.code
                    ),
                ),
            ));
        }
        record.identifier = record.identifier.trim().to_string();
        if record.identifier.is_empty() {
            record.identifier =
                sources::sheet::derived_identifier(&record.agency, &record.title_zh);
        }
        if record.identifier.chars().count() > 200
            || record
                .identifier
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(DomainError::invalid(
                "identifier",
                Text::new(
                    "識別碼不可含空白，且不超過 200 字",
                    "an identifier has no spaces and at most 200 characters",
                ),
            ));
        }
        validate_entry(&record)?;
        let now = self.p.now();
        let data_updated_at = super::plan::data_timestamp(&record);
        if data_updated_at.is_some_and(|t| t > now) {
            return Err(DomainError::invalid(
                "data_updated",
                Text::new(
                    "資料更新時間不可晚於現在",
                    "the data's update time is in the future",
                ),
            ));
        }
        let snap = snapshot(self.p, &record.frequency, data_updated_at, None, now);
        let event = caller.event(
            now,
            &auth,
            "dataset.create",
            "dataset",
            &record.identifier,
            json!({ "title": record.title_zh, "agency": record.agency, "source": sources::sheet::SOURCE }),
        );
        self.p
            .stores
            .catalog
            .create_dataset(
                sources::sheet::SOURCE,
                &record,
                data_updated_at,
                &snap,
                now,
                &caller.principal.user_name,
                event,
            )
            .await
    }

    /// A steward edits the description: a new version; the freshness clock does not move.
    pub async fn update(
        &self,
        caller: &Caller,
        id: i64,
        record: DatasetRecord,
    ) -> DomainResult<Dataset> {
        let current = self.get(caller, id).await?;
        let auth = self
            .authorize_manage(caller, &current.record.agency)
            .await?;
        if record.agency != current.record.agency {
            self.authorize_manage(caller, &record.agency).await?;
        }
        if record.identifier != current.record.identifier {
            return Err(DomainError::invalid(
                "identifier",
                Text::new(
                    "資料集識別碼不可變更",
                    "a dataset's identifier never changes",
                ),
            ));
        }
        if record.title_zh.trim().is_empty() {
            return Err(DomainError::invalid(
                "title_zh",
                Text::new("請填寫資料集名稱", "the title is required"),
            ));
        }
        if record.frequency != current.record.frequency {
            validate_entry(&record)?;
        }
        if record == current.record {
            return Ok(current);
        }
        let at = self.p.now();
        let event = caller.event(
            at,
            &auth,
            "dataset.update",
            "dataset",
            &record.identifier,
            record_diff(&current.record, &record),
        );
        self.p
            .stores
            .catalog
            .update_dataset(id, &record, at, &caller.principal.user_name, event)
            .await
    }

    /// A steward confirms the data is still current ("reviewed, nothing new").
    pub async fn mark_reviewed(
        &self,
        caller: &Caller,
        id: i64,
        note: &str,
    ) -> DomainResult<Dataset> {
        let current = self.get(caller, id).await?;
        let auth = self
            .authorize_manage(caller, &current.record.agency)
            .await?;
        let at = self.p.now();
        let fresh = snapshot(
            self.p,
            &current.record.frequency,
            current.data_updated_at,
            Some(at),
            at,
        );
        let event = caller.event(
            at,
            &auth,
            "dataset.review",
            "dataset",
            &current.record.identifier,
            json!({ "note": note.chars().take(500).collect::<String>(), "state": fresh.state }),
        );
        self.p
            .stores
            .catalog
            .record_evidence(id, None, Some(at), &fresh, event)
            .await
    }

    /// The catalogue in DCAT-AP 3 (Turtle or JSON-LD). Without a caller (an anonymous
    /// harvester) only open datasets are listed; staff see every active dataset.
    pub async fn dcat(
        &self,
        caller: Option<&Caller>,
        base: &str,
        turtle: bool,
    ) -> DomainResult<String> {
        if let Some(caller) = caller {
            self.require_read(caller)?;
        }
        let agencies = self.p.stores.agencies.agencies().await?;
        let publisher = agencies
            .iter()
            .find(|a| a.kind == AgencyKind::CityGovernment)
            .map(|a| a.code.clone())
            .ok_or_else(|| {
                DomainError::conflict(
                    "尚未建立市政府機關",
                    "the city government agency does not exist yet",
                )
            })?;
        let datasets: Vec<Dataset> = self
            .p
            .stores
            .catalog
            .active_datasets()
            .await?
            .into_iter()
            .filter(|d| {
                caller.is_some() || d.record.access_level == super::model::AccessLevel::Open
            })
            .collect();
        let base = base.trim_end_matches('/');
        let info = super::dcat::CatalogInfo {
            title: Text::new("桃園市政府資料目錄", "Taoyuan City Government data catalogue"),
            description: Text::new(
                "桃園市政府各機關的資料集清冊，含更新頻率與更新狀態。",
                "The datasets of Taoyuan City Government's agencies, with their update frequency and freshness.",
            ),
            publisher,
            homepage: format!("{base}/catalog"),
            issued: None,
            licence_url: Some("https://data.gov.tw/license".into()),
            // Taoyuan City's extent, approximately (WGS 84).
            place: Some(super::dcat::Place {
                slug: "taoyuan".into(),
                name: Text::new("桃園市", "Taoyuan City"),
                bbox_wkt: Some("POLYGON((120.98 24.59, 121.49 24.59, 121.49 25.12, 120.98 25.12, 120.98 24.59))".into()),
                centroid_wkt: Some("POINT(121.23 24.90)".into()),
            }),
        };
        Ok(if turtle {
            super::dcat::catalog_turtle(&info, &agencies, &datasets, base)
        } else {
            super::dcat::catalog_jsonld(&info, &agencies, &datasets, base).to_string()
        })
    }

    /// Reassess every dataset as of `now`; the hourly job and imports call this. Members of a
    /// yearly series (104年…, 105年…) are judged as a series: past years are complete, and the
    /// latest year is late when the next year's dataset has not appeared in time. Stewards
    /// are told about datasets that became due soon, overdue or due for review.
    pub async fn recompute_freshness(&self, now: Timestamp) -> DomainResult<FreshnessRun> {
        let rows = self.p.stores.catalog.freshness_rows().await?;
        let mut frequencies = Frequencies::default();
        let mut series: HashMap<(String, String), Vec<&FreshnessRow>> = HashMap::new();
        for r in rows.iter().filter(|r| !r.withdrawn) {
            if let (Some(key), Some(_)) = (&r.series, r.series_year) {
                series
                    .entry((r.agency.clone(), key.clone()))
                    .or_default()
                    .push(r);
            }
        }
        series.retain(|_, members| members.len() >= 2);
        let mut judged: HashMap<i64, FreshnessSnapshot> = HashMap::new();
        for ((_, key), members) in &series {
            let latest = members.iter().filter_map(|m| m.series_year).max();
            let assessment = assess_yearly_series(
                &members
                    .iter()
                    .filter_map(|m| {
                        m.series_year.map(|y| SeriesMember {
                            roc_year: y,
                            issued: m.data_updated_at,
                        })
                    })
                    .collect::<Vec<_>>(),
                &UpdateFrequency::Regular(crate::freshness::Period::YEARLY),
                &self.p.freshness,
                now,
            );
            for m in members {
                let snap = if m.series_year == latest {
                    let own = row_snapshot(self.p, m, frequencies.of(&m.frequency), now);
                    if assessment.freshness.state.is_late() && !own.state.is_late() {
                        FreshnessSnapshot {
                            state: assessment.freshness.state,
                            assessed_at: now,
                            due_at: assessment.freshness.due_at,
                            explanation: Text::new(
                                format!(
                                    "年度系列「{key}」：{}",
                                    assessment.freshness.explanation.zh
                                ),
                                format!(
                                    "Yearly series '{key}': {}",
                                    assessment.freshness.explanation.en
                                ),
                            ),
                        }
                    } else {
                        own
                    }
                } else {
                    let next = m.series_year.map(|y| y + 1).unwrap_or_default();
                    FreshnessSnapshot {
                        state: FreshnessState::NotApplicable,
                        assessed_at: now,
                        due_at: None,
                        explanation: Text::new(
                            format!(
                                "屬於年度系列「{key}」的過去年度資料，已由民國{next}年（或更新）的資料接續，不再檢測是否逾期。"
                            ),
                            format!(
                                "A past year of the yearly series '{key}', followed by ROC year {next} or later: no longer judged on its own."
                            ),
                        ),
                    }
                };
                judged.insert(m.id, snap);
            }
        }
        let day = crate::time::iso_date(now.taipei_date());
        // The day's point of the history: active datasets per agency, frequency class and state.
        let mut counts: HashMap<(&str, &'static str, &'static str), u64> = HashMap::new();
        let mut snapshots: Vec<(i64, FreshnessSnapshot)> = Vec::with_capacity(rows.len());
        for r in &rows {
            let frequency = frequencies.of(&r.frequency);
            let class = frequency_class(frequency);
            let snap = match judged.remove(&r.id) {
                Some(snap) => snap,
                None => row_snapshot(self.p, r, frequency, now),
            };
            if !r.withdrawn {
                *counts
                    .entry((r.agency.as_str(), class, snap.state.code()))
                    .or_default() += 1;
            }
            snapshots.push((r.id, snap));
        }
        let history: Vec<FreshnessHistoryRow> = counts
            .into_iter()
            .map(|((agency, class, state), count)| FreshnessHistoryRow {
                day: day.clone(),
                agency: agency.to_string(),
                frequency_class: class.to_string(),
                state: state.to_string(),
                count,
            })
            .collect();
        let stored = self
            .p
            .stores
            .catalog
            .store_freshness(&snapshots, &day, &history)
            .await?;
        // The new states are stored whatever happens next: a failure to write the notices is
        // logged rather than undoing an import that already succeeded.
        let notified = match self
            .p
            .notifications()
            .freshness_changed(&stored.transitions, now)
            .await
        {
            Ok(queued) => queued,
            Err(e) => {
                tracing::error!(error = %e, "freshness notices could not be queued");
                Queued::default()
            }
        };
        Ok(FreshnessRun {
            changed: stored.changed,
            notified,
        })
    }
}

/// `{field: [before, after]}` over the description's fields.
fn record_diff(before: &DatasetRecord, after: &DatasetRecord) -> serde_json::Value {
    crate::audit::diff_json(
        &serde_json::to_value(before).unwrap_or_default(),
        &serde_json::to_value(after).unwrap_or_default(),
    )
}
