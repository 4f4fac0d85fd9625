//! Measures of how incidents and follow-up actions go, per agency and city-wide (issue 5
//! point 6), and the compliance report of legal deadlines met and missed (point 2). Pure
//! functions over incidents with their deadlines and actions; the service loads them.
//!
//! The period picks incidents by their aware time and actions by when they were planned;
//! open and overdue are counted at `now`. Durations are whole minutes; medians of an even
//! count take the lower middle value's mean with the upper, rounded down.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::agencies::AgencyCode;
use crate::cases::actions::{Action, ActionStatus};
use crate::cases::clocks::{ClockState, Deadline, Obligation};
use crate::cases::id::RecordId;
use crate::cases::incident::{Determination, Incident, TimelineKind};
use crate::text::Text;
use crate::time::Timestamp;

/// From (inclusive) to (exclusive); an open end is unbounded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

impl Period {
    pub fn contains(&self, at: Timestamp) -> bool {
        self.from.is_none_or(|f| at >= f) && self.to.is_none_or(|t| at < t)
    }
}

/// An incident with what the measures need beside it.
#[derive(Debug, Clone)]
pub struct IncidentFacts {
    pub incident: Incident,
    /// When the first alert of the notifications it was opened from was seen.
    pub first_alert_at: Option<Timestamp>,
    /// Its legal clocks at `now`.
    pub deadlines: Vec<Deadline>,
}

/// Met in time, met late, past due and not met, and still running, for one kind of clock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineTally {
    pub met: u32,
    pub met_late: u32,
    pub overdue: u32,
    pub running: u32,
}

impl DeadlineTally {
    /// Missed: met late or past due and still not met.
    pub fn missed(&self) -> u32 {
        self.met_late + self.overdue
    }

    /// Met in time out of all that have come due or been met; `None` before any has.
    pub fn rate(&self) -> Option<f64> {
        let decided = self.met + self.missed();
        (decided > 0).then(|| f64::from(self.met) / f64::from(decided))
    }

    fn count(&mut self, state: ClockState) {
        match state {
            ClockState::Met => self.met += 1,
            ClockState::Missed => self.met_late += 1,
            ClockState::Overdue => self.overdue += 1,
            ClockState::OnTrack | ClockState::DueSoon => self.running += 1,
            ClockState::Waiting | ClockState::NotApplicable => {}
        }
    }

    fn add(&mut self, other: &DeadlineTally) {
        self.met += other.met;
        self.met_late += other.met_late;
        self.overdue += other.overdue;
        self.running += other.running;
    }
}

/// A median (and the mean) of durations in minutes, with how many there were.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DurationStat {
    pub count: u32,
    pub median_minutes: Option<i64>,
    pub mean_minutes: Option<i64>,
}

impl DurationStat {
    pub fn of(mut minutes: Vec<i64>) -> DurationStat {
        minutes.sort_unstable();
        let count = u32::try_from(minutes.len()).unwrap_or(u32::MAX);
        let n = minutes.len();
        let median = match n {
            0 => None,
            _ if n % 2 == 1 => minutes.get(n / 2).copied(),
            _ => match (minutes.get(n / 2 - 1), minutes.get(n / 2)) {
                (Some(a), Some(b)) => Some((a + b).div_euclid(2)),
                _ => None,
            },
        };
        let mean = (n > 0).then(|| {
            minutes
                .iter()
                .sum::<i64>()
                .div_euclid(i64::try_from(n).unwrap_or(1))
        });
        DurationStat {
            count,
            median_minutes: median,
            mean_minutes: mean,
        }
    }

    /// "3 天 4 小時" / "3 d 4 h"; "—" when there is nothing to measure.
    pub fn median_text(&self) -> Text {
        self.median_minutes
            .map(duration_text)
            .unwrap_or_else(|| Text::same("—"))
    }

    pub fn mean_text(&self) -> Text {
        self.mean_minutes
            .map(duration_text)
            .unwrap_or_else(|| Text::same("—"))
    }
}

