//! What people may do with incidents: open one from alert notifications or by hand, assess its
//! level, record its timeline, follow its legal clocks, commission forensics and record the
//! report and findings, and follow each action to verified closure; the recurrence check
//! reopens an action whose problem came back. Reads are scoped by agency like alerts; every
//! change is one store write with its audit entries; a change names the revision it was made
//! from and is refused when someone else saved first.

use std::collections::{BTreeSet, HashSet};
use std::net::IpAddr;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::accounts::UserName;
use crate::agencies::{AgencyCode, AgencyTree};
use crate::alerts::AlertFilter;
use crate::authz::{Authorization, Permission, Target};
use crate::cases::actions::{
    Action, NewAction, Priority, RecurrenceBasis, RecurrenceDecision, RecurrenceSignal,
    check_recurrence,
};
use crate::cases::clocks::{ClockPolicy, ClockState, Deadline, RuleBook, deadlines};
use crate::cases::custody::CustodyItem;
use crate::cases::event::CaseEvent;
use crate::cases::forensics::{
    ForensicEngagement, NewFinding, ReportSection, ReportVersion, RootCause,
};
use crate::cases::id::{NotificationRef, RecordId};
use crate::cases::incident::{
    AffectedAsset, Determination, Incident, IncidentCategory, IncidentOrigin, NewIncident,
    PersonInvolved, TimelineKind,
};
use crate::cases::level::Effect;
use crate::cases::measures::{
    ComplianceReport, IncidentFacts, Measures, Period, compliance, measure,
};
use crate::cases::query::{
    ActionFilter, CaseFile, IncidentFilter, IncidentRow, IncidentScope, IncidentWrite,
    StoredDeadlines,
};
use crate::cases::stix::export_incident;
use crate::error::{DomainError, DomainResult};
use crate::intel::{CityIdentity, Observable, ObservableKind};
use crate::page::{Page, PageRequest};
use crate::platform::{Caller, Platform};
use crate::text::Text;
use crate::time::Timestamp;

/// The legal rule sets and the local clock policy, parsed once from the embedded files.
pub(super) fn rules() -> DomainResult<&'static (RuleBook, ClockPolicy)> {
    static RULES: OnceLock<Result<(RuleBook, ClockPolicy), String>> = OnceLock::new();
    RULES
        .get_or_init(|| Ok((RuleBook::embedded()?, ClockPolicy::standard()?)))
        .as_ref()
        .map_err(|e| DomainError::store(format!("the embedded incident rules do not load: {e}")))
}

/// What a person fills in to open an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentInput {
    pub title: String,
    pub agency: AgencyCode,
    pub category: IncidentCategory,
    /// The alert notifications (their ids) it is opened from; empty when opened by hand.
    #[serde(default)]
    pub notifications: Vec<i64>,
    /// How it became known, when opened by hand.
    #[serde(default)]
    pub how_learned: Option<String>,
    #[serde(default)]
    pub assets: Vec<AffectedAsset>,
    #[serde(default)]
    pub occurred_at: Option<Timestamp>,
    pub aware_at: Timestamp,
    #[serde(default)]
    pub people: Vec<PersonInvolved>,
    #[serde(default)]
    pub description: String,
}

/// What a person fills in to turn a recommendation into an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionInput {
    /// The finding it follows from (`FX-…` engagement's finding id), if any.
    #[serde(default)]
    pub finding: Option<RecordId>,
    pub recommendation: String,
    pub owner_agency: AgencyCode,
    pub owner: UserName,
    pub due_at: Timestamp,
    pub priority: Priority,
    pub closure_criteria: String,
}

/// A file the owner attaches as evidence, with the hash they computed for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceUpload {
    pub name: String,
    pub bytes: Vec<u8>,
    pub claimed_sha256: Option<String>,
    pub media_type: String,
}

/// An incident with everything its page shows.
#[derive(Debug, Clone, Serialize)]
pub struct IncidentView {
    pub incident: Incident,
    /// The legal clocks now, by the rule set pinned at the aware time.
    pub clocks: Vec<Deadline>,
    /// The deadlines as stored at each change, with the rule set used.
    pub deadline_history: Vec<StoredDeadlines>,
    /// A level change not yet notified again (續報).
    pub needs_renotification: bool,
    pub engagements: Vec<ForensicEngagement>,
    pub actions: Vec<Action>,
    pub evidence: Vec<CustodyItem>,
}

/// What one recurrence run did to one action.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecurrenceOutcome {
    pub action: RecordId,
    pub decision: RecurrenceDecision,
}

/// What the report upload claims to be; checked against the file's first bytes.
fn report_media_type(file_name: &str, bytes: &[u8]) -> DomainResult<&'static str> {
    let lower = file_name.trim().to_lowercase();
    let (claimed, ok, media) = if lower.ends_with(".pdf") {
        ("PDF", bytes.starts_with(b"%PDF-"), "application/pdf")
    } else if lower.ends_with(".docx") {
        let zip = bytes.starts_with(b"PK\x03\x04");
        let word = contains(bytes, b"[Content_Types].xml") && contains(bytes, b"word/");
        (
            "DOCX",
            zip && word,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        )
    } else {
        return Err(DomainError::invalid(
            "file",
            Text::new(
                "鑑識報告請上傳 PDF 或 DOCX 檔",
                "upload the forensic report as a PDF or DOCX file",
            ),
        ));
    };
    if ok {
        Ok(media)
    } else {
        Err(DomainError::invalid(
            "file",
            Text::new(
                format!(
                    "檔名 {file_name} 看來是 {claimed}，但內容不是 {claimed} 檔；請上傳正確的檔案"
                ),
                format!(
                    "{file_name} is named as a {claimed} file but its content is not {claimed}; upload the real report"
                ),
            ),
        ))
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The earliest deadline still running, for the board's order.
fn next_due(clocks: &[Deadline]) -> Option<Timestamp> {
    clocks
        .iter()
        .filter(|d| {
            matches!(
                d.state,
                ClockState::OnTrack | ClockState::DueSoon | ClockState::Overdue
            )
        })
        .filter_map(|d| d.due_at)
        .min()
}

fn observable_of_ip(text: &str) -> Option<Observable> {
    let ip: IpAddr = text.trim().parse().ok()?;
    let kind = match ip {
        IpAddr::V4(_) => ObservableKind::Ipv4,
        IpAddr::V6(_) => ObservableKind::Ipv6,
    };
    Some(Observable::new(kind, ip.to_string()))
}

/// How many alerts one recurrence run reads at most (pages of 500).
const RECURRENCE_ALERT_PAGES: u32 = 20;

pub struct CaseService<'a> {
    p: &'a Platform,
}

