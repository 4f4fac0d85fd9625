//! Legal clocks: deadlines computed from versioned rule sets (`rules/*.toml`, each with its legal
//! source and effective date), their state at `now`, who is told, and compliance per agency.
//! An incident pins the rule set in force when the agency became aware, so an amendment never
//! moves a past incident's deadlines.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use time::{Duration, Month};

use crate::agencies::AgencyCode;
use crate::cases::incident::{Determination, Incident, IncidentStatus, TimelineKind};
use crate::cases::level::IncidentLevel;
use crate::text::Text;
use crate::time::{TAIPEI, Timestamp};

/// The rule sets civitas ships with, oldest first.
pub const EMBEDDED_RULE_SETS: [&str; 2] = [
    include_str!("rules/2021-08-23.toml"),
    include_str!("rules/2026-01-05.toml"),
];

/// The default local policy for due-soon leads and escalation.
pub const DEFAULT_CLOCK_POLICY: &str = include_str!("rules/clock-policy.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Obligation {
    /// 通報 within 1 hour of becoming aware.
    Notify,
    /// 等級審核 by the supervising authority.
    LevelReview,
    /// 損害控制或復原
    DamageControl,
    /// 調查、處理及改善報告
    InvestigationReport,
    /// The report's improvement measures and their schedule (施行細則 items 6–7).
    ImprovementPlan,
}

impl Obligation {
    pub const ALL: [Obligation; 5] = [
        Obligation::Notify,
        Obligation::LevelReview,
        Obligation::DamageControl,
        Obligation::InvestigationReport,
        Obligation::ImprovementPlan,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Notify => "notify",
            Self::LevelReview => "level_review",
            Self::DamageControl => "damage_control",
            Self::InvestigationReport => "investigation_report",
            Self::ImprovementPlan => "improvement_plan",
        }
    }

    pub fn label(&self) -> Text {
        match self {
            Self::Notify => Text::new("事件通報", "notification"),
            Self::LevelReview => Text::new("事件等級審核", "level review"),
            Self::DamageControl => Text::new("完成損害控制或復原", "damage control or recovery"),
            Self::InvestigationReport => Text::new(
                "調查、處理及改善報告",
                "investigation, handling and improvement report",
            ),
            Self::ImprovementPlan => {
                Text::new("改善措施與預定完成時程", "improvement plan and schedule")
            }
        }
    }

    /// The timeline moments that meet the obligation (the first one counts).
    fn met_by(&self) -> &'static [TimelineKind] {
        match self {
            Self::Notify => &[TimelineKind::Notified],
            Self::LevelReview => &[TimelineKind::LevelReviewed],
            Self::DamageControl => &[TimelineKind::Contained, TimelineKind::Recovered],
            Self::InvestigationReport => &[TimelineKind::ReportSubmitted],
            Self::ImprovementPlan => &[TimelineKind::ImprovementPlanSubmitted],
        }
    }
}

/// What starts an obligation's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockStart {
    Aware,
    Notified,
    /// The first of contained and recovered.
    DamageControlled,
}

impl ClockStart {
    fn label(&self) -> Text {
        match self {
            Self::Aware => Text::new("知悉", "becoming aware"),
            Self::Notified => Text::new("通報", "notification"),
            Self::DamageControlled => Text::new("完成損害控制或復原", "damage control or recovery"),
        }
    }

    fn kinds(&self) -> &'static [TimelineKind] {
        match self {
            Self::Aware => &[TimelineKind::Aware],
            Self::Notified => &[TimelineKind::Notified],
            Self::DamageControlled => &[TimelineKind::Contained, TimelineKind::Recovered],
        }
    }
}

/// One line of a rule set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlineRule {
    pub obligation: Obligation,
    pub starts_at: ClockStart,
    pub levels: Vec<u8>,
    pub hours: Option<u32>,
    /// Calendar months, counted on Taipei dates.
    pub months: Option<u32>,
    pub article: String,
    pub verified: bool,
}