/// Whole minutes as days, hours and minutes, the largest two units shown.
pub fn duration_text(minutes: i64) -> Text {
    let m = minutes.max(0);
    let (days, hours, mins) = (m / 1440, (m % 1440) / 60, m % 60);
    if days > 0 {
        Text::new(
            format!("{days} 天 {hours} 小時"),
            format!("{days} d {hours} h"),
        )
    } else if hours > 0 {
        Text::new(
            format!("{hours} 小時 {mins} 分"),
            format!("{hours} h {mins} min"),
        )
    } else {
        Text::new(format!("{mins} 分"), format!("{mins} min"))
    }
}

/// The measures of one agency (`agency: None`: the whole city in scope).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MeasureRow {
    pub agency: Option<AgencyCode>,
    /// Incidents that became known in the period, and how many of them are closed.
    pub incidents: u32,
    pub incidents_closed: u32,
    /// Actions planned in the period (by owning agency): not yet verified, past due and
    /// still the owner's to do, and verified now.
    pub actions: u32,
    pub actions_open: u32,
    pub actions_overdue: u32,
    pub actions_verified: u32,
    /// Planned → first verified.
    pub time_to_remediate: DurationStat,
    /// Actions verified at least once, and those reopened after a recurrence.
    pub actions_ever_verified: u32,
    pub actions_reopened: u32,
    /// First alert seen → aware (incidents opened from alerts).
    pub mttd: DurationStat,
    /// Aware → closed (closed incidents that were real: not false or benign positives).
    pub mttr: DurationStat,
    /// Legal clocks by kind.
    pub deadlines: BTreeMap<Obligation, DeadlineTally>,
}

impl MeasureRow {
    /// Reopened out of ever verified; `None` before anything was verified.
    pub fn recurrence_rate(&self) -> Option<f64> {
        (self.actions_ever_verified > 0)
            .then(|| f64::from(self.actions_reopened) / f64::from(self.actions_ever_verified))
    }

    /// Every kind of clock together.
    pub fn deadlines_total(&self) -> DeadlineTally {
        let mut total = DeadlineTally::default();
        for t in self.deadlines.values() {
            total.add(t);
        }
        total
    }
}

/// Per agency (by code), then the city as a whole.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Measures {
    pub period: Period,
    pub computed_at: Option<Timestamp>,
    pub agencies: Vec<MeasureRow>,
    pub city: MeasureRow,
}

#[derive(Default)]
struct Samples {
    remediate: Vec<i64>,
    mttd: Vec<i64>,
    mttr: Vec<i64>,
}

fn minutes_between(from: Timestamp, to: Timestamp) -> i64 {
    to.since(from).whole_minutes().max(0)
}

/// When the action was first verified (a reopened action keeps its first closure).
pub fn first_verified(action: &Action) -> Option<Timestamp> {
    action
        .history
        .iter()
        .filter(|c| c.to == ActionStatus::Verified)
        .map(|c| c.at)
        .min()
        .or(action.verified_at)
}

/// Reopened by a recurrence check: it left the verified state again.
pub fn was_reopened(action: &Action) -> bool {
    action
        .history
        .iter()
        .any(|c| c.from == ActionStatus::Verified)
}

fn counts_for_mttr(incident: &Incident) -> bool {
    !matches!(
        incident.determination,
        Determination::FalsePositive | Determination::BenignTruePositive
    )
}

