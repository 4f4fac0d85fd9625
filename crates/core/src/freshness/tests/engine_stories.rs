//! What a steward sees for one dataset as time passes.

use super::taipei;
use crate::freshness::{
    EvidenceKind, FreshnessAssessment, FreshnessInput, FreshnessPolicy, FreshnessState,
    Reachability, UpdateFrequency, assess, explain_now,
};

fn judge(
    declared: &str,
    updated: Option<&str>,
    reviewed: Option<&str>,
    now: &str,
) -> FreshnessAssessment {
    let frequency = UpdateFrequency::parse(declared);
    let input = FreshnessInput {
        frequency: &frequency,
        last_data_update: updated.map(taipei),
        last_review: reviewed.map(taipei),
        reachability: Reachability::NotChecked,
    };
    assess(&input, &FreshnessPolicy::default(), taipei(now))
}

/// The explanation as a steward reads it at `now` (stored words plus the count of days).
fn shown(judged: &FreshnessAssessment, now: &str) -> String {
    explain_now(
        &judged.explanation,
        judged.state,
        judged.due_at,
        taipei(now),
    )
    .zh
}

fn state(declared: &str, updated: &str, now: &str) -> FreshnessState {
    judge(declared, Some(updated), None, now).state
}

#[test]
fn a_monthly_dataset_updated_on_1_march_is_due_on_1_april() {
    let judged = judge("每月", Some("2018-03-01 09:00"), None, "2018-03-20 09:00");
    assert_eq!(judged.state, FreshnessState::Fresh);
    assert_eq!(judged.due_at, Some(taipei("2018-04-01 09:00")));
    assert_eq!(judged.overdue_at, Some(taipei("2018-04-15 09:00")));
    assert_eq!(judged.delinquent_at, Some(taipei("2018-05-01 09:00")));
    assert_eq!(
        judged.evidence.map(|e| e.kind),
        Some(EvidenceKind::DataUpdate)
    );
    assert_eq!(
        judged.explanation.zh,
        "宣告每月更新，最近一次資料更新於民國107年3月1日；下次應於民國107年4月1日前更新。"
    );
    assert_eq!(
        judged.explanation.en,
        "Declared monthly; the data was last updated on 2018-03-01; the next update is due by 2018-04-01."
    );
}

#[test]
fn a_monthly_dataset_updated_on_31_january_is_due_at_the_end_of_february() {
    let judged = judge("每月", Some("2018-01-31 10:00"), None, "2018-02-01 10:00");
    assert_eq!(judged.due_at, Some(taipei("2018-02-28 10:00")));
}

#[test]
fn a_steward_is_told_3_days_before_a_monthly_dataset_falls_due() {
    let judged = judge("每月", Some("2018-03-01 09:00"), None, "2018-03-29 09:00");
    assert_eq!(judged.notice_from, Some(taipei("2018-03-29 09:00")));
    assert_eq!(judged.state, FreshnessState::DueSoon);
    assert!(
        shown(&judged, "2018-03-29 09:00").ends_with("應於民國107年4月1日前更新。距到期還有3天。"),
        "{}",
        shown(&judged, "2018-03-29 09:00")
    );
    assert!(
        !judged.explanation.zh.contains('天'),
        "the stored words do not count days, so they need not be rewritten daily"
    );
    assert_eq!(
        state("每月", "2018-03-01 09:00", "2018-03-29 08:59"),
        FreshnessState::Fresh
    );
}

#[test]
fn a_monthly_dataset_past_its_due_date_has_14_days_of_grace_before_it_is_overdue() {
    let judged = judge("每月", Some("2018-03-01 09:00"), None, "2018-04-03 09:00");
    assert_eq!(judged.state, FreshnessState::DueSoon);
    assert!(
        judged.explanation.zh.contains("寬限至民國107年4月15日"),
        "{}",
        judged.explanation.zh
    );
    assert_eq!(
        state("每月", "2018-03-01 09:00", "2018-04-15 09:00"),
        FreshnessState::Overdue
    );
    assert_eq!(
        state("每月", "2018-03-01 09:00", "2018-05-01 09:00"),
        FreshnessState::Delinquent
    );
}

#[test]
fn an_overdue_dataset_says_how_late_it_is_and_when_it_escalates() {
    let judged = judge("每季", Some("2017-10-01 09:00"), None, "2018-03-20 09:00");
    // Due 1 Jan, overdue from 31 Jan (30 days' grace), delinquent from 2 March.
    assert_eq!(judged.state, FreshnessState::Delinquent);
    let judged = judge("每季", Some("2017-11-01 09:00"), None, "2018-03-20 09:00");
    assert_eq!(judged.state, FreshnessState::Overdue);
    assert!(
        judged
            .explanation
            .zh
            .contains("已逾期；民國107年4月2日起列為嚴重逾期"),
        "{}",
        judged.explanation.zh
    );
    assert!(
        shown(&judged, "2018-03-20 09:00").ends_with("已逾期47天。"),
        "{}",
        shown(&judged, "2018-03-20 09:00")
    );
}