impl<'a> CaseService<'a> {
    pub fn new(p: &'a Platform) -> Self {
        CaseService { p }
    }

    pub(super) fn platform(&self) -> &'a Platform {
        self.p
    }

    // ------------------------------------------------------------ measures

    /// Whole incidents the caller reads in the period (by aware time), with their clocks now
    /// and when their first alert was seen; `agency` (with its subordinate agencies) must be
    /// one the caller reads. Returns the agencies read, for the actions.
    async fn facts(
        &self,
        caller: &Caller,
        period: Period,
        agency: Option<&AgencyCode>,
    ) -> DomainResult<(Option<Vec<AgencyCode>>, Vec<IncidentFacts>)> {
        let mut visible = self.visible(caller).await?;
        if let Some(code) = agency {
            self.authorize_for(caller, Permission::ReadIncidents, code)
                .await?;
            // An agency's measures take in its subordinate agencies (a bureau and its units).
            let agencies = self.p.stores.agencies.agencies().await?;
            let tree = AgencyTree::new(&agencies);
            let under: Vec<AgencyCode> = agencies
                .iter()
                .filter(|a| tree.lineage(&a.code).contains(code))
                .filter(|a| visible.as_ref().is_none_or(|v| v.contains(&a.code)))
                .map(|a| a.code.clone())
                .collect();
            visible = Some(if under.is_empty() {
                vec![code.clone()]
            } else {
                under
            });
        }
        let incidents = self
            .p
            .stores
            .cases
            .incident_records(&IncidentScope {
                visible: visible.clone(),
                agency: None,
                aware_from: period.from,
                aware_to: period.to,
                open: false,
            })
            .await?;
        let groups: Vec<i64> = incidents
            .iter()
            .flat_map(|i| match &i.origin {
                IncidentOrigin::Alerts { notifications } => notifications
                    .iter()
                    .filter_map(|n| n.as_str().parse::<i64>().ok())
                    .collect(),
                IncidentOrigin::Manual { .. } => Vec::new(),
            })
            .collect::<BTreeSet<i64>>()
            .into_iter()
            .collect();
        let first_seen: std::collections::HashMap<i64, Timestamp> = self
            .p
            .stores
            .cases
            .notifications_by_id(&groups)
            .await?
            .into_iter()
            .map(|g| (g.id, g.first_seen))
            .collect();
        let (book, policy) = rules()?;
        let now = self.p.now();
        let facts = incidents
            .into_iter()
            .map(|incident| {
                let first_alert_at = match &incident.origin {
                    IncidentOrigin::Alerts { notifications } => notifications
                        .iter()
                        .filter_map(|n| n.as_str().parse::<i64>().ok())
                        .filter_map(|g| first_seen.get(&g).copied())
                        .min(),
                    IncidentOrigin::Manual { .. } => None,
                };
                IncidentFacts {
                    deadlines: deadlines(&incident, book, policy, now).unwrap_or_default(),
                    first_alert_at,
                    incident,
                }
            })
            .collect();
        Ok((visible, facts))
    }

    /// Per agency and city-wide: actions open, overdue and verified, time to remediate,
    /// recurrence, MTTD and MTTR, and legal deadlines met and missed, over what the caller reads.
    pub async fn measures(
        &self,
        caller: &Caller,
        period: Period,
        agency: Option<&AgencyCode>,
    ) -> DomainResult<Measures> {
        let (visible, facts) = self.facts(caller, period, agency).await?;
        let actions = self
            .p
            .stores
            .cases
            .actions(&ActionFilter {
                visible,
                ..ActionFilter::default()
            })
            .await?;
        Ok(measure(&facts, &actions, period, self.p.now()))
    }

    /// Legal deadlines met and missed per agency, with every missed one listed.
    pub async fn compliance(
        &self,
        caller: &Caller,
        period: Period,
        agency: Option<&AgencyCode>,
    ) -> DomainResult<ComplianceReport> {
        let (_, facts) = self.facts(caller, period, agency).await?;
        Ok(compliance(&facts, period, self.p.now()))
    }

    async fn tree_target(&self, code: &AgencyCode) -> DomainResult<Target> {
        let agencies = self.p.stores.agencies.agencies().await?;
        let tree = AgencyTree::new(&agencies);
        Ok(Target::Agency(tree.lineage(code)))
    }

    /// Refuses before anything is looked up when the caller holds the permission nowhere.
    fn anywhere(&self, caller: &Caller, permission: Permission) -> DomainResult<()> {
        if caller.principal.can_somewhere(permission) {
            Ok(())
        } else {
            Err(DomainError::Forbidden {
                needed: permission.as_str().into(),
            })
        }
    }

    async fn authorize_for(
        &self,
        caller: &Caller,
        permission: Permission,
        agency: &AgencyCode,
    ) -> DomainResult<Authorization> {
        self.anywhere(caller, permission)?;
        let target = self.tree_target(agency).await?;
        caller.principal.authorize(permission, &target)
    }

    /// The agencies whose incidents the caller reads: `None` is the whole city.
    async fn visible(&self, caller: &Caller) -> DomainResult<Option<Vec<AgencyCode>>> {
        let principal = &caller.principal;
        if principal.can(Permission::ReadIncidents, &Target::City) {
            return Ok(None);
        }
        self.anywhere(caller, Permission::ReadIncidents)?;
        let agencies = self.p.stores.agencies.agencies().await?;
        let tree = AgencyTree::new(&agencies);
        let mut visible: Vec<AgencyCode> = agencies
            .iter()
            .filter(|a| {
                principal.can(
                    Permission::ReadIncidents,
                    &Target::Agency(tree.lineage(&a.code)),
                )
            })
            .map(|a| a.code.clone())
            .collect();
        visible.sort();
        Ok(Some(visible))
    }

    fn user(&self, caller: &Caller) -> DomainResult<UserName> {
        UserName::parse(caller.principal.user_name.trim_start_matches("cli:")).map_err(|_| {
            DomainError::invalid(
                "caller",
                Text::new(
                    "此身分不能處理資安事件",
                    "this identity cannot act on incidents",
                ),
            )
        })
    }

    fn audit(
        &self,
        caller: &Caller,
        auth: &Authorization,
        events: Vec<CaseEvent>,
    ) -> Vec<crate::audit::AuditEvent> {
        events
            .into_iter()
            .map(|e| {
                e.into_audit(
                    caller.actor(),
                    auth.acting_agency.as_ref().map(|c| c.to_string()),
                    caller.source_ip.clone(),
                )
            })
            .collect()
    }

    async fn next_id(&self, prefix: &str, now: Timestamp) -> DomainResult<RecordId> {
        let year = now.in_taipei().year();
        let n = self.p.stores.cases.next_case_number(prefix, year).await?;
        RecordId::parse(&format!("{prefix}-{year}-{n:04}"))
    }

    fn write(
        &self,
        incident: &Incident,
        notifications: Vec<i64>,
        audit: Vec<crate::audit::AuditEvent>,
        now: Timestamp,
    ) -> DomainResult<IncidentWrite> {
        let (book, policy) = rules()?;
        let clocks = deadlines(incident, book, policy, now).ok_or_else(|| {
            DomainError::store(format!(
                "the legal rule set {} is no longer loaded",
                incident.rule_set
            ))
        })?;
        Ok(IncidentWrite {
            incident: incident.clone(),
            next_due_at: next_due(&clocks),
            deadlines: Some(clocks),
            notifications,
            audit,
        })
    }

    async fn load_incident(&self, id: &RecordId) -> DomainResult<Incident> {
        self.p
            .stores
            .cases
            .incident(id)
            .await?
            .ok_or_else(|| DomainError::not_found("incident", id.as_str()))
    }

    /// Opens an incident from alert notifications (each must exist) or by hand.
    pub async fn create(&self, caller: &Caller, input: IncidentInput) -> DomainResult<Incident> {
        let auth = self
            .authorize_for(caller, Permission::ManageIncidents, &input.agency)
            .await?;
        let by = self.user(caller)?;
        let mut groups: Vec<i64> = input.notifications.clone();
        groups.sort_unstable();
        groups.dedup();
        let origin = if groups.is_empty() {
            IncidentOrigin::Manual {
                how_learned: input.how_learned.clone().unwrap_or_default(),
            }
        } else {
            let found = self.p.stores.cases.notifications_by_id(&groups).await?;
            if let Some(missing) = groups.iter().find(|g| !found.iter().any(|f| f.id == **g)) {
                return Err(DomainError::not_found(
                    "alert notification",
                    missing.to_string(),
                ));
            }
            IncidentOrigin::Alerts {
                notifications: groups
                    .iter()
                    .map(|g| NotificationRef::parse(&g.to_string()))
                    .collect::<DomainResult<_>>()?,
            }
        };
        let now = self.p.now();
        // Check the input before a number is spent on it.
        let probe = NewIncident {
            id: RecordId::parse("INC-0")?,
            title: input.title.clone(),
            agency: input.agency.clone(),
            category: input.category,
            origin: origin.clone(),
            assets: input.assets.clone(),
            occurred_at: input.occurred_at,
            aware_at: input.aware_at,
            people: input.people.clone(),
            description: input.description.clone(),
        };
        let (book, _) = rules()?;
        Incident::open(probe.clone(), book, &by, now)?;
        let id = self.next_id("INC", now).await?;
        let (incident, events) = Incident::open(NewIncident { id, ..probe }, book, &by, now)?;
        let write = self.write(&incident, groups, self.audit(caller, &auth, events), now)?;
        self.p.stores.cases.create_incident(write).await?;
        Ok(incident)
    }

    /// Incidents the caller may read, by next deadline.
    pub async fn list(
        &self,
        caller: &Caller,
        filter: &IncidentFilter,
        page: PageRequest,
    ) -> DomainResult<Page<IncidentRow>> {
        let mut filter = filter.clone();
        filter.visible = self.visible(caller).await?;
        self.p.stores.cases.incidents(&filter, page).await
    }

    /// One incident with its clocks, forensics, actions and evidence.
    pub async fn get(&self, caller: &Caller, id: &RecordId) -> DomainResult<IncidentView> {
        self.anywhere(caller, Permission::ReadIncidents)?;
        let incident = self.load_incident(id).await?;
        self.authorize_for(caller, Permission::ReadIncidents, &incident.agency)
            .await?;
        let (book, policy) = rules()?;
        let now = self.p.now();
        let cases = &self.p.stores.cases;
        Ok(IncidentView {
            clocks: deadlines(&incident, book, policy, now).unwrap_or_default(),
            deadline_history: cases.stored_deadlines(id).await?,
            needs_renotification: incident.needs_renotification(),
            engagements: cases.engagements(id).await?,
            actions: cases
                .actions(&ActionFilter {
                    incident: Some(id.clone()),
                    ..ActionFilter::default()
                })
                .await?,
            evidence: cases.evidence_items(id).await?,
            incident,
        })
    }

    /// Loads an incident for a change by a handler of its agency, at the revision they saw.
    async fn for_change(
        &self,
        caller: &Caller,
        id: &RecordId,
        revision: u32,
    ) -> DomainResult<(Incident, Authorization, UserName)> {
        self.anywhere(caller, Permission::ManageIncidents)?;
        let incident = self.load_incident(id).await?;
        let auth = self
            .authorize_for(caller, Permission::ManageIncidents, &incident.agency)
            .await?;
        incident.ensure_revision(revision)?;
        let by = self.user(caller)?;
        Ok((incident, auth, by))
    }

    async fn save(
        &self,
        caller: &Caller,
        auth: &Authorization,
        incident: &Incident,
        seen: u32,
        events: Vec<CaseEvent>,
        now: Timestamp,
    ) -> DomainResult<()> {
        let write = self.write(incident, Vec::new(), self.audit(caller, auth, events), now)?;
        self.p.stores.cases.save_incident(write, seen).await
    }

    /// Assesses or re-assesses the level (a re-assessment needs a reason); kept with history.
    pub async fn assess(
        &self,
        caller: &Caller,
        id: &RecordId,
        revision: u32,
        effects: Vec<Effect>,
        why: Option<String>,
    ) -> DomainResult<Incident> {
        let (mut incident, auth, by) = self.for_change(caller, id, revision).await?;
        let now = self.p.now();
        let events = incident.assess_level(effects, why, &by, now)?;
        self.save(caller, &auth, &incident, revision, events, now)
            .await?;
        Ok(incident)
    }

    /// Records a moment on the timeline (notified, contained, recovered, report submitted…).
    pub async fn record_event(
        &self,
        caller: &Caller,
        id: &RecordId,
        revision: u32,
        kind: TimelineKind,
        at: Timestamp,
        note: Option<String>,
    ) -> DomainResult<Incident> {
        let (mut incident, auth, by) = self.for_change(caller, id, revision).await?;
        let now = self.p.now();
        let events = incident.record(kind, at, note, &by, now)?;
        self.save(caller, &auth, &incident, revision, events, now)
            .await?;
        Ok(incident)
    }

    /// Sets the determination (confirmed, false positive…) with the reason.
    pub async fn determine(
        &self,
        caller: &Caller,
        id: &RecordId,
        revision: u32,
        determination: Determination,
        why: &str,
    ) -> DomainResult<Incident> {
        let (mut incident, auth, by) = self.for_change(caller, id, revision).await?;
        let now = self.p.now();
        let events = incident.determine(determination, why, &by, now)?;
        self.save(caller, &auth, &incident, revision, events, now)
            .await?;
        Ok(incident)
    }

    pub async fn close(
        &self,
        caller: &Caller,
        id: &RecordId,
        revision: u32,
        summary: &str,
    ) -> DomainResult<Incident> {
        let (mut incident, auth, by) = self.for_change(caller, id, revision).await?;
        let now = self.p.now();
        let events = incident.close(summary, &by, now)?;
        self.save(caller, &auth, &incident, revision, events, now)
            .await?;
        Ok(incident)
    }

    /// The incident and its actions as a STIX 2.1 bundle with the Incident Core extension.
    pub async fn export_stix(&self, caller: &Caller, id: &RecordId) -> DomainResult<Value> {
        let view = self.get(caller, id).await?;
        let city = CityIdentity::new(
            "桃園市政府",
            Timestamp::from_millis(1_704_067_200_000).unwrap_or(view.incident.opened_at),
        );
        Ok(export_incident(&view.incident, &view.actions, &city))
    }

    // ------------------------------------------------------------ forensics

    async fn engagement_for_change(
        &self,
        caller: &Caller,
        id: &RecordId,
        revision: u32,
    ) -> DomainResult<(ForensicEngagement, Authorization, UserName)> {
        self.anywhere(caller, Permission::ManageIncidents)?;
        let engagement = self
            .p
            .stores
            .cases
            .engagement(id)
            .await?
            .ok_or_else(|| DomainError::not_found("forensic engagement", id.as_str()))?;
        let incident = self.load_incident(&engagement.incident).await?;
        let auth = self
            .authorize_for(caller, Permission::ManageIncidents, &incident.agency)
            .await?;
        if engagement.revision != revision {
            return Err(stale("forensic engagement", engagement.revision, revision));
        }
        Ok((engagement, auth, self.user(caller)?))
    }

    /// Whether the caller may change this incident, its evidence and its forensics (asked
    /// before an upload's body is read).
    pub async fn authorize_incident_change(
        &self,
        caller: &Caller,
        id: &RecordId,
    ) -> DomainResult<()> {
        self.anywhere(caller, Permission::ManageIncidents)?;
        let incident = self.load_incident(id).await?;
        self.authorize_for(caller, Permission::ManageIncidents, &incident.agency)
            .await
            .map(|_| ())
    }

    /// Whether the caller may change this engagement (asked before an upload's body is read).
    pub async fn authorize_engagement_change(
        &self,
        caller: &Caller,
        id: &RecordId,
    ) -> DomainResult<()> {
        self.anywhere(caller, Permission::ManageIncidents)?;
        let engagement = self
            .p
            .stores
            .cases
            .engagement(id)
            .await?
            .ok_or_else(|| DomainError::not_found("forensic engagement", id.as_str()))?;
        self.engagement_for_change(caller, id, engagement.revision)
            .await
            .map(|_| ())
    }

    /// Commissions a forensic investigation of the incident from a vendor.
    pub async fn request_forensics(
        &self,
        caller: &Caller,
        incident_id: &RecordId,
        vendor: &str,
        scope: &str,
        starts_on: Timestamp,
        report_due: Timestamp,
    ) -> DomainResult<ForensicEngagement> {
        self.anywhere(caller, Permission::ManageIncidents)?;
        let incident = self.load_incident(incident_id).await?;
        let auth = self
            .authorize_for(caller, Permission::ManageIncidents, &incident.agency)
            .await?;
        let by = self.user(caller)?;
        let now = self.p.now();
        let probe = RecordId::parse("FX-0")?;
        ForensicEngagement::request(
            probe,
            incident.id.clone(),
            vendor,
            scope,
            starts_on,
            report_due,
            &by,
            now,
        )?;
        let id = self.next_id("FX", now).await?;
        let (engagement, events) = ForensicEngagement::request(
            id,
            incident.id.clone(),
            vendor,
            scope,
            starts_on,
            report_due,
            &by,
            now,
        )?;
        self.p
            .stores
            .cases
            .create_engagement(&engagement, self.audit(caller, &auth, events))
            .await?;
        Ok(engagement)
    }

    /// Receives a report file as a new version: a PDF or DOCX whose content is what its name
    /// says, whose hash matches the one claimed, kept by its SHA-256 and never overwritten.
    #[allow(clippy::too_many_arguments)]
    pub async fn upload_report(
        &self,
        caller: &Caller,
        engagement_id: &RecordId,
        revision: u32,
        file_name: &str,
        bytes: Vec<u8>,
        claimed_sha256: Option<&str>,
        sections: BTreeSet<ReportSection>,
    ) -> DomainResult<ReportVersion> {
        let (mut engagement, auth, by) = self
            .engagement_for_change(caller, engagement_id, revision)
            .await?;
        let media = report_media_type(file_name, &bytes)?;
        let now = self.p.now();
        let (version, events) =
            engagement.receive_report(file_name, &bytes, claimed_sha256, sections, &by, now)?;
        let file = CaseFile {
            bytes,
            media_type: media.to_string(),
        };
        self.p
            .stores
            .cases
            .save_engagement(
                &engagement,
                revision,
                vec![file],
                self.audit(caller, &auth, events),
            )
            .await?;
        Ok(version)
    }

    /// Accepts the latest report (all seven sections present).
    pub async fn accept_report(
        &self,
        caller: &Caller,
        engagement_id: &RecordId,
        revision: u32,
    ) -> DomainResult<ForensicEngagement> {
        let (mut engagement, auth, by) = self
            .engagement_for_change(caller, engagement_id, revision)
            .await?;
        let events = engagement.accept_report(&by, self.p.now())?;
        self.p
            .stores
            .cases
            .save_engagement(
                &engagement,
                revision,
                Vec::new(),
                self.audit(caller, &auth, events),
            )
            .await?;
        Ok(engagement)
    }

    /// Records a finding of the latest report; its id follows the engagement's.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_finding(
        &self,
        caller: &Caller,
        engagement_id: &RecordId,
        revision: u32,
        root_cause: RootCause,
        detail: String,
        iocs: Vec<Observable>,
        affected_hosts: Vec<String>,
        recommendations: Vec<String>,
    ) -> DomainResult<ForensicEngagement> {
        let (mut engagement, auth, by) = self
            .engagement_for_change(caller, engagement_id, revision)
            .await?;
        let id = RecordId::parse(&format!(
            "{}-F{}",
            engagement.id,
            engagement.findings.len() + 1
        ))?;
        let events = engagement.add_finding(
            NewFinding {
                id,
                root_cause,
                detail,
                iocs,
                affected_hosts,
                recommendations,
            },
            &by,
            self.p.now(),
        )?;
        self.p
            .stores
            .cases
            .save_engagement(
                &engagement,
                revision,
                Vec::new(),
                self.audit(caller, &auth, events),
            )
            .await?;
        Ok(engagement)
    }

    // ------------------------------------------------------------ evidence custody

    /// Records an evidence item (a disk image, a log export) with who collected it and when;
    /// its hash is computed from the bytes and must match the one claimed.
    #[allow(clippy::too_many_arguments)]
    pub async fn collect_evidence(
        &self,
        caller: &Caller,
        incident_id: &RecordId,
        name: &str,
        collected_by: &str,
        collected_at: Timestamp,
        upload: EvidenceUpload,
    ) -> DomainResult<CustodyItem> {
        self.anywhere(caller, Permission::ManageIncidents)?;
        let incident = self.load_incident(incident_id).await?;
        let auth = self
            .authorize_for(caller, Permission::ManageIncidents, &incident.agency)
            .await?;
        let by = self.user(caller)?;
        let now = self.p.now();
        let collect = |id: RecordId| {
            CustodyItem::collect(
                id,
                incident.id.clone(),
                name,
                collected_by,
                collected_at,
                &upload.bytes,
                upload.claimed_sha256.as_deref(),
                &by,
                now,
            )
        };
        collect(RecordId::parse("EV-0")?)?;
        let (item, events) = collect(self.next_id("EV", now).await?)?;
        let file = CaseFile {
            bytes: upload.bytes,
            media_type: upload.media_type,
        };
        self.p
            .stores
            .cases
            .create_evidence_item(&item, file, self.audit(caller, &auth, events))
            .await?;
        Ok(item)
    }

    /// Records a hand-over from the current holder; `handovers_seen` is how many the caller
    /// saw, so two people recording at once cannot both succeed.
    #[allow(clippy::too_many_arguments)]
    pub async fn hand_over_evidence(
        &self,
        caller: &Caller,
        incident_id: &RecordId,
        item_id: &RecordId,
        handovers_seen: usize,
        from: &str,
        to: &str,
        at: Timestamp,
        purpose: &str,
    ) -> DomainResult<CustodyItem> {
        self.anywhere(caller, Permission::ManageIncidents)?;
        let incident = self.load_incident(incident_id).await?;
        let auth = self
            .authorize_for(caller, Permission::ManageIncidents, &incident.agency)
            .await?;
        let mut item = self
            .p
            .stores
            .cases
            .evidence_items(incident_id)
            .await?
            .into_iter()
            .find(|i| &i.id == item_id)
            .ok_or_else(|| DomainError::not_found("evidence item", item_id.as_str()))?;
        if item.handovers.len() != handovers_seen {
            return Err(stale(
                "evidence item",
                u32::try_from(item.handovers.len() + 1).unwrap_or(u32::MAX),
                u32::try_from(handovers_seen + 1).unwrap_or(u32::MAX),
            ));
        }
        let by = self.user(caller)?;
        let events = item.hand_over(from, to, at, purpose, &by, self.p.now())?;
        self.p
            .stores
            .cases
            .save_evidence_item(&item, handovers_seen, self.audit(caller, &auth, events))
            .await?;
        Ok(item)
    }

    /// The custody log of the incident's evidence as CSV (every item, every hand-over).
    pub async fn custody_log(
        &self,
        caller: &Caller,
        incident_id: &RecordId,
    ) -> DomainResult<String> {
        let view = self.get(caller, incident_id).await?;
        crate::cases::custody_log_csv(&view.evidence)
            .map_err(|e| DomainError::store(format!("cannot write the custody log: {e}")))
    }

    // ------------------------------------------------------------ actions

    /// Turns a recommendation into an action with an owner, a due date in the future, a
    /// priority and closure criteria; a finding's root cause, IOCs and hosts become what a
    /// recurrence looks like.
    pub async fn plan_action(
        &self,
        caller: &Caller,
        incident_id: &RecordId,
        input: ActionInput,
    ) -> DomainResult<Action> {
        self.anywhere(caller, Permission::ManageIncidents)?;
        let incident = self.load_incident(incident_id).await?;
        let auth = self
            .authorize_for(caller, Permission::ManageIncidents, &incident.agency)
            .await?;
        let by = self.user(caller)?;
        let basis = match &input.finding {
            Some(finding_id) => {
                let engagements = self.p.stores.cases.engagements(incident_id).await?;
                let finding = engagements
                    .iter()
                    .flat_map(|e| e.findings.iter())
                    .find(|f| &f.id == finding_id)
                    .ok_or_else(|| DomainError::not_found("finding", finding_id.as_str()))?;
                RecurrenceBasis::of_finding(finding)
            }
            None => RecurrenceBasis {
                root_cause: None,
                iocs: Vec::new(),
                assets: incident
                    .assets
                    .iter()
                    .filter_map(|a| a.host.clone())
                    .collect(),
            },
        };
        let now = self.p.now();
        let new = |id: RecordId| NewAction {
            id,
            incident: incident.id.clone(),
            finding: input.finding.clone(),
            recommendation: input.recommendation.clone(),
            owner_agency: input.owner_agency.clone(),
            owner: input.owner.clone(),
            due_at: input.due_at,
            priority: input.priority,
            closure_criteria: input.closure_criteria.clone(),
            basis: basis.clone(),
        };
        Action::plan(new(RecordId::parse("ACT-0")?), &by, now)?;
        let id = self.next_id("ACT", now).await?;
        let (action, events) = Action::plan(new(id), &by, now)?;
        self.p
            .stores
            .cases
            .create_action(&action, self.audit(caller, &auth, events))
            .await?;
        Ok(action)
    }

    pub async fn action(&self, caller: &Caller, id: &RecordId) -> DomainResult<Action> {
        self.anywhere(caller, Permission::ReadIncidents)?;
        let action = self.load_action(id).await?;
        self.authorize_for(caller, Permission::ReadIncidents, &action.owner_agency)
            .await?;
        Ok(action)
    }

    /// Actions the caller may read (owner agency in scope), by due date.
    pub async fn actions(
        &self,
        caller: &Caller,
        filter: &ActionFilter,
    ) -> DomainResult<Vec<Action>> {
        let mut filter = filter.clone();
        filter.visible = self.visible(caller).await?;
        self.p.stores.cases.actions(&filter).await
    }

    async fn load_action(&self, id: &RecordId) -> DomainResult<Action> {
        self.p
            .stores
            .cases
            .action(id)
            .await?
            .ok_or_else(|| DomainError::not_found("action", id.as_str()))
    }

    async fn save_action(
        &self,
        caller: &Caller,
        auth: &Authorization,
        action: &Action,
        seen: u32,
        files: Vec<CaseFile>,
        events: Vec<CaseEvent>,
    ) -> DomainResult<()> {
        self.p
            .stores
            .cases
            .save_action(action, seen, files, self.audit(caller, auth, events))
            .await
    }

    /// Whether the caller may record work on this action: its owner (a handler of the owning
    /// agency), or a handler of the incident's agency (asked before an upload's body is read).
    pub async fn authorize_work(&self, caller: &Caller, id: &RecordId) -> DomainResult<()> {
        self.work_access(caller, id).await.map(|_| ())
    }

    async fn work_access(
        &self,
        caller: &Caller,
        id: &RecordId,
    ) -> DomainResult<(Action, Authorization, UserName)> {
        // Recording work changes state, so it needs manage_incidents (an auditor who reads
        // incidents never records anything): the owner's over their own agency.
        self.anywhere(caller, Permission::ManageIncidents)?;
        let action = self.load_action(id).await?;
        let by = self.user(caller)?;
        let auth = if action.owner == by {
            self.authorize_for(caller, Permission::ManageIncidents, &action.owner_agency)
                .await?
        } else {
            let incident = self.load_incident(&action.incident).await?;
            self.authorize_for(caller, Permission::ManageIncidents, &incident.agency)
                .await?
        };
        Ok((action, auth, by))
    }

    /// The owner records what was done: evidence files (each hash checked against the one
    /// claimed) and, with a note, submits the work for verification. A handler of the
    /// incident's agency may record for the owner.
    pub async fn record_work(
        &self,
        caller: &Caller,
        id: &RecordId,
        revision: u32,
        evidence: Vec<EvidenceUpload>,
        submit_note: Option<String>,
    ) -> DomainResult<Action> {
        let (mut action, auth, by) = self.work_access(caller, id).await?;
        action.ensure_revision(revision)?;
        let now = self.p.now();
        let mut events = Vec::new();
        if matches!(
            action.status,
            crate::cases::ActionStatus::Planned | crate::cases::ActionStatus::SentBack
        ) {
            events.extend(action.start(&by, now)?);
        }
        let mut files = Vec::new();
        for upload in evidence {
            events.extend(action.add_evidence(
                &upload.name,
                &upload.bytes,
                upload.claimed_sha256.as_deref(),
                &by,
                now,
            )?);
            files.push(CaseFile {
                bytes: upload.bytes,
                media_type: upload.media_type,
            });
        }
        if let Some(note) = submit_note {
            events.extend(action.submit(&note, &by, now)?);
        }
        if events.is_empty() {
            return Err(DomainError::invalid(
                "evidence",
                Text::new(
                    "請附上證據或送出驗證",
                    "attach evidence or submit the work for verification",
                ),
            ));
        }
        self.save_action(caller, &auth, &action, revision, files, events)
            .await?;
        Ok(action)
    }

    async fn for_verification(
        &self,
        caller: &Caller,
        id: &RecordId,
        revision: u32,
    ) -> DomainResult<(Action, Authorization, UserName)> {
        self.anywhere(caller, Permission::VerifyActions)?;
        let action = self.load_action(id).await?;
        let auth = self
            .authorize_for(caller, Permission::VerifyActions, &action.owner_agency)
            .await?;
        action.ensure_revision(revision)?;
        Ok((action, auth, self.user(caller)?))
    }

    /// A verifier who is not the owner accepts the work; only this closes an action.
    pub async fn verify(
        &self,
        caller: &Caller,
        id: &RecordId,
        revision: u32,
        note: &str,
    ) -> DomainResult<Action> {
        let (mut action, auth, by) = self.for_verification(caller, id, revision).await?;
        let events = action.verify(note, &by, self.p.now())?;
        self.save_action(caller, &auth, &action, revision, Vec::new(), events)
            .await?;
        Ok(action)
    }

    /// A verifier who is not the owner sends the work back, saying what is missing.
    pub async fn send_back(
        &self,
        caller: &Caller,
        id: &RecordId,
        revision: u32,
        reason: &str,
    ) -> DomainResult<Action> {
        let (mut action, auth, by) = self.for_verification(caller, id, revision).await?;
        let events = action.send_back(reason, &by, self.p.now())?;
        self.save_action(caller, &auth, &action, revision, Vec::new(), events)
            .await?;
        Ok(action)
    }

    /// Moves the due date: asked for by `requested_by`, approved by the caller (a handler of
    /// the incident's agency), with a reason; recorded.
    pub async fn extend(
        &self,
        caller: &Caller,
        id: &RecordId,
        revision: u32,
        to: Timestamp,
        reason: &str,
        requested_by: &UserName,
    ) -> DomainResult<Action> {
        self.anywhere(caller, Permission::ManageIncidents)?;
        let mut action = self.load_action(id).await?;
        let incident = self.load_incident(&action.incident).await?;
        let auth = self
            .authorize_for(caller, Permission::ManageIncidents, &incident.agency)
            .await?;
        action.ensure_revision(revision)?;
        let by = self.user(caller)?;
        let events = action.extend(to, reason, requested_by, &by, self.p.now())?;
        self.save_action(caller, &auth, &action, revision, Vec::new(), events)
            .await?;
        Ok(action)
    }

    /// Runs the 30- and 90-day recurrence checks that are due: an action whose IOCs came back
    /// in stored alerts or later incidents' findings, or whose root cause came back on the same
    /// host, is reopened with that evidence. City-wide handlers (or the scheduler) run it.
    pub async fn run_recurrence_checks(
        &self,
        caller: &Caller,
    ) -> DomainResult<Vec<RecurrenceOutcome>> {
        let auth = caller
            .principal
            .authorize(Permission::ManageIncidents, &Target::City)?;
        let now = self.p.now();
        let cases = &self.p.stores.cases;
        let verified = cases
            .actions(&ActionFilter {
                status: Some(crate::cases::ActionStatus::Verified),
                ..ActionFilter::default()
            })
            .await?;
        let mut out = Vec::new();
        let Some(since) = verified.iter().filter_map(|a| a.verified_at).min() else {
            return Ok(out);
        };
        let signals = self.signals_since(since, now).await?;
        for mut action in verified {
            let seen = action.revision;
            let decision = check_recurrence(&action, &signals, now);
            let events = match &decision {
                RecurrenceDecision::NotDue => continue,
                RecurrenceDecision::Clean { after_days } => {
                    action.record_clean_check(*after_days, now)
                }
                RecurrenceDecision::Reopen { check } => action.reopen(check.clone(), now)?,
            };
            self.save_action(caller, &auth, &action, seen, Vec::new(), events)
                .await?;
            out.push(RecurrenceOutcome {
                action: action.id.clone(),
                decision,
            });
        }
        Ok(out)
    }

    /// What was seen since `since`: stored alerts (their addresses; the destination is the
    /// asset) and the findings of incidents that became known since.
    async fn signals_since(
        &self,
        since: Timestamp,
        now: Timestamp,
    ) -> DomainResult<Vec<RecurrenceSignal>> {
        let mut signals = Vec::new();
        let filter = AlertFilter {
            from: Some(since),
            to: Some(now),
            ..AlertFilter::default()
        };
        for page in 1..=RECURRENCE_ALERT_PAGES {
            let rows = self
                .p
                .stores
                .alerts
                .alerts(&filter, PageRequest::new(Some(page), Some(500)))
                .await?;
            let last = rows.items.len() < 500;
            for row in rows.items {
                let observables: Vec<Observable> = [&row.source_ip, &row.destination_ip]
                    .into_iter()
                    .flatten()
                    .filter_map(|ip| observable_of_ip(ip))
                    .collect();
                signals.push(RecurrenceSignal {
                    reference: format!("alert:{}", row.fingerprint),
                    seen_at: row.observed_at,
                    root_cause: None,
                    observables,
                    asset: row.destination_ip.clone(),
                });
            }
            if last {
                break;
            }
        }
        let cases = &self.p.stores.cases;
        let mut seen_incidents = HashSet::new();
        for page in 1.. {
            let rows = cases
                .incidents(
                    &IncidentFilter::default(),
                    PageRequest::new(Some(page), Some(500)),
                )
                .await?;
            let last = rows.items.len() < 500;
            for row in rows.items.into_iter().filter(|r| r.aware_at > since) {
                if !seen_incidents.insert(row.id.clone()) {
                    continue;
                }
                for engagement in cases.engagements(&row.id).await? {
                    for finding in &engagement.findings {
                        let hosts: Vec<Option<String>> = if finding.affected_hosts.is_empty() {
                            vec![None]
                        } else {
                            finding.affected_hosts.iter().cloned().map(Some).collect()
                        };
                        for host in hosts {
                            signals.push(RecurrenceSignal {
                                reference: format!("incident:{}", row.id),
                                seen_at: row.aware_at,
                                root_cause: Some(finding.root_cause),
                                observables: finding.iocs.clone(),
                                asset: host,
                            });
                        }
                    }
                }
            }
            if last {
                break;
            }
        }
        Ok(signals)
    }
}

