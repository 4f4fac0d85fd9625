//! What people may do with threat intelligence: import STIX bundles (and TAXII pages), list
//! indicators and sightings, match the stored alerts against the active indicators, add the
//! city's own indicators, and export what the city shares as a STIX 2.1 bundle.
//!
//! Intel changes how alerts are scored, so managing it needs `manage_alerts` city-wide (the
//! permission that already covers "how alerts are classified", held by the same SOC analysts);
//! reading indicators needs `read_alerts` anywhere, and sightings are scoped like alerts.
//!
//! The active indicators are held in memory, shared by every clone of the platform, and
//! rebuilt only when the store's indicator generation moves (an import here, or by another
//! process such as the CLI beside the server): one small read per alert batch.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use serde::Serialize;
use serde_json::Value;

use crate::agencies::{AgencyCode, AgencyTree};
use crate::alerts::Alert;
use crate::authz::{Authorization, Permission, Target};
use crate::error::{DomainError, DomainResult};
use crate::import::ImportReport;
use crate::page::{Page, PageRequest};
use crate::platform::{Caller, Platform};
use crate::time::Timestamp;

use super::bundle::{Action, ParsedBundle, PlannedObject, parse_bundle};
use super::export::{CityExport, IndicatorDraft, city_indicator, export_city_bundle};
use super::id::StixId;
use super::matcher::{IndicatorEntry, IndicatorIndex};
use super::object::StixObject;
use super::pattern::{MatchPlan, Test};
use super::sighting::{
    CityIdentity, CitySighting, SightingChange, SightingObservation, record_sighting,
};
use super::stored::{
    AlertMatch, IndicatorFilter, IndicatorRow, SightingFilter, SightingRow, alert_key,
};
use super::tlp::{Tlp, TlpVersion};

/// Alerts read per batch when matching what is stored.
const BACKFILL_BATCH: usize = 2_000;

/// Who the city is in what it shares, and the marking its sightings carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntelSettings {
    pub city_name: String,
    /// When the city's identity object was first written (it never changes, so every export
    /// names the same identity version).
    pub city_since: Timestamp,
    pub tlp: Tlp,
    pub tlp_version: TlpVersion,
}

impl Default for IntelSettings {
    fn default() -> Self {
        IntelSettings {
            city_name: "桃園市政府 Taoyuan City Government".into(),
            city_since: Timestamp::from_offset(time::macros::datetime!(2024-01-01 0:00 UTC)),
            tlp: Tlp::Amber,
            tlp_version: TlpVersion::V2,
        }
    }
}

impl IntelSettings {
    pub fn city(&self) -> CityIdentity {
        CityIdentity::new(&self.city_name, self.city_since)
    }
}

/// The indicators that can match, as of one store generation.
#[derive(Debug, Default)]
pub struct ActiveIndicators {
    generation: i64,
    index: IndicatorIndex,
    names: HashMap<StixId, Option<String>>,
}

impl ActiveIndicators {
    pub fn is_empty(&self) -> bool {
        self.index.summary().indexed == 0
    }

    pub fn len(&self) -> u64 {
        self.index.summary().indexed
    }

    /// The indicators active at the alert's time that its observables match, in id order.
    pub fn matches(&self, alert: &Alert) -> Vec<StixId> {
        self.matches_observables(&alert.observables, alert.observed_at)
    }

    fn matches_observables(
        &self,
        observables: &[crate::alerts::Observable],
        at: Timestamp,
    ) -> Vec<StixId> {
        if self.is_empty() {
            return Vec::new();
        }
        let keys: Vec<_> = observables.iter().map(alert_key).collect();
        self.index
            .matches_keys(&keys, at)
            .into_iter()
            .map(|m| m.indicator)
            .collect()
    }

    /// How a severity reason names an indicator: its name and id, or its id.
    pub fn label(&self, id: &StixId) -> String {
        match self.names.get(id) {
            Some(Some(name)) => format!("{name} ({id})"),
            _ => id.to_string(),
        }
    }
}

/// The platform's intel state: settings and the shared in-memory index.
#[derive(Debug, Default)]
pub struct IntelState {
    pub settings: IntelSettings,
    active: RwLock<Option<Arc<ActiveIndicators>>>,
}

impl IntelState {
    pub fn new(settings: IntelSettings) -> Self {
        IntelState {
            settings,
            active: RwLock::new(None),
        }
    }
}

