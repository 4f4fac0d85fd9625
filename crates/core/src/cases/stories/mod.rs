//! The audit's four examples walked end to end (Audit Office, Taoyuan, 2024 final accounts;
//! soc.md §0): level decision, legal clocks, forensic report, findings, actions, verification
//! by someone other than the owner, and recurrence.

use std::collections::BTreeSet;

use crate::accounts::UserName;
use crate::agencies::AgencyCode;
use crate::cases::*;
use crate::intel::{HashAlgorithm, Observable, ObservableKind};
use crate::time::Timestamp;

pub(super) fn t(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap()
}

pub(super) fn user(name: &str) -> UserName {
    UserName::parse(name).unwrap()
}

pub(super) fn id(s: &str) -> RecordId {
    RecordId::parse(s).unwrap()
}

pub(super) fn agency(code: &str) -> AgencyCode {
    AgencyCode::parse(code).unwrap()
}

pub(super) fn state(deadlines: &[Deadline], obligation: Obligation) -> ClockState {
    deadlines
        .iter()
        .find(|d| d.obligation == obligation)
        .unwrap()
        .state
}

pub(super) fn deadline(deadlines: &[Deadline], obligation: Obligation) -> &Deadline {
    deadlines
        .iter()
        .find(|d| d.obligation == obligation)
        .unwrap()
}

pub(super) fn open(
    incident_id: &str,
    code: &str,
    category: IncidentCategory,
    aware: &str,
    assets: Vec<AffectedAsset>,
) -> Incident {
    let book = RuleBook::embedded().unwrap();
    let new = NewIncident {
        id: id(incident_id),
        title: format!("{incident_id} audit example"),
        agency: agency(code),
        category,
        origin: IncidentOrigin::Alerts {
            notifications: vec![NotificationRef::parse(&format!("grp-{incident_id}")).unwrap()],
        },
        assets,
        occurred_at: None,
        aware_at: t(aware),
        people: vec![PersonInvolved {
            name: "林資安".into(),
            account: Some(user("soc.lin")),
            organisation: None,
            role: Involvement::Handler,
        }],
        description: String::new(),
    };
    Incident::open(new, &book, &user("soc.lin"), t(aware))
        .unwrap()
        .0
}

pub(super) fn asset(name: &str, class: AssetClass, host: &str) -> AffectedAsset {
    AffectedAsset {
        name: name.into(),
        class,
        host: Some(host.into()),
    }
}

pub(super) fn effect(asset: &str, class: AssetClass, impact: Impact) -> Effect {
    Effect {
        asset: asset.into(),
        class,
        sensitivity: Sensitivity::Ordinary,
        impact,
    }
}

pub(super) fn all_sections() -> BTreeSet<ReportSection> {
    ReportSection::ALL.into_iter().collect()
}

pub(super) fn record_report(incident: &mut Incident, by: &UserName, at: &str) {
    incident
        .record(TimelineKind::ReportSubmitted, t(at), None, by, t(at))
        .unwrap();
    incident
        .record(
            TimelineKind::ImprovementPlanSubmitted,
            t(at),
            None,
            by,
            t(at),
        )
        .unwrap();
}

mod culture;
mod edr;
mod rule_change;
mod website;
mod wget;