fn stale(what: &str, current: u32, expected: u32) -> DomainError {
    DomainError::conflict(
        format!("此{what}已被他人修改（版本 {current}，您看到的是 {expected}），請重新載入後再試"),
        format!(
            "someone else changed this {what} (revision {current}, you saw {expected}); reload and try again"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_named_pdf_must_be_a_pdf_and_a_docx_a_word_document() {
        assert_eq!(
            report_media_type("final.PDF", b"%PDF-1.7\n...").unwrap(),
            "application/pdf"
        );
        let fake = report_media_type("final.pdf", b"MZ\x90\x00 an executable").unwrap_err();
        assert_eq!(fake.code(), "invalid_input");
        assert!(fake.to_string().contains("not PDF"), "{fake}");
        let docx = b"PK\x03\x04....[Content_Types].xml....word/document.xml";
        assert!(report_media_type("report.docx", docx).is_ok());
        assert!(report_media_type("report.docx", b"PK\x03\x04 just a zip").is_err());
        assert!(report_media_type("report.exe", b"%PDF-1.7").is_err());
    }

    #[test]
    fn the_next_due_deadline_ignores_met_and_waiting_clocks() {
        let (book, policy) = rules().unwrap();
        let t = |s: &str| Timestamp::parse_rfc3339(s).unwrap();
        let (incident, _) = Incident::open(
            NewIncident {
                id: RecordId::parse("INC-1").unwrap(),
                title: "x".into(),
                agency: AgencyCode::parse("380330000E").unwrap(),
                category: IncidentCategory::Other,
                origin: IncidentOrigin::Manual {
                    how_learned: "來電".into(),
                },
                assets: vec![],
                occurred_at: None,
                aware_at: t("2025-04-01T09:00:00+08:00"),
                people: vec![],
                description: String::new(),
            },
            book,
            &UserName::parse("soc.lin").unwrap(),
            t("2025-04-01T09:05:00+08:00"),
        )
        .unwrap();
        let clocks = deadlines(&incident, book, policy, t("2025-04-01T09:10:00+08:00")).unwrap();
        // Notify within an hour of the aware time is the first clock running.
        assert_eq!(next_due(&clocks), Some(t("2025-04-01T10:00:00+08:00")));
    }
}
