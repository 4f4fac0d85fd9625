//! What people may do with alerts: import a batch (parse → place → classify → group → store,
//! one transaction, one audit entry per run), list alerts and notifications, and read the
//! counts by category and severity. Reads are scoped by agency like the catalogue's grants.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::agencies::{AgencyCode, AgencyTree};
use crate::alerts::analysis::{
    AlertAnalysis, AlertNote, Dimension, NewAlertNote, SpikePolicy, TopList, Trend, breakdowns,
    month_of, months_back, next_month, spikes, top_values,
};
use crate::alerts::ingest::{AlertWrite, ClassifiedAlert};
use crate::alerts::parse::{ParsedBatch, parse_batch};
use crate::alerts::query::{AlertFilter, AlertGroupRow, AlertRow, AlertSummary};
use crate::alerts::reclassify::{Reclassification, Tally};
use crate::alerts::rules::{RuleSet, RuleSetError};
use crate::alerts::severity::ScoreContext;
use crate::alerts::source::SourceConfig;
use crate::alerts::{Alert, Fingerprint};
use crate::authz::{Authorization, Permission, Target};
use crate::error::{DomainError, DomainResult};
use crate::import::ImportReport;
use crate::intel::{ActiveIndicators, AlertMatch};
use crate::page::{Page, PageRequest};
use crate::platform::{Caller, Platform};

/// How many lines of a file `AlertService::import_file` reads, classifies and stores at once.
pub const IMPORT_CHUNK_RECORDS: usize = 20_000;

