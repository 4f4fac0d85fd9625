//! What people may do with alerts: import a batch (parse → place → classify → group → store,
//! one transaction, one audit entry per run), list alerts and notifications, and read the
//! counts by category and severity. Reads are scoped by agency like the catalogue's grants.

use std::collections::HashSet;

use serde::Serialize;

use crate::agencies::{AgencyCode, AgencyTree};
use crate::alerts::ingest::{AlertWrite, ClassifiedAlert};
use crate::alerts::parse::parse_batch;
use crate::alerts::query::{AlertFilter, AlertGroupRow, AlertRow, AlertSummary};
use crate::alerts::severity::ScoreContext;
use crate::alerts::source::SourceConfig;
use crate::alerts::{Alert, Fingerprint};
use crate::authz::{Authorization, Permission, Target};
use crate::error::{DomainError, DomainResult};
use crate::import::ImportReport;
use crate::intel::{ActiveIndicators, AlertMatch};
use crate::page::{Page, PageRequest};
use crate::platform::{Caller, Platform};

/// What one import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertImport {
    pub run_id: i64,
    /// received = created + duplicates + rejected; `created` is the alerts stored.
    pub report: ImportReport,
    /// Events of the source that are not alerts (EVE `flow`, `stats`…): counted, not kept,
    /// and not part of `report.received`.
    pub skipped_other_events: u64,
    pub rule_set_version: String,
    /// Matches of the new alerts with active threat-intel indicators (each recorded as a
    /// sighting of its notification).
    pub intel_matches: u64,
}

pub struct AlertService<'a> {
    p: &'a Platform,
}

impl<'a> AlertService<'a> {
    pub fn new(p: &'a Platform) -> Self {
        AlertService { p }
    }

    /// Imports place alerts in any agency, so they need `manage_alerts` city-wide. Callers
    /// that take a body (the bulk endpoint) ask this before reading it.
    pub fn authorize_import(&self, caller: &Caller) -> DomainResult<Authorization> {
        caller
            .principal
            .authorize(Permission::ManageAlerts, &Target::City)
    }

