//! The engine: a declared frequency, evidence of real updates and `now` give a state with its
//! deadlines and the reason. Pure: it reads no clock and stores nothing.

use serde::{Deserialize, Serialize};
use time::Duration;

use super::explain::{self, Deadlines, span, when};
use super::frequency::UpdateFrequency;
use super::policy::FreshnessPolicy;
use super::state::{Evidence, EvidenceKind, FreshnessAssessment, FreshnessState};
use crate::text::Text;
use crate::time::Timestamp;

/// Whether the data could be fetched when last checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reachability {
    #[default]
    NotChecked,
    Reachable,
    Unreachable {
        checked_at: Timestamp,
    },
}

/// Everything known about one dataset. Only real data changes and a steward's recorded
/// "reviewed, nothing new" count as evidence: a metadata edit is neither.
#[derive(Debug, Clone, Copy)]
pub struct FreshnessInput<'a> {
    pub frequency: &'a UpdateFrequency,
    pub last_data_update: Option<Timestamp>,
    pub last_review: Option<Timestamp>,
    pub reachability: Reachability,
}

pub fn assess(
    input: &FreshnessInput<'_>,
    policy: &FreshnessPolicy,
    now: Timestamp,
) -> FreshnessAssessment {
    let evidence = latest_evidence(input.last_data_update, input.last_review);
    let by_schedule = by_schedule(input.frequency, evidence, policy, now);
    match input.reachability {
        Reachability::Unreachable { checked_at } => unreachable(by_schedule, checked_at),
        Reachability::NotChecked | Reachability::Reachable => by_schedule,
    }
}

/// The later of the two sets the clock; on a tie the data update is named, being the stronger.
fn latest_evidence(data: Option<Timestamp>, review: Option<Timestamp>) -> Option<Evidence> {
    let data = data.map(|at| Evidence {
        kind: EvidenceKind::DataUpdate,
        at,
    });
    let review = review.map(|at| Evidence {
        kind: EvidenceKind::StewardReview,
        at,
    });
    match (data, review) {
        (Some(d), Some(r)) => Some(if r.at > d.at { r } else { d }),
        (d, r) => d.or(r),
    }
}

fn by_schedule(
    frequency: &UpdateFrequency,
    evidence: Option<Evidence>,
    policy: &FreshnessPolicy,
    now: Timestamp,
) -> FreshnessAssessment {
    let label = frequency.label();
    match (frequency, evidence) {
        (UpdateFrequency::Missing, _) => without_deadlines(
            FreshnessState::Unknown,
            evidence,
            Text::new(
                "未填寫更新頻率，無法判斷是否逾期；請補填詮釋資料。",
                "No update frequency is declared, so lateness cannot be judged; please complete the metadata.",
            ),
        ),
        (UpdateFrequency::Unknown(raw), _) => without_deadlines(
            FreshnessState::Unknown,
            evidence,
            Text::new(
                format!(
                    "更新頻率「{raw}」無法辨識，無法判斷是否逾期；請改用如「每月」「不定期」的寫法。"
                ),
                format!(
                    "The update frequency \"{raw}\" cannot be read, so lateness cannot be judged; \
                     please declare it as e.g. 每月 (monthly) or 不定期 (irregular)."
                ),
            ),
        ),
        (UpdateFrequency::Never, _) => without_deadlines(
            FreshnessState::NotApplicable,
            evidence,
            Text::new(
                "宣告為不更新，不檢測是否逾期。",
                "Declared as never updated, so it is not checked for lateness.",
            ),
        ),
        (_, None) => without_deadlines(
            FreshnessState::Unknown,
            None,
            Text::new(
                format!(
                    "宣告{}更新，但沒有任何資料更新或檢視紀錄，無法判斷是否逾期。",
                    label.zh
                ),
                format!(
                    "Declared {}, but there is no record of any data update or review, so lateness cannot be judged.",
                    label.en
                ),
            ),
        ),
        (UpdateFrequency::Irregular, Some(evidence)) => irregular(evidence, policy, now),
        (UpdateFrequency::Continuous, Some(evidence)) => {
            let silence = policy.continuous_silence;
            let lead = Text::new(
                format!("宣告即時更新（{}未變動即到期）", span(silence).zh),
                format!(
                    "Declared real-time (due after {} without change)",
                    span(silence).en
                ),
            );
            let with_time = silence < Duration::days(1);
            scheduled(
                lead,
                evidence,
                evidence.at.add(silence),
                silence,
                with_time,
                policy,
                now,
            )
        }
        (UpdateFrequency::Regular(period), Some(evidence)) => {
            let lead = Text::new(
                format!("宣告{}更新", label.zh),
                format!("Declared {}", label.en),
            );
            let due = period.after(evidence.at);
            scheduled(
                lead,
                evidence,
                due,
                period.nominal(),
                period.is_sub_daily(),
                policy,
                now,
            )
        }
    }
}