/// The file cut into chunks of `chunk_records` whole lines: (first line number, byte range). A JSON array
/// document (or a file without line breaks) is one chunk.
fn chunks(
    source: &SourceConfig,
    bytes: &[u8],
    chunk_records: usize,
) -> Vec<(u64, std::ops::Range<usize>)> {
    let first = bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace() && **b != 0xEF && **b != 0xBB && **b != 0xBF);
    let is_json = !matches!(
        source.format,
        crate::alerts::SourceFormat::Cef
            | crate::alerts::SourceFormat::Syslog5424
            | crate::alerts::SourceFormat::Syslog3164
    );
    if bytes.is_empty() {
        return Vec::new();
    }
    if is_json && first == Some(&b'[') {
        return vec![(1, 0..bytes.len())];
    }
    let mut out = Vec::new();
    let (mut start, mut line, mut lines_in_chunk) = (0usize, 1u64, 0usize);
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'\n' {
            lines_in_chunk += 1;
            if lines_in_chunk == chunk_records {
                out.push((line, start..i + 1));
                line += lines_in_chunk as u64;
                start = i + 1;
                lines_in_chunk = 0;
            }
        }
    }
    if start < bytes.len() {
        out.push((line, start..bytes.len()));
    }
    out
}

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
        let rules = self.rules_in_force().await?;
        let intel = self.p.intel().active().await?;
        let started_at = self.p.now();
        let batch = parse_batch(source, bytes, started_at);
        self.store_batch(
            caller, &auth, source, &rules, &intel, batch, label, started_at,
        )
        .await
    }

    /// Imports a file, however large: line formats are read in chunks of
    /// [`IMPORT_CHUNK_RECORDS`] lines, each stored in its own transaction and import run
    /// (labelled with its lines), so memory stays bounded, `progress(done, total)` can report
    /// bytes, and a re-run after a crash adds only what is missing. The next chunk is parsed on
    /// another core while this one is stored. A JSON array document is one chunk. Returns the
    /// file's totals (the run is the last chunk's); rejected lines carry the file's numbers.
    pub async fn import_file(
        &self,
        caller: &Caller,
        source: &SourceConfig,
        bytes: &[u8],
        label: &str,
        progress: &mut (dyn FnMut(u64, u64) + Send),
    ) -> DomainResult<AlertImport> {
        self.import_file_in_chunks(caller, source, bytes, label, IMPORT_CHUNK_RECORDS, progress)
            .await
    }

    /// [`Self::import_file`] with chunks of `chunk_records` lines (tests use small ones).
    pub async fn import_file_in_chunks(
        &self,
        caller: &Caller,
        source: &SourceConfig,
        bytes: &[u8],
        label: &str,
        chunk_records: usize,
        progress: &mut (dyn FnMut(u64, u64) + Send),
    ) -> DomainResult<AlertImport> {
        let auth = self.authorize_import(caller)?;
        let rules = self.rules_in_force().await?;
        let intel = self.p.intel().active().await?;
        let chunks = chunks(source, bytes, chunk_records.max(1));
        let total = bytes.len() as u64;
        let many = chunks.len() > 1;
        let parse = |index: usize| {
            let (first_line, range) = chunks.get(index).cloned()?;
            let piece = bytes.get(range.clone())?.to_vec();
            let source = source.clone();
            let at = self.p.now();
            Some((
                first_line,
                range,
                at,
                tokio::task::spawn_blocking(move || {
                    let mut batch = parse_batch(&source, &piece, at);
                    for r in &mut batch.rejected {
                        r.line += first_line - 1;
                    }
                    batch
                }),
            ))
        };
        let mut next = parse(0);
        let mut index = 0;
        let mut sum: Option<AlertImport> = None;
        while let Some((first_line, range, started_at, parsing)) = next.take() {
            let batch = parsing.await.map_err(DomainError::store)?;
            index += 1;
            next = parse(index);
            let chunk_label = if many {
                let piece = bytes.get(range.clone()).unwrap_or_default();
                let breaks = piece.iter().filter(|c| **c == b'\n').count() as u64;
                let last_line = (first_line + breaks)
                    .saturating_sub(u64::from(piece.ends_with(b"\n")))
                    .max(first_line);
                format!("{label} ({first_line}–{last_line})")
            } else {
                label.to_string()
            };
            let done = self
                .store_batch(
                    caller,
                    &auth,
                    source,
                    &rules,
                    &intel,
                    batch,
                    &chunk_label,
                    started_at,
                )
                .await?;
            progress(range.end as u64, total);
            sum = Some(match sum {
                None => AlertImport {
                    report: ImportReport {
                        source: label.to_string(),
                        ..done.report
                    },
                    ..done
                },
                Some(mut s) => {
                    s.run_id = done.run_id;
                    s.report.received += done.report.received;
                    s.report.created += done.report.created;
                    s.report.duplicates += done.report.duplicates;
                    s.report.rejected.extend(done.report.rejected);
                    s.skipped_other_events += done.skipped_other_events;
                    s.intel_matches += done.intel_matches;
                    s
                }
            });
        }
        match sum {
            Some(s) => Ok(s),
            // An empty file: one empty run, so the history says it was read.
            None => {
                let started_at = self.p.now();
                let batch = parse_batch(source, bytes, started_at);
                self.store_batch(
                    caller, &auth, source, &rules, &intel, batch, label, started_at,
                )
                .await
            }
        }
    }

    /// Stores one parsed batch: drops what is already stored, weighs and classifies the rest,
    /// and writes them with the run and its audit entry in one transaction.
    #[allow(clippy::too_many_arguments)]
    async fn store_batch(
        &self,
        caller: &Caller,
        auth: &Authorization,
        source: &SourceConfig,
        rules: &RuleSet,
        intel: &ActiveIndicators,
        batch: ParsedBatch,
        label: &str,
        started_at: crate::time::Timestamp,
    ) -> DomainResult<AlertImport> {
        let fingerprints: Vec<Fingerprint> = batch.alerts.iter().map(|a| a.fingerprint).collect();
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
            let recurrence = self.recurrence(&fresh).await?;
            let (classified, matches) = self.classify(&fresh, &recurrence, rules, intel);
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
            let event = caller.event(at, auth, "alerts.import", "import", label, summary);
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

    /// The rules that classify new alerts: the newest an administrator saved, else the
    /// configured file, else the built-in rules.
    pub async fn rules_in_force(&self) -> DomainResult<Arc<RuleSet>> {
        match self.p.stores.alerts.latest_alert_rules().await? {
            Some((_, text)) => parsed_rules(&text),
            None => self.p.alert_settings.shared_rule_set(),
        }
    }

    /// The text of the rules in force, for the editor (the built-in file when none was saved
    /// or configured).
    pub async fn rules_text(&self, caller: &Caller) -> DomainResult<(String, String)> {
        self.visible(caller).await?;
        if let Some(saved) = self.p.stores.alerts.latest_alert_rules().await? {
            return Ok(saved);
        }
        let rules = self.p.alert_settings.shared_rule_set()?;
        let text = match &self.p.alert_settings.rules_text {
            Some(text) => text.clone(),
            None => crate::alerts::DEFAULT_RULES.to_string(),
        };
        Ok((rules.version().to_string(), text))
    }

    /// What `text` would do to the alerts of the last `days` days, written nowhere. Needs
    /// `manage_alerts` city-wide (rules classify every agency's alerts).
    pub async fn preview_rules(
        &self,
        caller: &Caller,
        text: &str,
        days: u32,
    ) -> DomainResult<Reclassification> {
        caller
            .principal
            .authorize(Permission::ManageAlerts, &Target::City)?;
        let rules = RuleSet::parse(text).map_err(rule_error)?;
        let now = self.p.now();
        let from = now.sub(time::Duration::days(i64::from(days.clamp(1, 36_500))));
        let mut tally = Tally::default();
        let mut after = 0;
        loop {
            let chunk = self
                .p
                .stores
                .alerts
                .stored_classes(Some(from), None, after, 5_000)
                .await?;
            let Some(last) = chunk.last() else {
                break;
            };
            after = last.id;
            for stored in &chunk {
                tally.classify(stored, &rules);
            }
        }
        Ok(tally.finish(rules.version()))
    }

    /// Saves `text` as the rules in force and re-applies them to the alerts observed in
    /// `from..to` (all of history when both are open). The version must be new, so that every
    /// alert's `rule_set_version` names exactly one rule file.
    pub async fn save_rules(
        &self,
        caller: &Caller,
        text: &str,
        from: Option<crate::time::Timestamp>,
        to: Option<crate::time::Timestamp>,
    ) -> DomainResult<Reclassification> {
        let auth = caller
            .principal
            .authorize(Permission::ManageAlerts, &Target::City)?;
        let rules = RuleSet::parse(text).map_err(rule_error)?;
        let version = rules.version().to_string();
        let in_force = self.rules_in_force().await?;
        if in_force.version() == version {
            return Err(DomainError::invalid(
                "version",
                crate::text::Text::new(
                    format!("版本 {version} 已在使用中；修改規則時請一併更新 version"),
                    format!(
                        "version {version} is in force already; give changed rules a new version"
                    ),
                ),
            ));
        }
        let at = self.p.now();
        let store = &self.p.stores.alerts;
        let event = caller.event(
            at,
            &auth,
            "alerts.rules.save",
            "alert_rule_set",
            &version,
            serde_json::json!({ "previous": in_force.version() }),
        );
        store
            .save_alert_rules(&version, text, &caller.principal.user_name, at, event)
            .await?;
        self.reapply(caller, from, to).await
    }

    /// Re-applies the rules in force to the alerts observed in `from..to`, in one transaction.
    pub async fn reapply(
        &self,
        caller: &Caller,
        from: Option<crate::time::Timestamp>,
        to: Option<crate::time::Timestamp>,
    ) -> DomainResult<Reclassification> {
        let auth = caller
            .principal
            .authorize(Permission::ManageAlerts, &Target::City)?;
        let rules = self.rules_in_force().await?;
        let at = self.p.now();
        let event = caller.event(
            at,
            &auth,
            "alerts.reclassify",
            "alert_rule_set",
            rules.version(),
            serde_json::json!({
                "from": from.map(|t| t.to_rfc3339()),
                "to": to.map(|t| t.to_rfc3339()),
            }),
        );
        self.p
            .stores
            .alerts
            .reclassify_alerts(rules, from, to, &caller.principal.user_name, at, event)
            .await
    }

    /// Each new alert's recurrence count: its source address in the stored history and the
    /// batch (see `recurrence`).
    async fn recurrence(&self, alerts: &[&Alert]) -> DomainResult<Vec<u32>> {
        let Some((addresses, from, to)) = crate::alerts::recurrence::lookup(alerts) else {
            return Ok(vec![0; alerts.len()]);
        };
        let stored = self
            .p
            .stores
            .alerts
            .source_sightings(&addresses, from, to)
            .await?;
        Ok(crate::alerts::recurrence::counts(alerts, &stored))
    }

    /// Place, classify and group each new alert, matching it against the active indicators
    /// and weighing its target (the configured core and critical systems) and how often its
    /// source came back; returns the alerts and their intel matches.
    fn classify(
        &self,
        alerts: &[&Alert],
        recurrence: &[u32],
        rules: &crate::alerts::RuleSet,
        intel: &ActiveIndicators,
    ) -> (Vec<ClassifiedAlert>, Vec<AlertMatch>) {
        let settings = &self.p.alert_settings;
        let mut matches = Vec::new();
        let classified = alerts
            .iter()
            .zip(recurrence.iter().copied().chain(std::iter::repeat(0)))
            .map(|(alert, recurrence)| {
                let placed = settings.agencies.resolve(alert);
                let matched = intel.matches(alert);
                let target = settings.targets.resolve(alert);
                let context = ScoreContext {
                    target_criticality: target.as_ref().map(|t| t.criticality).unwrap_or_default(),
                    target: target.map(|t| t.label),
                    intel_match: !matched.is_empty(),
                    intel_indicators: matched.iter().map(|id| intel.label(id)).collect(),
                    recurrence,
                    success_evidence: false,
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
                    context,
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

    /// The analysis of the months `from_month..=to_month` (`YYYY-MM`; `to_month` defaults to
    /// this month, `from_month` to eleven months before it): the audit's table, the trend,
    /// breakdowns, top values with their recurrence, spikes and the analysts' notes.
    pub async fn analysis(
        &self,
        caller: &Caller,
        filter: &AlertFilter,
        from_month: Option<&str>,
        to_month: Option<&str>,
        top: u32,
    ) -> DomainResult<AlertAnalysis> {
        let filter = self.scoped(caller, filter).await?;
        let now = self.p.now();
        let this_month = month_of(now);
        let from_month_arg_absent = from_month.is_none();
        let to_month = match to_month {
            Some(m) => valid_month(m)?,
            None => this_month.clone(),
        };
        let from_month = match from_month {
            Some(m) => valid_month(m)?,
            None => months_back(&to_month, 11).unwrap_or_else(|| to_month.clone()),
        };
        if from_month > to_month {
            return Err(DomainError::Invalid {
                field: "from".into(),
                reason: crate::text::Text::new(
                    format!("起始月份 {from_month} 晚於結束月份 {to_month}"),
                    format!("the first month {from_month} is after the last month {to_month}"),
                ),
            });
        }
        let trend_from = months_back(&to_month, 23).unwrap_or_else(|| from_month.clone());
        let store = &self.p.stores.alerts;
        if from_month_arg_absent && to_month == this_month {
            // The default period: its top values are kept at ingest once the window is there
            // (it moves once a month). A failure only costs speed: the lists are then summed.
            if let Err(e) = store
                .refresh_alert_value_window(&from_month, &to_month)
                .await
            {
                tracing::warn!(error = %e, "the top-values window could not be moved");
            }
        }
        // Whole months: the monthly rollups (each row's `day` is its month).
        let rows = store
            .alert_rollup_months(&filter, &trend_from, &to_month)
            .await?;
        let in_period: Vec<_> = rows
            .iter()
            .filter(|r| r.day.get(..7).is_some_and(|m| m >= from_month.as_str()))
            .cloned()
            .collect();
        let summary = AlertSummary::from_rollups(&in_period);
        let (by_agency, by_source) = breakdowns(&in_period);
        let mut lists = Vec::new();
        for dimension in Dimension::ALL {
            let values = store
                .alert_values(
                    &filter,
                    dimension,
                    &from_month,
                    &to_month,
                    top.clamp(1, 100),
                )
                .await?;
            lists.push(TopList {
                dimension,
                label: dimension.label(),
                values: top_values(values, summary.total),
            });
        }
        // Spikes: the 30 days up to the end of the period, each against its 28 days before.
        let policy = SpikePolicy::default();
        let period_end = crate::time::parse_iso_date(&format!(
            "{}-01",
            next_month(&to_month).unwrap_or_else(|| to_month.clone())
        ))
        .map(|d| d.previous_day().unwrap_or(d))
        .unwrap_or_else(|| now.taipei_date());
        let last_day = period_end.min(now.taipei_date());
        let days: Vec<String> = (0..30)
            .filter_map(|back| last_day.checked_sub(time::Duration::days(back)))
            .map(crate::time::iso_date)
            .collect();
        let span = i64::from(30 + policy.baseline_days);
        let window_start = last_day
            .checked_sub(time::Duration::days(span - 1))
            .map(crate::time::Timestamp::taipei_midnight);
        let window_end = last_day
            .next_day()
            .map(crate::time::Timestamp::taipei_midnight);
        let spikes = match (window_start, window_end) {
            (Some(from), Some(to)) => {
                let counts = store.alert_group_days(&filter, from, to).await?;
                spikes(&counts, &days, policy)
            }
            _ => Vec::new(),
        };
        let notes = store.alert_notes(&filter, None, 50).await?;
        Ok(AlertAnalysis {
            trend: Trend::from_rollups(&rows, &trend_from, &to_month),
            from_month,
            to_month,
            summary,
            by_agency,
            by_source,
            top: lists,
            spikes,
            notes,
        })
    }

    /// The monthly SOC report: the month's analysis (with the trend up to it) and the
    /// analyst's commentary for the city or one agency.
    pub async fn monthly_report(
        &self,
        caller: &Caller,
        filter: &AlertFilter,
        month: &str,
    ) -> DomainResult<MonthlyReport> {
        let month = valid_month(month)?;
        let analysis = self
            .analysis(caller, filter, Some(&month), Some(&month), 10)
            .await?;
        let commentary = self
            .p
            .stores
            .alerts
            .alert_report_commentary(&month, filter.agency.as_ref())
            .await?;
        Ok(MonthlyReport {
            month,
            agency: filter.agency.clone(),
            analysis,
            commentary,
        })
    }

    /// Saves the commentary of a month's report (a new version; earlier ones stay). Needs
    /// `manage_alerts` for the agency, or city-wide for the city's report.
    pub async fn save_commentary(
        &self,
        caller: &Caller,
        month: &str,
        agency: Option<&AgencyCode>,
        commentary: &str,
    ) -> DomainResult<()> {
        let month = valid_month(month)?;
        let target = match agency {
            Some(code) => {
                let agencies = self.p.stores.agencies.agencies().await?;
                if !agencies.iter().any(|a| &a.code == code) {
                    return Err(DomainError::not_found("agency", code.as_str()));
                }
                Target::Agency(AgencyTree::new(&agencies).lineage(code))
            }
            None => Target::City,
        };
        let auth = caller
            .principal
            .authorize(Permission::ManageAlerts, &target)?;
        if commentary.chars().count() > 20_000 {
            return Err(DomainError::invalid(
                "commentary",
                crate::text::Text::new(
                    "評析請在 20,000 字以內",
                    "keep the commentary under 20,000 characters",
                ),
            ));
        }
        let at = self.p.now();
        let event = caller.event(
            at,
            &auth,
            "alerts.report.commentary",
            "alert_report",
            &format!("{month}:{}", agency.map(|a| a.as_str()).unwrap_or("city")),
            serde_json::json!({ "characters": commentary.chars().count() }),
        );
        self.p
            .stores
            .alerts
            .save_alert_report_commentary(
                &month,
                agency,
                commentary.trim(),
                &caller.principal.user_name,
                at,
                event,
            )
            .await
    }

    /// Adds an analyst's note on a pattern: the cause found and the countermeasure taken. A
    /// note about one agency needs `manage_alerts` there; a city-wide one, city-wide.
    pub async fn add_note(&self, caller: &Caller, note: NewAlertNote) -> DomainResult<i64> {
        let target = match &note.agency {
            Some(code) => {
                let agencies = self.p.stores.agencies.agencies().await?;
                let tree = AgencyTree::new(&agencies);
                if !agencies.iter().any(|a| &a.code == code) {
                    return Err(DomainError::not_found("agency", code.as_str()));
                }
                Target::Agency(tree.lineage(code))
            }
            None => Target::City,
        };
        let auth = caller
            .principal
            .authorize(Permission::ManageAlerts, &target)?;
        let known_dimension = note.dimension == "category"
            || note.dimension == "agency"
            || Dimension::parse(&note.dimension).is_some();
        let invalid = |field: &str, zh: &str, en: &str| DomainError::Invalid {
            field: field.into(),
            reason: crate::text::Text::new(zh, en),
        };
        if !known_dimension {
            return Err(invalid(
                "dimension",
                "對象須為 category、agency、signature、source_ip、destination_ip 或 technique",
                "dimension must be category, agency, signature, source_ip, destination_ip or technique",
            ));
        }
        if note.value.trim().is_empty() {
            return Err(invalid(
                "value",
                "請指明是哪一個類別、特徵或位址",
                "say which category, signature or address",
            ));
        }
        if note.cause.trim().is_empty() && note.countermeasure.trim().is_empty() {
            return Err(invalid(
                "cause",
                "請填寫原因或因應措施（至少一項）",
                "write the cause or the countermeasure (at least one)",
            ));
        }
        if note.cause.chars().count() > 4000 || note.countermeasure.chars().count() > 4000 {
            return Err(invalid(
                "cause",
                "說明請在 4,000 字以內",
                "keep each text under 4,000 characters",
            ));
        }
        let at = self.p.now();
        let event = caller.event(
            at,
            &auth,
            "alerts.note",
            "alert_pattern",
            &format!("{}:{}", note.dimension, note.value),
            serde_json::json!({
                "agency": note.agency.as_ref().map(|a| a.as_str()),
                "cause": note.cause,
                "countermeasure": note.countermeasure,
            }),
        );
        self.p
            .stores
            .alerts
            .add_alert_note(&note, &caller.principal.user_name, at, event)
            .await
    }

    /// Notes on one pattern, newest first.
    pub async fn notes(
        &self,
        caller: &Caller,
        dimension: &str,
        value: &str,
    ) -> DomainResult<Vec<AlertNote>> {
        let filter = self.scoped(caller, &AlertFilter::default()).await?;
        self.p
            .stores
            .alerts
            .alert_notes(&filter, Some((dimension, value)), 100)
            .await
    }

    /// One alert with everything kept about it, if the caller may read its agency.
    pub async fn alert(&self, caller: &Caller, id: i64) -> DomainResult<(AlertRow, Alert)> {
        let visible = self.visible(caller).await?;
        let found = self.p.stores.alerts.alert(id).await?;
        match found {
            Some((row, alert))
                if visible
                    .as_ref()
                    .is_none_or(|v| row.agency.as_ref().is_some_and(|a| v.contains(a))) =>
            {
                Ok((row, alert))
            }
            _ => Err(DomainError::not_found("alert", id.to_string())),
        }
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

/// The monthly SOC report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthlyReport {
    pub month: String,
    pub agency: Option<AgencyCode>,
    pub analysis: AlertAnalysis,
    /// The newest commentary: (text, saved by, saved at).
    pub commentary: Option<(String, String, crate::time::Timestamp)>,
}

/// A `YYYY-MM` month, or a clear refusal.
fn valid_month(text: &str) -> DomainResult<String> {
    let ok = text.len() == 7 && crate::time::parse_iso_date(&format!("{text}-01")).is_some();
    if ok {
        Ok(text.to_string())
    } else {
        Err(DomainError::Invalid {
            field: "month".into(),
            reason: crate::text::Text::new(
                format!("月份須寫成 2024-03 的形式，收到「{text}」"),
                format!("a month is written like 2024-03; got \"{text}\""),
            ),
        })
    }
}

/// The last saved rule text parsed, so that each import does not parse it again.
static PARSED: Mutex<Option<(String, Arc<RuleSet>)>> = Mutex::new(None);

fn parsed_rules(text: &str) -> DomainResult<Arc<RuleSet>> {
    if let Ok(cache) = PARSED.lock()
        && let Some((cached, rules)) = cache.as_ref()
        && cached == text
    {
        return Ok(rules.clone());
    }
    let rules = Arc::new(RuleSet::parse(text).map_err(rule_error)?);
    if let Ok(mut cache) = PARSED.lock() {
        *cache = Some((text.to_string(), rules.clone()));
    }
    Ok(rules)
}

/// A rule file that cannot be used, as a refusal naming the rule and field at fault.
fn rule_error(e: RuleSetError) -> DomainError {
    let place = match (&e.rule, &e.field) {
        (Some(rule), Some(field)) => format!("{rule}.{field}"),
        (Some(rule), None) => rule.clone(),
        (None, Some(field)) => field.clone(),
        (None, None) => "rules".into(),
    };
    DomainError::invalid(
        "rules",
        crate::text::Text::new(
            format!("規則檔有誤（{place}）：{}", e.message.zh),
            format!("the rule file is wrong at {place}: {}", e.message.en),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::{SourceFormat, SourceName};

    fn source(format: SourceFormat) -> SourceConfig {
        SourceConfig::new(SourceName::parse("s").unwrap(), format)
    }

    #[test]
    fn files_are_cut_at_whole_lines_and_arrays_stay_whole() {
        let eve = source(SourceFormat::Suricata);
        let text = b"a\nb\nc\nd\ne";
        let cut = chunks(&eve, text, 2);
        assert_eq!(cut, [(1, 0..4), (3, 4..8), (5, 8..9)]);
        assert_eq!(chunks(&eve, b"a\nb\n", 2), [(1, 0..4)]);
        assert_eq!(chunks(&eve, b" [ {}, {} ]\n\n", 1), [(1, 0..13)]);
        // A CEF line starting with '[' is still a line.
        let cef = source(SourceFormat::Cef);
        assert_eq!(chunks(&cef, b"[x\n[y\n", 1), [(1, 0..3), (2, 3..6)]);
        assert!(chunks(&eve, b"", 5).is_empty());
    }
}