/// The measures of the incidents and actions given (already limited to what the caller
/// reads), for the period, at `now`.
pub fn measure(
    incidents: &[IncidentFacts],
    actions: &[Action],
    period: Period,
    now: Timestamp,
) -> Measures {
    let mut rows: BTreeMap<AgencyCode, (MeasureRow, Samples)> = BTreeMap::new();
    let mut city = (MeasureRow::default(), Samples::default());
    for facts in incidents {
        let incident = &facts.incident;
        if !period.contains(incident.aware_at()) {
            continue;
        }
        let entry = rows.entry(incident.agency.clone()).or_default();
        for (row, samples) in [(&mut entry.0, &mut entry.1), (&mut city.0, &mut city.1)] {
            row.incidents += 1;
            let closed = incident.first(TimelineKind::Closed);
            if closed.is_some() {
                row.incidents_closed += 1;
            }
            if let Some(first) = facts.first_alert_at {
                samples
                    .mttd
                    .push(minutes_between(first, incident.aware_at()));
            }
            if let Some(closed) = closed
                && counts_for_mttr(incident)
            {
                samples
                    .mttr
                    .push(minutes_between(incident.aware_at(), closed));
            }
            for d in &facts.deadlines {
                row.deadlines
                    .entry(d.obligation)
                    .or_default()
                    .count(d.state);
            }
        }
    }
    for action in actions {
        if !period.contains(action.created_at) {
            continue;
        }
        let entry = rows.entry(action.owner_agency.clone()).or_default();
        for (row, samples) in [(&mut entry.0, &mut entry.1), (&mut city.0, &mut city.1)] {
            row.actions += 1;
            if action.status == ActionStatus::Verified {
                row.actions_verified += 1;
            } else {
                row.actions_open += 1;
            }
            if action.is_overdue(now) {
                row.actions_overdue += 1;
            }
            if let Some(verified) = first_verified(action) {
                row.actions_ever_verified += 1;
                samples
                    .remediate
                    .push(minutes_between(action.created_at, verified));
            }
            if was_reopened(action) {
                row.actions_reopened += 1;
            }
        }
    }
    let finish = |agency: Option<AgencyCode>, (mut row, samples): (MeasureRow, Samples)| {
        row.agency = agency;
        row.time_to_remediate = DurationStat::of(samples.remediate);
        row.mttd = DurationStat::of(samples.mttd);
        row.mttr = DurationStat::of(samples.mttr);
        row
    };
    Measures {
        period,
        computed_at: Some(now),
        agencies: rows
            .into_iter()
            .map(|(code, row)| finish(Some(code), row))
            .collect(),
        city: finish(None, city),
    }
}

/// A legal deadline that was missed: met late, or past due and still not met.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissedDeadline {
    pub incident: RecordId,
    pub title: String,
    pub agency: AgencyCode,
    pub obligation: Obligation,
    pub state: ClockState,
    pub due_at: Option<Timestamp>,
    pub met_at: Option<Timestamp>,
    pub rule_set: String,
    pub source: Text,
    pub explanation: Text,
}

/// The compliance report: deadlines by agency (and the city), and every missed one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ComplianceReport {
    pub period: Period,
    pub computed_at: Option<Timestamp>,
    pub agencies: Vec<(AgencyCode, DeadlineTally)>,
    pub city: DeadlineTally,
    /// By due time, the oldest first.
    pub missed: Vec<MissedDeadline>,
}