/// What one import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntelImport {
    pub run_id: i64,
    pub bundle_id: Option<String>,
    /// received = created + updated + unchanged + duplicates + rejected.
    pub report: ImportReport,
    /// Indicators that can match now, after the import.
    pub active_indicators: u64,
}

/// What matching the stored alerts did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MatchRun {
    pub alerts_checked: u64,
    pub matches: u64,
    pub sightings_created: u64,
    pub sightings_updated: u64,
}

pub struct IntelService<'a> {
    p: &'a Platform,
}

impl<'a> IntelService<'a> {
    pub fn new(p: &'a Platform) -> Self {
        IntelService { p }
    }

    pub(crate) fn platform(&self) -> &'a Platform {
        self.p
    }

    /// Imports, matching and export need `manage_alerts` city-wide; callers that take a body
    /// ask this before reading it.
    pub fn authorize_manage(&self, caller: &Caller) -> DomainResult<Authorization> {
        caller
            .principal
            .authorize(Permission::ManageAlerts, &Target::City)
    }

    fn authorize_read(&self, caller: &Caller) -> DomainResult<()> {
        if caller.principal.can_somewhere(Permission::ReadAlerts) {
            return Ok(());
        }
        Err(DomainError::Forbidden {
            needed: Permission::ReadAlerts.as_str().into(),
        })
    }

    /// Imports one STIX 2.1 bundle; `label` names it in the import history.
    pub async fn import_bundle(
        &self,
        caller: &Caller,
        bytes: &[u8],
        label: &str,
    ) -> DomainResult<IntelImport> {
        let auth = self.authorize_manage(caller)?;
        let started_at = self.p.now();
        let parsed = parse_bundle(bytes, label);
        self.store_parsed(caller, &auth, parsed, started_at, "intel.import")
            .await
    }

    /// Imports objects already read (a TAXII page through [`crate::intel::Page::parse`]).
    pub async fn import_parsed(
        &self,
        caller: &Caller,
        parsed: ParsedBundle,
    ) -> DomainResult<IntelImport> {
        let auth = self.authorize_manage(caller)?;
        let started_at = self.p.now();
        self.store_parsed(caller, &auth, parsed, started_at, "intel.import")
            .await
    }

    async fn store_parsed(
        &self,
        caller: &Caller,
        auth: &Authorization,
        parsed: ParsedBundle,
        started_at: Timestamp,
        action: &str,
    ) -> DomainResult<IntelImport> {
        let ids: Vec<StixId> = parsed.ids().into_iter().cloned().collect();
        // The store refuses the write when another import stored one of these versions
        // between the look-up and the write (nothing is written then); planning again sees it.
        let mut attempt = 0;
        loop {
            attempt += 1;
            let stored = self.p.stores.intel.intel_versions(&ids).await?;
            let import = parsed.clone().plan(&stored);
            let report = import.report;
            let bundle_id = import.bundle_id.map(|id| id.to_string());
            let at = self.p.now();
            let mut summary = report.summary();
            if let Some(map) = summary.as_object_mut() {
                map.insert("bundle_id".into(), bundle_id.clone().into());
                let indicators = import
                    .to_store
                    .iter()
                    .filter(|o| o.object.as_indicator().is_some())
                    .count();
                map.insert("indicators_stored".into(), indicators.into());
            }
            let event = caller.event(at, auth, action, "intel", &report.source, summary);
            let stored = self
                .p
                .stores
                .intel
                .store_intel_import(
                    import.to_store,
                    &report,
                    started_at,
                    at,
                    &caller.principal.user_name,
                    event,
                )
                .await;
            match stored {
                Ok(run_id) => {
                    let active = self.active().await?;
                    return Ok(IntelImport {
                        run_id,
                        bundle_id,
                        report,
                        active_indicators: active.len(),
                    });
                }
                Err(DomainError::AlreadyExists { .. }) if attempt < 3 => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Writes an indicator of the city's own (e.g. from an incident it handled), marked with
    /// `tlp`; writing the same pattern again makes a new version of the same indicator.
    pub async fn add_indicator(
        &self,
        caller: &Caller,
        draft: &IndicatorDraft,
        tlp: Tlp,
    ) -> DomainResult<IntelImport> {
        let auth = self.authorize_manage(caller)?;
        let settings = &self.p.intel.settings;
        let at = self.p.now();
        let object = city_indicator(&settings.city(), draft, tlp, settings.tlp_version, at)
            .map_err(|why| DomainError::invalid("pattern", why))?;
        let mut report =
            ImportReport::new(super::bundle::REPORT_KIND, "civitas-indicator", &draft.name);
        report.received = 1;
        let held = self
            .p
            .stores
            .intel
            .intel_versions(std::slice::from_ref(&object.id))
            .await?;
        let action = if held.contains_key(&object.id) {
            report.updated = 1;
            Action::Update
        } else {
            report.created = 1;
            Action::Create
        };
        let parsed_like = vec![PlannedObject {
            position: 1,
            action,
            object,
        }];
        let mut summary = report.summary();
        if let Some(map) = summary.as_object_mut() {
            map.insert("pattern".into(), draft.pattern.clone().into());
            map.insert("tlp".into(), tlp.label().into());
        }
        let id = parsed_like
            .first()
            .map(|o| o.object.id.to_string())
            .unwrap_or_default();
        let event = caller.event(
            at,
            &auth,
            "intel.indicator.write",
            "indicator",
            &id,
            summary,
        );
        let run_id = self
            .p
            .stores
            .intel
            .store_intel_import(
                parsed_like,
                &report,
                at,
                at,
                &caller.principal.user_name,
                event,
            )
            .await?;
        let active = self.active().await?;
        Ok(IntelImport {
            run_id,
            bundle_id: None,
            report,
            active_indicators: active.len(),
        })
    }

    /// The indicators that can match, rebuilt when the store's generation has moved.
    pub async fn active(&self) -> DomainResult<Arc<ActiveIndicators>> {
        let generation = self.p.stores.intel.indicator_generation().await?;
        if let Ok(held) = self.p.intel.active.read()
            && let Some(active) = held.as_ref()
            && active.generation == generation
        {
            return Ok(active.clone());
        }
        let rows = self.p.stores.intel.indexed_indicators().await?;
        let mut names = HashMap::with_capacity(rows.len());
        let entries: Vec<IndicatorEntry> = rows
            .into_iter()
            .filter_map(|row| {
                let alternatives: Option<Vec<Vec<Test>>> = row
                    .alternatives
                    .iter()
                    .map(|tests| tests.iter().map(|t| t.test()).collect())
                    .collect();
                names.insert(row.id.clone(), row.name);
                Some(IndicatorEntry {
                    id: row.id,
                    valid_from: row.valid_from,
                    valid_until: row.valid_until,
                    plan: MatchPlan {
                        alternatives: alternatives?,
                    },
                })
            })
            .collect();
        let active = Arc::new(ActiveIndicators {
            generation,
            index: IndicatorIndex::from_entries(entries),
            names,
        });
        if let Ok(mut held) = self.p.intel.active.write() {
            *held = Some(active.clone());
        }
        Ok(active)
    }

    /// Indicators, newest version each, most recently modified first.
    pub async fn indicators(
        &self,
        caller: &Caller,
        filter: &IndicatorFilter,
        page: PageRequest,
    ) -> DomainResult<Page<IndicatorRow>> {
        self.authorize_read(caller)?;
        self.p.stores.intel.indicators(filter, page).await
    }

    /// Sightings of the notifications the caller reads, most recently seen first.
    pub async fn sightings(
        &self,
        caller: &Caller,
        filter: &SightingFilter,
        page: PageRequest,
    ) -> DomainResult<Page<SightingRow>> {
        let mut filter = filter.clone();
        filter.visible = self.visible(caller).await?;
        self.p.stores.intel.sightings(&filter, page).await
    }

    /// The agencies whose sightings the caller reads (those whose alerts they read); `None`
    /// is the whole city.
    async fn visible(&self, caller: &Caller) -> DomainResult<Option<Vec<AgencyCode>>> {
        let principal = &caller.principal;
        if principal.can(Permission::ReadAlerts, &Target::City) {
            return Ok(None);
        }
        self.authorize_read(caller)?;
        let agencies = self.p.stores.agencies.agencies().await?;
        let tree = AgencyTree::new(&agencies);
        let mut visible: Vec<AgencyCode> = agencies
            .iter()
            .filter(|a| {
                principal.can(
                    Permission::ReadAlerts,
                    &Target::Agency(tree.lineage(&a.code)),
                )
            })
            .map(|a| a.code.clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        visible.sort();
        Ok(Some(visible))
    }

    /// Matches every stored alert against the indicators active at its time and records the
    /// sightings; running it again changes nothing.
    pub async fn match_stored(&self, caller: &Caller) -> DomainResult<MatchRun> {
        let auth = self.authorize_manage(caller)?;
        let active = self.active().await?;
        let mut run = MatchRun::default();
        let mut matches = Vec::new();
        let mut after = 0;
        loop {
            let batch = self
                .p
                .stores
                .intel
                .alerts_for_matching(after, BACKFILL_BATCH)
                .await?;
            let Some(last) = batch.last() else { break };
            after = last.id;
            for alert in &batch {
                run.alerts_checked += 1;
                for indicator in active.matches_observables(&alert.observables, alert.observed_at) {
                    matches.push(AlertMatch {
                        fingerprint: alert.fingerprint,
                        indicator,
                    });
                }
            }
        }
        run.matches = matches.len() as u64;
        let at = self.p.now();
        let summary = serde_json::json!({
            "alerts_checked": run.alerts_checked,
            "matches": run.matches,
            "active_indicators": active.len(),
        });
        let event = caller.event(at, &auth, "intel.match", "intel", "alerts", summary);
        let (created, updated) = self.record_matches(matches, Some(event)).await?;
        run.sightings_created = created;
        run.sightings_updated = updated;
        Ok(run)
    }

    /// Keeps the matches and brings each touched sighting up to date. Returns how many
    /// sightings were created and updated. Called by the alert import for new alerts (whose
    /// run is audited already) and by [`IntelService::match_stored`].
    pub(crate) async fn record_matches(
        &self,
        matches: Vec<AlertMatch>,
        audit: Option<crate::audit::AuditEvent>,
    ) -> DomainResult<(u64, u64)> {
        if matches.is_empty() && audit.is_none() {
            return Ok((0, 0));
        }
        let at = self.p.now();
        let tallies = self.p.stores.intel.link_alert_matches(matches, at).await?;
        let city = self.p.intel.settings.city();
        let (mut created, mut updated) = (0, 0);
        let mut changed = Vec::new();
        for tally in tallies {
            let observation = SightingObservation {
                indicator: tally.indicator.clone(),
                group_key: tally.group_key.clone(),
                first_seen: tally.first_seen,
                last_seen: tally.last_seen,
                count: tally.count,
                observed_data_refs: Vec::new(),
            };
            match record_sighting(tally.stored.as_ref(), &observation, &city, at) {
                SightingChange::Unchanged => {}
                SightingChange::Created(s) => {
                    created += 1;
                    changed.push((tally.group_id, s));
                }
                SightingChange::Updated(s) => {
                    updated += 1;
                    changed.push((tally.group_id, s));
                }
            }
        }
        if !changed.is_empty() || audit.is_some() {
            self.p.stores.intel.save_sightings(changed, audit).await?;
        }
        Ok((created, updated))
    }

    /// The STIX 2.1 bundle the city shares: its identity, its own indicators, every sighting
    /// and the TLP marking definitions they refer to.
    pub async fn export(&self, caller: &Caller) -> DomainResult<Value> {
        self.authorize_manage(caller)?;
        let settings = &self.p.intel.settings;
        let city = settings.city();
        let indicators: Vec<StixObject> = self
            .p
            .stores
            .intel
            .intel_objects_by("indicator", &city.id)
            .await?;
        let mut sightings: Vec<CitySighting> = Vec::new();
        let mut page = 1;
        loop {
            let found = self
                .p
                .stores
                .intel
                .sightings(
                    &SightingFilter::default(),
                    PageRequest::new(Some(page), Some(crate::page::MAX_PER_PAGE)),
                )
                .await?;
            let done = found.items.len() < found.per_page as usize;
            sightings.extend(found.items.into_iter().map(|row| row.sighting));
            if done {
                break;
            }
            page += 1;
        }
        sightings.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(export_city_bundle(&CityExport {
            city: &city,
            tlp: settings.tlp,
            tlp_version: settings.tlp_version,
            sightings: &sightings,
            indicators: &indicators,
        }))
    }
}
