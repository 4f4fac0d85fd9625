//! Sentences that explain an assessment, Traditional Chinese first with ROC dates, English
//! with ISO dates. Each one names the evidence and the date that matters next.

use time::Duration;

use super::state::{Evidence, EvidenceKind, FreshnessState};
use crate::text::Text;
use crate::time::{DateStyle, Language, Timestamp, format_date, format_datetime};

/// A date, or a date and time when the period is shorter than a day.
pub(super) fn when(at: Timestamp, with_time: bool) -> Text {
    if with_time {
        Text::new(
            format_datetime(at, DateStyle::Roc, Language::ZhTw),
            format_datetime(at, DateStyle::Iso, Language::En),
        )
    } else {
        Text::new(
            format_date(at, DateStyle::Roc, Language::ZhTw),
            format_date(at, DateStyle::Iso, Language::En),
        )
    }
}

/// A length of time in the largest whole unit that is not zero: days, hours or minutes.
pub(super) fn span(length: Duration) -> Text {
    let (days, hours, minutes) = (
        length.whole_days(),
        length.whole_hours(),
        length.whole_minutes(),
    );
    let plural = |n: i64| if n == 1 { "" } else { "s" };
    if days >= 1 {
        Text::new(format!("{days}天"), format!("{days} day{}", plural(days)))
    } else if hours >= 1 {
        Text::new(
            format!("{hours}小時"),
            format!("{hours} hour{}", plural(hours)),
        )
    } else {
        let minutes = minutes.max(0);
        Text::new(
            format!("{minutes}分鐘"),
            format!("{minutes} minute{}", plural(minutes)),
        )
    }
}

/// "Last data update on …" / "a steward confirmed nothing new on …".
pub(super) fn evidence(evidence: &Evidence, with_time: bool) -> Text {
    let at = when(evidence.at, with_time);
    match evidence.kind {
        EvidenceKind::DataUpdate => Text::new(
            format!("最近一次資料更新於{}", at.zh),
            format!("the data was last updated on {}", at.en),
        ),
        EvidenceKind::StewardReview => Text::new(
            format!("資料管理人於{}確認無新資料", at.zh),
            format!(
                "a steward confirmed on {} that there was nothing new",
                at.en
            ),
        ),
        EvidenceKind::SeriesMember { roc_year } => Text::new(
            format!("最新一期（{roc_year}年）於{}發布", at.zh),
            format!(
                "the latest member (ROC year {roc_year}) was published on {}",
                at.en
            ),
        ),
    }
}

/// Deadlines the regular states are judged by.
pub(super) struct Deadlines {
    pub notice_from: Timestamp,
    pub due_at: Timestamp,
    pub overdue_at: Timestamp,
    pub delinquent_at: Timestamp,
}

/// The schedule sentence for the four scheduled states, after a lead such as
/// "每月更新；最近一次資料更新於…".
pub(super) fn schedule(
    state: FreshnessState,
    lead: &Text,
    d: &Deadlines,
    now: Timestamp,
    with_time: bool,
) -> Text {
    let due = when(d.due_at, with_time);
    let overdue = when(d.overdue_at, with_time);
    let delinquent = when(d.delinquent_at, with_time);
    let (zh, en) = match state {
        FreshnessState::Fresh => (
            format!("下次應於{}前更新。", due.zh),
            format!("the next update is due by {}.", due.en),
        ),
        FreshnessState::DueSoon if now < d.due_at => {
            let left = span(d.due_at.since(now));
            (
                format!("應於{}前更新，還有{}。", due.zh, left.zh),
                format!("the next update is due by {}, in {}.", due.en, left.en),
            )
        }
        FreshnessState::DueSoon => {
            let late = span(now.since(d.due_at));
            (
                format!(
                    "已過預定更新日{}{}，寬限至{}，之後列為逾期。",
                    due.zh, late.zh, overdue.zh
                ),
                format!(
                    "the update was due on {}, {} ago; it counts as overdue from {}.",
                    due.en, late.en, overdue.en
                ),
            )
        }
        FreshnessState::Overdue => {
            let late = span(now.since(d.due_at));
            (
                format!(
                    "應於{}前更新，已逾期{}；{}起列為嚴重逾期。",
                    due.zh, late.zh, delinquent.zh
                ),
                format!(
                    "the update was due by {}, {} ago; it counts as long overdue from {}.",
                    due.en, late.en, delinquent.en
                ),
            )
        }
        _ => {
            let late = span(now.since(d.due_at));
            (
                format!("應於{}前更新，已逾期{}，請通報機關主管。", due.zh, late.zh),
                format!(
                    "the update was due by {}, {} ago; escalate to the agency's head.",
                    due.en, late.en
                ),
            )
        }
    };
    Text::new(
        format!("{}；{}", lead.zh, zh),
        format!("{}; {}", lead.en, en),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_said_in_the_largest_whole_unit() {
        assert_eq!(span(Duration::days(3)), Text::new("3天", "3 days"));
        assert_eq!(span(Duration::hours(25)), Text::new("1天", "1 day"));
        assert_eq!(span(Duration::hours(5)), Text::new("5小時", "5 hours"));
        assert_eq!(span(Duration::seconds(30)), Text::new("0分鐘", "0 minutes"));
    }
}