/// Deadlines for a period of nominal length `period` that falls due at `due_at`.
pub(super) fn deadlines(
    due_at: Timestamp,
    period: Duration,
    policy: &FreshnessPolicy,
) -> Deadlines {
    let grace = policy.grace(period);
    let overdue_at = due_at.add(grace.until_overdue);
    Deadlines {
        notice_from: due_at.sub(policy.notice.before_due(period)),
        due_at,
        overdue_at,
        delinquent_at: overdue_at.add(grace.until_delinquent),
    }
}

pub(super) fn state_at(d: &Deadlines, now: Timestamp) -> FreshnessState {
    if now >= d.delinquent_at {
        FreshnessState::Delinquent
    } else if now >= d.overdue_at {
        FreshnessState::Overdue
    } else if now >= d.notice_from {
        FreshnessState::DueSoon
    } else {
        FreshnessState::Fresh
    }
}

/// The assessment for a scheduled dataset: `lead` names the frequency, the evidence follows.
pub(super) fn judged(
    lead: &Text,
    evidence: Option<Evidence>,
    d: &Deadlines,
    with_time: bool,
    now: Timestamp,
) -> FreshnessAssessment {
    let state = state_at(d, now);
    FreshnessAssessment {
        state,
        evidence,
        notice_from: Some(d.notice_from),
        due_at: Some(d.due_at),
        overdue_at: Some(d.overdue_at),
        delinquent_at: Some(d.delinquent_at),
        explanation: explain::schedule(state, lead, d, now, with_time),
    }
}

fn scheduled(
    lead: Text,
    evidence: Evidence,
    due_at: Timestamp,
    period: Duration,
    with_time: bool,
    policy: &FreshnessPolicy,
    now: Timestamp,
) -> FreshnessAssessment {
    let said = explain::evidence(&evidence, with_time);
    let lead = Text::new(
        format!("{}，{}", lead.zh, said.zh),
        format!("{}; {}", lead.en, said.en),
    );
    judged(
        &lead,
        Some(evidence),
        &deadlines(due_at, period, policy),
        with_time,
        now,
    )
}

/// 不定期 datasets are never overdue: after a long silence a steward is asked to review.
fn irregular(evidence: Evidence, policy: &FreshnessPolicy, now: Timestamp) -> FreshnessAssessment {
    let review_at = evidence.at.add(policy.irregular_review_after);
    let said = explain::evidence(&evidence, false);
    let silence = span(policy.irregular_review_after);
    let (state, zh, en) = if now >= review_at {
        (
            FreshnessState::ReviewDue,
            format!(
                "宣告不定期更新，{}；已超過{}沒有更新或檢視，請資料管理人確認資料是否仍正確，或改宣告固定的更新頻率。",
                said.zh, silence.zh
            ),
            format!(
                "Declared irregular; {}; more than {} without an update or review: a steward should confirm the data \
                 is still correct, or declare a regular frequency.",
                said.en, silence.en
            ),
        )
    } else {
        let review = when(review_at, false);
        (
            FreshnessState::Fresh,
            format!(
                "宣告不定期更新，{}；不定期資料不列逾期，若至{}仍無更新或檢視，將請資料管理人確認。",
                said.zh, review.zh
            ),
            format!(
                "Declared irregular; {}; irregular data is never overdue, but if nothing changes or is reviewed \
                 by {} a steward will be asked to confirm it.",
                said.en, review.en
            ),
        )
    };
    FreshnessAssessment {
        due_at: Some(review_at),
        ..without_deadlines(state, Some(evidence), Text::new(zh, en))
    }
}

fn without_deadlines(
    state: FreshnessState,
    evidence: Option<Evidence>,
    explanation: Text,
) -> FreshnessAssessment {
    FreshnessAssessment {
        state,
        evidence,
        notice_from: None,
        due_at: None,
        overdue_at: None,
        delinquent_at: None,
        explanation,
    }
}

/// A dead link outranks the schedule, which is kept so the steward still sees the due date.
fn unreachable(by_schedule: FreshnessAssessment, checked_at: Timestamp) -> FreshnessAssessment {
    let checked = when(checked_at, true);
    let explanation = Text::new(
        format!(
            "資料於{}檢查時無法存取，請修復連結。{}",
            checked.zh, by_schedule.explanation.zh
        ),
        format!(
            "The data could not be fetched when checked on {}; please repair the link. {}",
            checked.en, by_schedule.explanation.en
        ),
    );
    FreshnessAssessment {
        state: FreshnessState::Unreachable,
        explanation,
        ..by_schedule
    }
}