#[test]
fn a_stewards_nothing_new_review_restarts_the_clock() {
    let judged = judge(
        "每月",
        Some("2018-01-01 09:00"),
        Some("2018-03-10 09:00"),
        "2018-03-20 09:00",
    );
    assert_eq!(judged.state, FreshnessState::Fresh);
    assert_eq!(
        judged.evidence.map(|e| e.kind),
        Some(EvidenceKind::StewardReview)
    );
    assert_eq!(judged.due_at, Some(taipei("2018-04-10 09:00")));
    assert!(
        judged
            .explanation
            .zh
            .contains("資料管理人於民國107年3月10日確認無新資料")
    );
}

#[test]
fn an_irregular_dataset_is_never_overdue_but_is_due_for_review_after_a_silent_year() {
    let quiet = judge("不定期", Some("2017-03-01 09:00"), None, "2018-03-20 09:00");
    assert_eq!(quiet.state, FreshnessState::ReviewDue);
    assert_eq!(quiet.overdue_at, None);
    assert!(quiet.explanation.zh.contains("已超過365天沒有更新或檢視"));
    let recent = judge("不定期", Some("2017-06-01 09:00"), None, "2018-03-20 09:00");
    assert_eq!(recent.state, FreshnessState::Fresh);
    assert_eq!(recent.due_at, Some(taipei("2018-06-01 09:00")));
}

#[test]
fn a_dataset_declared_never_updated_is_not_checked_however_old() {
    assert_eq!(
        state("不更新", "2001-01-01 00:00", "2018-03-20 09:00"),
        FreshnessState::NotApplicable
    );
}

#[test]
fn a_real_time_feed_silent_for_two_days_is_overdue() {
    assert_eq!(
        state("即時", "2018-03-19 08:00", "2018-03-20 09:00"),
        FreshnessState::DueSoon
    );
    assert_eq!(
        state("即時", "2018-03-18 08:00", "2018-03-20 09:00"),
        FreshnessState::Overdue
    );
    assert_eq!(
        state("即時", "2018-03-17 08:00", "2018-03-20 09:00"),
        FreshnessState::Delinquent
    );
}

#[test]
fn an_hourly_dataset_shows_deadlines_to_the_minute() {
    let judged = judge("每小時", Some("2018-03-20 08:00"), None, "2018-03-20 10:30");
    assert_eq!(judged.state, FreshnessState::Overdue);
    assert!(
        judged.explanation.zh.contains("民國107年3月20日 09:00"),
        "{}",
        judged.explanation.zh
    );
    assert!(
        shown(&judged, "2018-03-20 10:30").contains("已逾期1小時"),
        "{}",
        shown(&judged, "2018-03-20 10:30")
    );
}

#[test]
fn a_dead_link_is_unreachable_even_when_the_schedule_is_kept() {
    let frequency = UpdateFrequency::parse("每月");
    let input = FreshnessInput {
        frequency: &frequency,
        last_data_update: Some(taipei("2018-03-01 09:00")),
        last_review: None,
        reachability: Reachability::Unreachable {
            checked_at: taipei("2018-03-20 03:00"),
        },
    };
    let judged = assess(
        &input,
        &FreshnessPolicy::default(),
        taipei("2018-03-20 09:00"),
    );
    assert_eq!(judged.state, FreshnessState::Unreachable);
    assert_eq!(judged.due_at, Some(taipei("2018-04-01 09:00")));
    assert!(
        judged
            .explanation
            .zh
            .starts_with("資料於民國107年3月20日 03:00檢查時無法存取")
    );
}

#[test]
fn an_unreadable_frequency_is_unknown_and_names_the_text_to_fix() {
    let judged = judge(
        "每15日或每2月",
        Some("2018-03-01 09:00"),
        None,
        "2018-03-20 09:00",
    );
    assert_eq!(judged.state, FreshnessState::Unknown);
    assert!(judged.explanation.zh.contains("「每15日或每2月」"));
    assert_eq!(
        judge("", Some("2018-03-01 09:00"), None, "2018-03-20 09:00").state,
        FreshnessState::Unknown
    );
}

#[test]
fn a_dataset_with_no_evidence_of_any_update_is_unknown_not_fresh() {
    let judged = judge("每月", None, None, "2018-03-20 09:00");
    assert_eq!(judged.state, FreshnessState::Unknown);
    assert_eq!(judged.due_at, None);
    assert!(
        judged
            .explanation
            .en
            .contains("no record of any data update")
    );
}

#[test]
fn every_state_has_a_code_and_a_label_in_both_languages() {
    let codes: std::collections::BTreeSet<_> =
        FreshnessState::ALL.iter().map(|s| s.code()).collect();
    assert_eq!(codes.len(), FreshnessState::ALL.len());
    for state in FreshnessState::ALL {
        let label = state.label();
        assert!(!label.zh.is_empty() && !label.en.is_empty());
    }
}