impl DeadlineRule {
    fn due(&self, start: Timestamp) -> Timestamp {
        match (self.hours, self.months) {
            (Some(hours), _) => start.add(Duration::hours(i64::from(hours))),
            (None, Some(months)) => add_months(start, months),
            (None, None) => start,
        }
    }

    fn span(&self) -> Text {
        match (self.hours, self.months) {
            (Some(h), _) => Text::new(format!("{h} 小時"), format!("{h} hours")),
            (None, Some(m)) => Text::new(format!("{m} 個月"), format!("{m} months")),
            (None, None) => Text::same("0"),
        }
    }

    /// Used to pick the strictest rule while the level is unknown.
    fn length_hint(&self) -> u64 {
        self.hours.map(u64::from).unwrap_or(0)
            + self.months.map(|m| u64::from(m) * 24 * 31).unwrap_or(0)
    }
}

/// A versioned set of legal clocks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    pub id: String,
    pub effective_from: Timestamp,
    pub name_zh: String,
    pub name_en: String,
    #[serde(rename = "deadline")]
    pub deadlines: Vec<DeadlineRule>,
}

impl RuleSet {
    /// Reads and checks a rule file: every obligation covers each level exactly once and has
    /// a duration.
    pub fn parse(text: &str) -> Result<RuleSet, String> {
        let set: RuleSet = toml::from_str(text).map_err(|e| format!("rule set: {e}"))?;
        if set.id.trim().is_empty() {
            return Err("rule set: id is empty".into());
        }
        for obligation in Obligation::ALL {
            for level in 1..=4u8 {
                let n = set
                    .deadlines
                    .iter()
                    .filter(|d| d.obligation == obligation && d.levels.contains(&level))
                    .count();
                if n != 1 {
                    return Err(format!(
                        "rule set {}: {} has {n} deadlines for level {level}; it needs exactly one",
                        set.id,
                        obligation.as_str()
                    ));
                }
            }
        }
        if let Some(bad) = set.deadlines.iter().find(|d| {
            d.hours.is_some() == d.months.is_some() || d.levels.iter().any(|l| !(1..=4).contains(l))
        }) {
            return Err(format!(
                "rule set {}: {} needs either hours or months, and levels 1–4",
                set.id,
                bad.obligation.as_str()
            ));
        }
        Ok(set)
    }

    fn rule(&self, obligation: Obligation, level: Option<IncidentLevel>) -> Option<&DeadlineRule> {
        let mut candidates = self.deadlines.iter().filter(|d| d.obligation == obligation);
        match level {
            Some(level) => candidates.find(|d| d.levels.contains(&level.get())),
            None => candidates.min_by_key(|d| d.length_hint()),
        }
    }

    pub fn source(&self, article: &str) -> Text {
        Text::new(
            format!("{}{}（{} 起適用）", self.name_zh, article, self.id),
            format!("{}, {} (in force from {})", self.name_en, article, self.id),
        )
    }
}

/// Every rule set that was ever in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleBook {
    sets: Vec<RuleSet>,
}

impl RuleBook {
    pub fn embedded() -> Result<RuleBook, String> {
        RuleBook::from_texts(&EMBEDDED_RULE_SETS)
    }

    pub fn from_texts(texts: &[&str]) -> Result<RuleBook, String> {
        let mut sets = texts
            .iter()
            .map(|t| RuleSet::parse(t))
            .collect::<Result<Vec<_>, _>>()?;
        sets.sort_by_key(|s| s.effective_from);
        let ids: BTreeSet<&str> = sets.iter().map(|s| s.id.as_str()).collect();
        if ids.len() != sets.len() {
            return Err("two rule sets share an id".into());
        }
        Ok(RuleBook { sets })
    }

    /// The rule set in force at a moment: the latest one effective at or before it.
    pub fn in_force_at(&self, at: Timestamp) -> Option<&RuleSet> {
        self.sets.iter().rev().find(|s| s.effective_from <= at)
    }