pub fn compliance(incidents: &[IncidentFacts], period: Period, now: Timestamp) -> ComplianceReport {
    let mut rows: BTreeMap<AgencyCode, DeadlineTally> = BTreeMap::new();
    let mut city = DeadlineTally::default();
    let mut missed = Vec::new();
    for facts in incidents {
        let incident = &facts.incident;
        if !period.contains(incident.aware_at()) {
            continue;
        }
        let row = rows.entry(incident.agency.clone()).or_default();
        for d in &facts.deadlines {
            row.count(d.state);
            city.count(d.state);
            if matches!(d.state, ClockState::Missed | ClockState::Overdue) {
                missed.push(MissedDeadline {
                    incident: incident.id.clone(),
                    title: incident.title.clone(),
                    agency: incident.agency.clone(),
                    obligation: d.obligation,
                    state: d.state,
                    due_at: d.due_at,
                    met_at: d.met_at,
                    rule_set: d.rule_set.clone(),
                    source: d.source.clone(),
                    explanation: d.explanation.clone(),
                });
            }
        }
    }
    missed.sort_by(|a, b| {
        (a.due_at, a.incident.as_str(), a.obligation).cmp(&(
            b.due_at,
            b.incident.as_str(),
            b.obligation,
        ))
    });
    ComplianceReport {
        period,
        computed_at: Some(now),
        agencies: rows.into_iter().collect(),
        city,
        missed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::UserName;
    use crate::cases::actions::RecurrenceEvidence;
    use crate::cases::actions::{NewAction, Priority, RecurrenceBasis, RecurrenceCheck};
    use crate::cases::clocks::{ClockPolicy, RuleBook, deadlines};
    use crate::cases::incident::{IncidentCategory, IncidentOrigin, NewIncident};
    use crate::cases::level::{AssetClass, Effect, Impact, Sensitivity, Severity};

    fn t(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    fn user(n: &str) -> UserName {
        UserName::parse(n).unwrap()
    }

    const CULTURE: &str = "380330000E";
    const EDU: &str = "380040000A";

    /// An incident aware at `aware`, level 1, with the given timeline moments.
    fn incident(id: &str, agency: &str, aware: &str, moments: &[(TimelineKind, &str)]) -> Incident {
        let book = RuleBook::embedded().unwrap();
        let by = user("soc.lin");
        let (mut incident, _) = Incident::open(
            NewIncident {
                id: RecordId::parse(id).unwrap(),
                title: format!("{id} 事件"),
                agency: AgencyCode::parse(agency).unwrap(),
                category: IncidentCategory::IllegalIntrusion,
                origin: IncidentOrigin::Manual {
                    how_learned: "廠商來電".into(),
                },
                assets: vec![],
                occurred_at: None,
                aware_at: t(aware),
                people: vec![],
                description: String::new(),
            },
            &book,
            &by,
            t(aware),
        )
        .unwrap();
        incident
            .assess_level(
                vec![Effect {
                    asset: "pc".into(),
                    class: AssetClass::General,
                    sensitivity: Sensitivity::Ordinary,
                    impact: Impact::SystemTampered {
                        severity: Severity::Minor,
                    },
                }],
                None,
                &by,
                t(aware),
            )
            .unwrap();
        for (kind, at) in moments {
            incident.record(*kind, t(at), None, &by, t(at)).unwrap();
        }
        incident
    }

    fn facts(incident: Incident, first_alert: Option<&str>, now: &str) -> IncidentFacts {
        let book = RuleBook::embedded().unwrap();
        let policy = ClockPolicy::standard().unwrap();
        let deadlines = deadlines(&incident, &book, &policy, t(now)).unwrap();
        IncidentFacts {
            incident,
            first_alert_at: first_alert.map(t),
            deadlines,
        }
    }

    fn action(id: &str, agency: &str, planned: &str, due: &str) -> Action {
        Action::plan(
            NewAction {
                id: RecordId::parse(id).unwrap(),
                incident: RecordId::parse("INC-1").unwrap(),
                finding: None,
                recommendation: format!("{id} 改善"),
                owner_agency: AgencyCode::parse(agency).unwrap(),
                owner: user("it.wang"),
                due_at: t(due),
                priority: Priority::High,
                closure_criteria: "掃描無弱點".into(),
                basis: RecurrenceBasis::default(),
            },
            &user("soc.lin"),
            t(planned),
        )
        .unwrap()
        .0
    }

    fn verified(mut a: Action, at: &str) -> Action {
        let owner = user("it.wang");
        a.start(&owner, t(at)).unwrap();
        a.add_evidence("log.txt", b"patched", None, &owner, t(at))
            .unwrap();
        a.submit("done", &owner, t(at)).unwrap();
        a.verify("ok", &user("ciso.hsu"), t(at)).unwrap();
        a
    }

    fn row<'m>(m: &'m Measures, code: &str) -> &'m MeasureRow {
        m.agencies
            .iter()
            .find(|r| r.agency.as_ref().is_some_and(|a| a.as_str() == code))
            .unwrap()
    }

    #[test]
    fn median_of_an_even_count_is_the_mean_of_the_middle_two_and_empty_is_unknown() {
        let s = DurationStat::of(vec![600, 60, 120, 30]);
        assert_eq!(s.count, 4);
        assert_eq!(s.median_minutes, Some(90), "(60 + 120) / 2");
        assert_eq!(s.mean_minutes, Some(202), "810 / 4 rounded down");
        assert_eq!(DurationStat::of(vec![5, 1, 9]).median_minutes, Some(5));
        let none = DurationStat::of(vec![]);
        assert_eq!((none.count, none.median_minutes), (0, None));
        assert_eq!(none.median_text().zh, "—");
        assert_eq!(duration_text(3 * 1440 + 4 * 60 + 5).zh, "3 天 4 小時");
        assert_eq!(duration_text(95).en, "1 h 35 min");
    }

    #[test]
    fn actions_are_counted_per_owning_agency_with_time_to_remediate_and_recurrence() {
        let now = t("2025-06-01T09:00:00+08:00");
        // Culture: A1 verified 2 days after planning; A2 verified after 10 days, then
        // reopened by a recurrence check; A3 open and past due; A4 open, not yet due.
        let a1 = verified(
            action(
                "ACT-1",
                CULTURE,
                "2025-04-01T09:00:00+08:00",
                "2025-05-01T09:00:00+08:00",
            ),
            "2025-04-03T09:00:00+08:00",
        );
        let mut a2 = verified(
            action(
                "ACT-2",
                CULTURE,
                "2025-04-01T09:00:00+08:00",
                "2025-05-01T09:00:00+08:00",
            ),
            "2025-04-11T09:00:00+08:00",
        );
        a2.reopen(
            RecurrenceCheck {
                after_days: 30,
                at: t("2025-05-11T09:00:00+08:00"),
                evidence: vec![RecurrenceEvidence {
                    reference: "alert:x".into(),
                    seen_at: t("2025-05-01T09:00:00+08:00"),
                    reason: Text::same("same IOC"),
                }],
            },
            t("2025-05-11T09:00:00+08:00"),
        )
        .unwrap();
        let a3 = action(
            "ACT-3",
            CULTURE,
            "2025-04-01T09:00:00+08:00",
            "2025-05-01T09:00:00+08:00",
        );
        let a4 = action(
            "ACT-4",
            CULTURE,
            "2025-05-20T09:00:00+08:00",
            "2025-07-01T09:00:00+08:00",
        );
        // Education: one verified after 1 hour; one planned before the period.
        let b1 = verified(
            action(
                "ACT-5",
                EDU,
                "2025-04-02T09:00:00+08:00",
                "2025-05-01T09:00:00+08:00",
            ),
            "2025-04-02T10:00:00+08:00",
        );
        let old = action(
            "ACT-6",
            EDU,
            "2025-01-02T09:00:00+08:00",
            "2025-02-01T09:00:00+08:00",
        );
        let period = Period {
            from: Some(t("2025-04-01T00:00:00+08:00")),
            to: Some(t("2025-07-01T00:00:00+08:00")),
        };
        let m = measure(&[], &[a1, a2, a3, a4, b1, old], period, now);
        assert_eq!(m.agencies.len(), 2);
        let culture = row(&m, CULTURE);
        assert_eq!(
            (
                culture.actions,
                culture.actions_open,
                culture.actions_overdue,
                culture.actions_verified
            ),
            (4, 3, 2, 1),
            "A2 (reopened) and A3 are past due; only A1 is verified now"
        );
        assert_eq!(culture.time_to_remediate.count, 2);
        // (2 d + 10 d) / 2 = 6 days.
        assert_eq!(culture.time_to_remediate.median_minutes, Some(6 * 1440));
        assert_eq!(
            (culture.actions_ever_verified, culture.actions_reopened),
            (2, 1)
        );
        assert_eq!(culture.recurrence_rate(), Some(0.5));
        let edu = row(&m, EDU);
        assert_eq!(
            (edu.actions, edu.actions_verified),
            (1, 1),
            "ACT-6 is before the period"
        );
        assert_eq!(edu.time_to_remediate.median_minutes, Some(60));
        // City: remediation times 60, 2 d, 10 d → median 2 d.
        assert_eq!(m.city.actions, 5);
        assert_eq!(m.city.time_to_remediate.median_minutes, Some(2 * 1440));
        assert_eq!(m.city.recurrence_rate(), Some(1.0 / 3.0));
    }

    #[test]
    fn mttd_mttr_and_legal_deadlines_are_measured_per_agency_and_for_the_city() {
        let now = "2025-06-01T09:00:00+08:00";
        // I1: alert at 08:30, aware 09:00 (30 min); notified 09:40 (in time, < 1 h),
        // contained next day, report, closed after 20 days.
        let i1 = incident(
            "INC-1",
            CULTURE,
            "2025-04-01T09:00:00+08:00",
            &[
                (TimelineKind::Notified, "2025-04-01T09:40:00+08:00"),
                (TimelineKind::LevelReviewed, "2025-04-01T12:00:00+08:00"),
                (TimelineKind::Contained, "2025-04-02T09:00:00+08:00"),
                (TimelineKind::Recovered, "2025-04-03T09:00:00+08:00"),
                (TimelineKind::ReportSubmitted, "2025-04-15T09:00:00+08:00"),
                (
                    TimelineKind::ImprovementPlanSubmitted,
                    "2025-04-15T09:00:00+08:00",
                ),
            ],
        );
        let mut i1 = i1;
        i1.determine(
            Determination::Confirmed,
            "確認",
            &user("soc.lin"),
            t("2025-04-15T09:00:00+08:00"),
        )
        .unwrap();
        i1.close("結案", &user("soc.lin"), t("2025-04-21T09:00:00+08:00"))
            .unwrap();
        // I2: alert 2 h before aware; notified 3 hours late-ish (met late); nothing else.
        let i2 = incident(
            "INC-2",
            CULTURE,
            "2025-05-01T09:00:00+08:00",
            &[(TimelineKind::Notified, "2025-05-01T12:00:00+08:00")],
        );
        // I3 (education): opened by hand, never notified: overdue.
        let i3 = incident("INC-3", EDU, "2025-05-10T09:00:00+08:00", &[]);
        let all = [
            facts(i1, Some("2025-04-01T08:30:00+08:00"), now),
            facts(i2, Some("2025-05-01T07:00:00+08:00"), now),
            facts(i3, None, now),
        ];
        let m = measure(&all, &[], Period::default(), t(now));
        let culture = row(&m, CULTURE);
        assert_eq!((culture.incidents, culture.incidents_closed), (2, 1));
        assert_eq!(culture.mttd.count, 2);
        assert_eq!(culture.mttd.median_minutes, Some(75), "(30 + 120) / 2");
        assert_eq!(culture.mttr.median_minutes, Some(20 * 1440));
        let notify = culture.deadlines[&Obligation::Notify];
        assert_eq!((notify.met, notify.met_late, notify.overdue), (1, 1, 0));
        assert_eq!(notify.rate(), Some(0.5));
        let edu = row(&m, EDU);
        assert_eq!(
            edu.mttd.count, 0,
            "opened by hand: no alert to measure from"
        );
        assert_eq!(edu.deadlines[&Obligation::Notify].overdue, 1);
        let city_notify = m.city.deadlines[&Obligation::Notify];
        assert_eq!((city_notify.met, city_notify.missed()), (1, 2));

        let report = compliance(&all, Period::default(), t(now));
        assert_eq!(report.city.met, m.city.deadlines_total().met);
        let missed_notify: Vec<&str> = report
            .missed
            .iter()
            .filter(|d| d.obligation == Obligation::Notify)
            .map(|d| d.incident.as_str())
            .collect();
        assert_eq!(missed_notify, vec!["INC-2", "INC-3"]);
        let late = report
            .missed
            .iter()
            .find(|d| d.incident.as_str() == "INC-2" && d.obligation == Obligation::Notify)
            .unwrap();
        assert_eq!(late.state, ClockState::Missed);
        assert_eq!(late.due_at, Some(t("2025-05-01T10:00:00+08:00")));
        assert_eq!(late.met_at, Some(t("2025-05-01T12:00:00+08:00")));
        assert!(late.source.zh.contains("2021-08-23"), "{}", late.source.zh);
        // A period that ends before I3 leaves education out.
        let april_may = Period {
            from: None,
            to: Some(t("2025-05-10T00:00:00+08:00")),
        };
        assert_eq!(compliance(&all, april_may, t(now)).agencies.len(), 1);
    }
}