    /// A configured source by name.
    pub fn source(&self, name: &str) -> DomainResult<&'a SourceConfig> {
        self.p
            .alert_settings
            .source(name)
            .ok_or_else(|| DomainError::not_found("alert source", name))
    }

    /// Import one batch (a file, an HTTP body) from `source`; `label` names it in the
    /// import history (a file name, or `bulk`).
    pub async fn import(
        &self,
        caller: &Caller,
        source: &SourceConfig,
        bytes: &[u8],
        label: &str,
    ) -> DomainResult<AlertImport> {
        let auth = self.authorize_import(caller)?;
        let settings = &self.p.alert_settings;
        let rules = settings.rule_set()?;
        let started_at = self.p.now();
        let batch = parse_batch(source, bytes, started_at);
        let fingerprints: Vec<Fingerprint> = batch.alerts.iter().map(|a| a.fingerprint).collect();
        let intel = self.p.intel().active().await?;
        // The store refuses the write if an alert arrived from elsewhere between the look-up
        // and the write (nothing is written then); the second look-up sees it.
        let mut attempt = 0;
        loop {
            attempt += 1;
            let known = self
                .p
                .stores
                .alerts
                .known_fingerprints(&fingerprints)
                .await?;
            let fresh: Vec<&Alert> = batch
                .alerts
                .iter()
                .filter(|a| !known.contains(&a.fingerprint))
                .collect();
            let report = batch.import_report(source.kind().as_str(), label, known.len() as u64);
            let (classified, matches) = self.classify(&fresh, rules, &intel);
            let write = AlertWrite::new(classified);
            let at = self.p.now();
            let mut summary = report.summary();
            if let Some(map) = summary.as_object_mut() {
                map.insert("source".into(), source.name.as_str().into());
                map.insert(
                    "skipped_other_events".into(),
                    batch.skipped_other_events.into(),
                );
                map.insert("rule_set_version".into(), rules.version().into());
                map.insert("notifications_touched".into(), write.groups.len().into());
                map.insert("intel_matches".into(), matches.len().into());
            }
            let event = caller.event(at, &auth, "alerts.import", "import", label, summary);
            let stored = self
                .p
                .stores
                .alerts
                .store_alert_import(
                    write,
                    &report,
                    started_at,
                    at,
                    &caller.principal.user_name,
                    event,
                )
                .await;
            match stored {
                Ok(run_id) => {
                    let intel_matches = matches.len() as u64;
                    // The run's audit entry counts the matches; a failure here leaves the
                    // alerts stored and `civitas intel match` records their sightings later.
                    self.p.intel().record_matches(matches, None).await?;
                    return Ok(AlertImport {
                        run_id,
                        report,
                        skipped_other_events: batch.skipped_other_events,
                        rule_set_version: rules.version().to_string(),
                        intel_matches,
                    });
                }
                Err(DomainError::AlreadyExists { .. }) if attempt < 3 => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Place, classify and group each new alert, matching it against the active indicators;
    /// returns the alerts and their intel matches.
    fn classify(
        &self,
        alerts: &[&Alert],
        rules: &crate::alerts::RuleSet,
        intel: &ActiveIndicators,
    ) -> (Vec<ClassifiedAlert>, Vec<AlertMatch>) {
        let settings = &self.p.alert_settings;
        // Recurrence and target criticality need the asset register, which is not wired in
        // yet; intel matches come from the in-memory index.
        let mut matches = Vec::new();
        let classified = alerts
            .iter()
            .map(|alert| {
                let placed = settings.agencies.resolve(alert);
                let matched = intel.matches(alert);
                let context = ScoreContext {
                    intel_match: !matched.is_empty(),
                    intel_indicators: matched.iter().map(|id| intel.label(id)).collect(),
                    ..ScoreContext::default()
                };
                matches.extend(matched.into_iter().map(|indicator| AlertMatch {
                    fingerprint: alert.fingerprint,
                    indicator,
                }));
                let classification = rules.classify(alert, &context);
                let member = settings.grouping.member(
                    alert,
                    placed.agency.as_ref(),
                    Some(classification.category),
                );
                ClassifiedAlert {
                    alert: (*alert).clone(),
                    agency: placed.agency,
                    agency_reason: placed.reason,
                    classification,
                    group_key: member.key.canonical(),
                    window_start: member.window_start,
                }
            })
            .collect();
        (classified, matches)
    }

    /// The agencies whose alerts the caller reads: `None` is the whole city.
    async fn visible(&self, caller: &Caller) -> DomainResult<Option<Vec<AgencyCode>>> {
        let principal = &caller.principal;
        if principal.can(Permission::ReadAlerts, &Target::City) {
            return Ok(None);
        }
        if !principal.can_somewhere(Permission::ReadAlerts) {
            return Err(DomainError::Forbidden {
                needed: Permission::ReadAlerts.as_str().into(),
            });
        }
        let agencies = self.p.stores.agencies.agencies().await?;
        let tree = AgencyTree::new(&agencies);
        let visible: HashSet<AgencyCode> = agencies
            .iter()
            .filter(|a| {
                principal.can(
                    Permission::ReadAlerts,
                    &Target::Agency(tree.lineage(&a.code)),
                )
            })
            .map(|a| a.code.clone())
            .collect();
        let mut visible: Vec<AgencyCode> = visible.into_iter().collect();
        visible.sort();
        Ok(Some(visible))
    }

    async fn scoped(&self, caller: &Caller, filter: &AlertFilter) -> DomainResult<AlertFilter> {
        let mut filter = filter.clone();
        filter.visible = self.visible(caller).await?;
        Ok(filter)
    }

    /// Alerts the caller may read, newest first.
    pub async fn list(
        &self,
        caller: &Caller,
        filter: &AlertFilter,
        page: PageRequest,
    ) -> DomainResult<Page<AlertRow>> {
        let filter = self.scoped(caller, filter).await?;
        self.p.stores.alerts.alerts(&filter, page).await
    }

    /// Notifications the caller may read, most recent first.
    pub async fn notifications(
        &self,
        caller: &Caller,
        filter: &AlertFilter,
        page: PageRequest,
    ) -> DomainResult<Page<AlertGroupRow>> {
        let filter = self.scoped(caller, filter).await?;
        self.p.stores.alerts.alert_groups(&filter, page).await
    }

    /// Counts and shares by category and severity, from the rollups (never the alerts):
    /// the filter's `from`/`to` select whole Taipei days.
    pub async fn summary(
        &self,
        caller: &Caller,
        filter: &AlertFilter,
    ) -> DomainResult<AlertSummary> {
        let filter = self.scoped(caller, filter).await?;
        let day = |t: crate::time::Timestamp| crate::time::iso_date(t.taipei_date());
        // `to` is exclusive: the last day counted is the one holding the instant before it.
        let to_day = filter
            .to
            .map(|t| day(t.sub(time::Duration::milliseconds(1))));
        let from_day = filter.from.map(day);
        let rows = self
            .p
            .stores
            .alerts
            .alert_rollups(&filter, from_day.as_deref(), to_day.as_deref())
            .await?;
        Ok(AlertSummary::from_rollups(&rows))
    }
}