    pub fn get(&self, id: &str) -> Option<&RuleSet> {
        self.sets.iter().find(|s| s.id == id)
    }

    pub fn sets(&self) -> &[RuleSet] {
        &self.sets
    }
}

/// Where a deadline stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    /// The clock has not started (e.g. the report's clock waits for damage control).
    Waiting,
    OnTrack,
    DueSoon,
    Overdue,
    /// Met in time.
    Met,
    /// Met, but late.
    Missed,
    /// Closed as a false or benign positive before the clock mattered.
    NotApplicable,
}

impl ClockState {
    pub fn label(&self) -> Text {
        match self {
            Self::Waiting => Text::new("尚未起算", "not started"),
            Self::OnTrack => Text::new("期限內", "on track"),
            Self::DueSoon => Text::new("即將到期", "due soon"),
            Self::Overdue => Text::new("已逾期", "overdue"),
            Self::Met => Text::new("如期完成", "met"),
            Self::Missed => Text::new("逾期完成", "met late"),
            Self::NotApplicable => Text::new("不適用", "not applicable"),
        }
    }
}

/// One obligation's deadline for one incident, explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    pub obligation: Obligation,
    pub rule_set: String,
    pub source: Text,
    pub verified: bool,
    pub started_at: Option<Timestamp>,
    pub due_at: Option<Timestamp>,
    pub met_at: Option<Timestamp>,
    pub state: ClockState,
    pub explanation: Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockPolicy {
    pub due_soon_minutes: BTreeMap<Obligation, u32>,
    pub escalate: BTreeMap<ClockState, Vec<EscalationTarget>>,
}

impl ClockPolicy {
    pub fn parse(text: &str) -> Result<ClockPolicy, String> {
        toml::from_str(text).map_err(|e| format!("clock policy: {e}"))
    }

    pub fn standard() -> Result<ClockPolicy, String> {
        ClockPolicy::parse(DEFAULT_CLOCK_POLICY)
    }

