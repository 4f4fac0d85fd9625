//! Yearly series ("104年…", "105年度…" titles): each year is a new dataset, so a series is on
//! time when next year's member appears on time, not when an old member changes (DCAT-AP 3).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use time::Duration;

use super::calendar::{add_months, start_of_year};
use super::engine::{deadlines, judged};
use super::explain::{span, when};
use super::frequency::{PeriodUnit, UpdateFrequency};
use super::policy::FreshnessPolicy;
use super::state::{Evidence, EvidenceKind, FreshnessAssessment, FreshnessState};
use crate::text::Text;
use crate::time::{ROC_YEAR_OFFSET, Timestamp};

/// The ROC year a title starts with: "104年…", "105年度…", "民國106年…", "099年…".
/// Ranges ("105-106年度…") and lists ("104、105年…") name no single year and give `None`.
pub fn parse_roc_year_prefix(title: &str) -> Option<i32> {
    let title = title.trim_start();
    let title = title.strip_prefix("民國").unwrap_or(title).trim_start();
    let mut year: i32 = 0;
    let mut digits = 0;
    for c in title.chars() {
        if c == '年' {
            return (digits > 0 && year > 0).then_some(year);
        }
        let digit = match c {
            '0'..='9' => c.to_digit(10),
            '０'..='９' => Some(u32::from(c) - u32::from('０')),
            '〇' | '○' | '零' => Some(0),
            '一' => Some(1),
            '二' => Some(2),
            '三' => Some(3),
            '四' => Some(4),
            '五' => Some(5),
            '六' => Some(6),
            '七' => Some(7),
            '八' => Some(8),
            '九' => Some(9),
            _ => None,
        }?;
        digits += 1;
        // ROC years have at most three digits; "2016台灣燈會" is not one.
        if digits > 3 {
            return None;
        }
        year = year * 10 + i32::try_from(digit).ok()?;
    }
    None
}

/// One dataset of a series: the ROC year it covers and, if known, when it was published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesMember {
    pub roc_year: i32,
    pub issued: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesAssessment {
    pub latest_roc_year: Option<i32>,
    /// The member the series is waiting for.
    pub next_roc_year: Option<i32>,
    /// Years between the first and the latest member that never appeared.
    pub missing_roc_years: Vec<i32>,
    /// Whether the latest member appeared before the previous one's schedule made it overdue;
    /// `None` unless both were dated.
    pub latest_on_time: Option<bool>,
    /// The series' state, judged by the next member; `due_at` is when it is expected.
    pub freshness: FreshnessAssessment,
}

/// Judges a series declared 每年 (or 每N年) by whether its next member appeared on time. The
/// next member is expected one period after the latest was published; when publication dates
/// are unknown, by the end of the year it covers plus the policy's publication lag.
pub fn assess_yearly_series(
    members: &[SeriesMember],
    frequency: &UpdateFrequency,
    policy: &FreshnessPolicy,
    now: Timestamp,
) -> SeriesAssessment {
    let years: BTreeSet<i32> = members.iter().map(|m| m.roc_year).collect();
    let (step, latest) = match (frequency, years.last()) {
        (UpdateFrequency::Regular(period), Some(latest))
            if period.unit == PeriodUnit::Year && period.count > 0 =>
        {
            (i32::try_from(period.count).unwrap_or(i32::MAX), *latest)
        }
        (_, None) => {
            return unjudged(
                FreshnessState::Unknown,
                None,
                Text::new("此系列沒有任何一期資料。", "The series has no members."),
            );
        }
        (UpdateFrequency::Never, Some(latest)) => {
            return unjudged(
                FreshnessState::NotApplicable,
                Some(*latest),
                Text::new(
                    "系列宣告為不更新，不檢測是否逾期。",
                    "The series is declared never updated.",
                ),
            );
        }
        (_, Some(latest)) => {
            let label = frequency.label();
            return unjudged(
                FreshnessState::Unknown,
                Some(*latest),
                Text::new(
                    format!(
                        "年度系列只能依「每年」或「每N年」判斷，此系列宣告為{}。",
                        label.zh
                    ),
                    format!(
                        "A yearly series can only be judged when declared yearly; this one is {}.",
                        label.en
                    ),
                ),
            );
        }
    };
    let period = Duration::days(365_i64.saturating_mul(i64::from(step)));
    let next = latest.saturating_add(step);
    let issued = |year: i32| {
        members
            .iter()
            .filter(|m| m.roc_year == year)
            .filter_map(|m| m.issued)
            .max()
    };
    let expected_after = |year: i32| match issued(year) {
        Some(at) => Some(add_months(at, 12 * i64::from(step))),
        None => start_of_year(
            year.saturating_add(step)
                .saturating_add(ROC_YEAR_OFFSET + 1),
        )
        .map(|end_of_year| end_of_year.add(policy.series_publication_lag)),
    };
    let Some(due_at) = expected_after(latest) else {
        return unjudged(
            FreshnessState::Unknown,
            Some(latest),
            Text::new("年份超出範圍。", "The year is out of range."),
        );
    };
    let evidence = issued(latest).map(|at| Evidence {
        kind: EvidenceKind::SeriesMember { roc_year: latest },
        at,
    });
    let published = match evidence {
        Some(e) => {
            let at = when(e.at, false);
            Text::new(
                format!("（於{}發布）", at.zh),
                format!(" (published on {})", at.en),
            )
        }
        None => {
            let lag = span(policy.series_publication_lag);
            Text::new(
                format!("（發布日期不詳，以該年度結束後{}為準）", lag.zh),
                format!(
                    " (publication date unknown: expected {} after the year ends)",
                    lag.en
                ),
            )
        }
    };
    let label = frequency.label();
    let lead = Text::new(
        format!(
            "年度系列宣告{}更新，最新一期為{latest}年{}，等待{next}年資料",
            label.zh, published.zh
        ),
        format!(
            "Yearly series declared {}; the latest member is ROC year {latest}{}, waiting for ROC year {next}",
            label.en, published.en
        ),
    );
    let previous = latest.saturating_sub(step);
    let latest_on_time = match (years.contains(&previous), issued(previous), issued(latest)) {
        (true, Some(_), Some(latest_issued)) => expected_after(previous)
            .map(|due| latest_issued < deadlines(due, period, policy).overdue_at),
        _ => None,
    };
    let first = years.first().copied().unwrap_or(latest);
    SeriesAssessment {
        latest_roc_year: Some(latest),
        next_roc_year: Some(next),
        missing_roc_years: (first..latest)
            .step_by(usize::try_from(step).unwrap_or(1).max(1))
            .filter(|year| !years.contains(year))
            .collect(),
        latest_on_time,
        freshness: judged(
            &lead,
            evidence,
            &deadlines(due_at, period, policy),
            false,
            now,
        ),
    }
}

fn unjudged(state: FreshnessState, latest: Option<i32>, explanation: Text) -> SeriesAssessment {
    SeriesAssessment {
        latest_roc_year: latest,
        next_roc_year: None,
        missing_roc_years: Vec::new(),
        latest_on_time: None,
        freshness: FreshnessAssessment {
            state,
            evidence: None,
            notice_from: None,
            due_at: None,
            overdue_at: None,
            delinquent_at: None,
            explanation,
        },
    }
}
