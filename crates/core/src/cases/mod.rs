//! Incidents and forensics (issue 5): incidents on legal clocks, forensic reports, findings
//! and follow-up actions to verified closure.
//!
//! Pure domain: every change is a method that checks the rule, changes the value and returns
//! the [`CaseEvent`]s to audit; time is always the caller's `now`. How the integrator wires it:
//! - incidents: [`Incident::open`] (from alert notifications or by hand) → [`Incident::assess_level`]
//!   with [`Effect`]s (the §2.3 table, [`decide_level`]) → [`Incident::record`] timeline events;
//! - clocks: [`RuleBook::embedded`] holds the versioned legal rule sets; an incident pins the set
//!   in force when it became aware; [`deadlines`] computes each obligation's state for `now`,
//!   [`escalations`] what to tell whom, [`compliance_summary`] met/missed/open per agency;
//! - forensics: [`ForensicEngagement::request`] → [`ForensicEngagement::receive_report`] (bytes
//!   hashed here, stored by the integrator under their SHA-256) → findings with IOCs for intel;
//! - actions: [`Action::plan`] from a finding's recommendation → owner works with evidence →
//!   a different person verifies → [`check_recurrence`] at +30/+90 days may reopen it;
//! - evidence custody: [`CustodyItem`] and [`custody_log_csv`]; exchange: [`stix::export_incident`] and
//!   [`stix::import_incidents`] (STIX 2.1 Incident Core).

pub mod actions;
pub mod clocks;
pub mod custody;
pub mod event;
pub mod followup;
pub mod forensics;
pub mod id;
pub mod incident;
pub mod level;
pub mod measures;
pub mod query;
pub mod service;
pub mod stix;

pub use actions::{
    Action, ActionStatus, EvidenceItem, Extension, NewAction, Priority, RecurrenceBasis,
    RecurrenceCheck, RecurrenceDecision, RecurrenceEvidence, RecurrenceSignal, ReminderKind,
    ReminderNotice, ReminderPolicy, StatusChange, check_recurrence, reminders,
};
pub use clocks::{
    ClockPolicy, ClockStart, ClockState, ComplianceRow, Deadline, DeadlineRule, EscalationNotice,
    EscalationTarget, Obligation, RuleBook, RuleSet, compliance_summary, deadlines, escalations,
};
pub use custody::{CustodyItem, Handover, custody_log_csv};
pub use event::CaseEvent;
pub use followup::{FollowUpRun, action_notices, clock_notices};
pub use forensics::{
    EngagementStatus, Finding, ForensicEngagement, NewFinding, Recommendation, ReportSection,
    ReportVersion, RootCause, sha256_hex,
};
pub use id::{NotificationRef, RecordId};
pub use incident::{
    AffectedAsset, Determination, Incident, IncidentCategory, IncidentOrigin, IncidentStatus,
    Involvement, NewIncident, PersonInvolved, TimelineEntry, TimelineKind, Withdrawal,
};
pub use level::{
    AssetClass, Effect, Impact, IncidentLevel, LevelAssessment, LevelDecision, LevelReason,
    Sensitivity, Severity, decide_level,
};
pub use measures::{
    ComplianceReport, DeadlineTally, DurationStat, MeasureRow, Measures, MissedDeadline, Period,
};
pub use service::{
    ActionInput, CaseService, EvidenceUpload, IncidentInput, IncidentView, RecurrenceOutcome,
};

#[cfg(test)]
mod stories;