    fn lead(&self, obligation: Obligation) -> Duration {
        Duration::minutes(i64::from(
            self.due_soon_minutes.get(&obligation).copied().unwrap_or(0),
        ))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationTarget {
    Handlers,
    AgencySecurityOfficer,
    PlatformAdmins,
}

/// The deadlines of an incident at `now`, by the rule set it pinned when it was opened.
/// `None` when that rule set is not in the book (it must never be removed).
pub fn deadlines(
    incident: &Incident,
    book: &RuleBook,
    policy: &ClockPolicy,
    now: Timestamp,
) -> Option<Vec<Deadline>> {
    let set = book.get(&incident.rule_set)?;
    let level = incident.level();
    let not_real = incident.status == IncidentStatus::Closed
        && matches!(
            incident.determination,
            Determination::FalsePositive | Determination::BenignTruePositive
        );
    let mut out = Vec::new();
    for obligation in Obligation::ALL {
        let Some(rule) = set.rule(obligation, level) else {
            continue;
        };
        let started_at = first_of(incident, rule.starts_at.kinds());
        let due_at = started_at.map(|s| rule.due(s));
        let met_at = first_of(incident, obligation.met_by());
        let state = match (due_at, met_at) {
            (_, Some(met)) if due_at.is_none_or(|due| met <= due) => ClockState::Met,
            (_, Some(_)) => ClockState::Missed,
            _ if not_real => ClockState::NotApplicable,
            (None, None) => ClockState::Waiting,
            (Some(due), None) if now > due => ClockState::Overdue,
            (Some(due), None) if now >= due.sub(policy.lead(obligation)) => ClockState::DueSoon,
            (Some(_), None) => ClockState::OnTrack,
        };
        let explanation = explain(rule, level, obligation, due_at, started_at);
        out.push(Deadline {
            obligation,
            rule_set: set.id.clone(),
            source: set.source(&rule.article),
            verified: rule.verified,
            started_at,
            due_at,
            met_at,
            state,
            explanation,
        });
    }
    Some(out)
}

fn explain(
    rule: &DeadlineRule,
    level: Option<IncidentLevel>,
    obligation: Obligation,
    due_at: Option<Timestamp>,
    started_at: Option<Timestamp>,
) -> Text {
    let start = rule.starts_at.label();
    let span = rule.span();
    let what = obligation.label();
    let levels = match level {
        Some(l) => Text::new(
            format!("{}事件", l.label().zh),
            format!("a {} incident", l.label().en),
        ),
        None => Text::new(
            "尚未判定等級，先以最嚴格的時限計算",
            "level not yet assessed, so the strictest limit applies",
        ),
    };
    let unverified = if rule.verified {
        Text::new("", "")
    } else {
        Text::new(
            "（此時限尚待與法規原文核對）",
            " (this limit is not yet verified against the legal text)",
        )
    };
    match (started_at, due_at) {
        (Some(_), Some(due)) => Text::new(
            format!(
                "{}：{}，自{}起 {} 內完成，期限 {}{}",
                what.zh, levels.zh, start.zh, span.zh, due, unverified.zh
            ),
            format!(
                "{}: {}, within {} of {}, due {}{}",
                what.en, levels.en, span.en, start.en, due, unverified.en
            ),
        ),
        _ => Text::new(
            format!(
                "{}：{}，自{}起 {} 內完成，尚未起算{}",
                what.zh, levels.zh, start.zh, span.zh, unverified.zh
            ),
            format!(
                "{}: {}, within {} of {}; the clock has not started{}",
                what.en, levels.en, span.en, start.en, unverified.en
            ),
        ),
    }
}

fn first_of(incident: &Incident, kinds: &[TimelineKind]) -> Option<Timestamp> {
    kinds.iter().filter_map(|k| incident.first(*k)).min()
}

/// Adds calendar months on the Taipei date, keeping the time of day; the 31st becomes the
/// month's last day.
fn add_months(at: Timestamp, months: u32) -> Timestamp {
    let local = at.in_taipei();
    let total = local.year() * 12 + i32::from(u8::from(local.month())) - 1
        + i32::try_from(months).unwrap_or(0);
    let year = total.div_euclid(12);
    let month_number = u8::try_from(total.rem_euclid(12) + 1).unwrap_or(1);
    let Ok(month) = Month::try_from(month_number) else {
        return at;
    };
    let day = local.day().min(time::util::days_in_month(month, year));
    time::Date::from_calendar_date(year, month, day)
        .map(|date| Timestamp::from_offset(local.replace_date(date).to_offset(TAIPEI)))
        .unwrap_or(at)
}

/// What the integrator turns into notifications; the key is stable so recomputing every few
/// minutes never tells anyone twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationNotice {
    pub key: String,
    pub incident: String,
    pub agency: AgencyCode,
    pub obligation: Obligation,
    pub state: ClockState,
    pub due_at: Option<Timestamp>,
    pub targets: Vec<EscalationTarget>,
    pub message: Text,
}

/// The notices the deadlines' states call for.
pub fn escalations(
    incident: &Incident,
    deadlines: &[Deadline],
    policy: &ClockPolicy,
) -> Vec<EscalationNotice> {
    deadlines
        .iter()
        .filter_map(|d| {
            let targets = policy.escalate.get(&d.state)?;
            if targets.is_empty() {
                return None;
            }
            let state = d.state.label();
            let what = d.obligation.label();
            Some(EscalationNotice {
                key: format!(
                    "{}|{}|{}",
                    incident.id,
                    d.obligation.as_str(),
                    serde_plain(d.state)
                ),
                incident: incident.id.as_str().to_string(),
                agency: incident.agency.clone(),
                obligation: d.obligation,
                state: d.state,
                due_at: d.due_at,
                targets: targets.clone(),
                message: Text::new(
                    format!(
                        "事件 {}「{}」的{}{}：{}",
                        incident.id, incident.title, what.zh, state.zh, d.explanation.zh
                    ),
                    format!(
                        "Incident {} '{}': {} is {}. {}",
                        incident.id, incident.title, what.en, state.en, d.explanation.en
                    ),
                ),
            })
        })
        .collect()
}

fn serde_plain(state: ClockState) -> String {
    serde_json::to_value(state)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Deadlines met, missed and still open for one agency.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplianceRow {
    pub met: u32,
    pub missed: u32,
    pub overdue: u32,
    pub open: u32,
}

impl ComplianceRow {
    /// Met in time out of all that have come due or been met; `None` before any has.
    pub fn rate(&self) -> Option<f64> {
        let decided = self.met + self.missed + self.overdue;
        (decided > 0).then(|| f64::from(self.met) / f64::from(decided))
    }
}

/// The compliance report: per agency, then the city as a whole under `None`.
pub fn compliance_summary<'a>(
    incidents: impl IntoIterator<Item = (&'a AgencyCode, &'a [Deadline])>,
) -> BTreeMap<Option<AgencyCode>, ComplianceRow> {
    let mut out: BTreeMap<Option<AgencyCode>, ComplianceRow> = BTreeMap::new();
    for (agency, deadlines) in incidents {
        for deadline in deadlines {
            for key in [Some(agency.clone()), None] {
                let row = out.entry(key).or_default();
                match deadline.state {
                    ClockState::Met => row.met += 1,
                    ClockState::Missed => row.missed += 1,
                    ClockState::Overdue => row.overdue += 1,
                    ClockState::OnTrack | ClockState::DueSoon => row.open += 1,
                    ClockState::Waiting | ClockState::NotApplicable => {}
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    #[test]
    fn the_embedded_rule_sets_load_and_the_one_in_force_follows_the_aware_time() {
        let book = RuleBook::embedded().unwrap();
        assert_eq!(book.sets().len(), 2);
        assert_eq!(
            book.in_force_at(t("2024-05-01T09:00:00+08:00")).unwrap().id,
            "2021-08-23"
        );
        assert_eq!(
            book.in_force_at(t("2026-01-05T00:00:00+08:00")).unwrap().id,
            "2026-01-05"
        );
        assert!(book.in_force_at(t("2020-01-01T00:00:00+08:00")).is_none());
        let amended = book.get("2026-01-05").unwrap();
        assert!(
            amended.deadlines.iter().all(|d| !d.verified),
            "2026 numbers are unverified"
        );
        let notify = book
            .get("2021-08-23")
            .unwrap()
            .rule(Obligation::Notify, None)
            .unwrap();
        assert!(notify.verified);
    }

    #[test]
    fn a_rule_file_missing_a_level_is_refused_with_the_obligation_named() {
        let text = EMBEDDED_RULE_SETS[0]
            .replace("levels = [3, 4]\nhours = 36", "levels = [3]\nhours = 36");
        let err = RuleSet::parse(&text).unwrap_err();
        assert!(
            err.contains("damage_control has 0 deadlines for level 4"),
            "{err}"
        );
    }

    #[test]
    fn a_month_after_the_31st_of_january_is_the_end_of_february_in_taipei() {
        let due = add_months(t("2024-01-31T10:00:00+08:00"), 1);
        assert_eq!(due, t("2024-02-29T10:00:00+08:00"));
        let due = add_months(t("2024-12-15T20:00:00+00:00"), 1);
        assert_eq!(due, t("2025-01-16T04:00:00+08:00"));
    }

    #[test]
    fn the_default_policy_escalates_overdue_deadlines_to_the_platform_admins() {
        let policy = ClockPolicy::standard().unwrap();
        assert!(policy.escalate[&ClockState::Overdue].contains(&EscalationTarget::PlatformAdmins));
        assert_eq!(policy.lead(Obligation::Notify), Duration::minutes(20));
    }
}
