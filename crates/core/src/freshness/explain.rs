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
    // No counts of days here: the words are stored and would change every day. The count is
    // added when shown (`countdown`).
    let (zh, en) = match state {
        FreshnessState::Fresh => (
            format!("下次應於{}前更新。", due.zh),
            format!("the next update is due by {}.", due.en),
        ),
        FreshnessState::DueSoon if now < d.due_at => (
            format!("應於{}前更新。", due.zh),
            format!("the next update is due by {}.", due.en),
        ),
        FreshnessState::DueSoon => (
            format!(
                "已過預定更新日{}，寬限至{}，之後列為逾期。",
                due.zh, overdue.zh
            ),
            format!(
                "the update was due on {}; it counts as overdue from {}.",
                due.en, overdue.en
            ),
        ),
        FreshnessState::Overdue => (
            format!(
                "應於{}前更新，已逾期；{}起列為嚴重逾期。",
                due.zh, delinquent.zh
            ),
            format!(
                "the update was due by {}; it counts as long overdue from {}.",
                due.en, delinquent.en
            ),
        ),
        _ => (
            format!("應於{}前更新，已逾期，請通報機關主管。", due.zh),
            format!(
                "the update was due by {}; escalate to the agency's head.",
                due.en
            ),
        ),
    };
    Text::new(
        format!("{}；{}", lead.zh, zh),
        format!("{}; {}", lead.en, en),
    )
}

/// How long until the due date, or how long past it, as of `now`: added to a stored
/// explanation when it is shown.
pub fn countdown(state: FreshnessState, due_at: Option<Timestamp>, now: Timestamp) -> Option<Text> {
    let due = due_at?;
    match state {
        FreshnessState::DueSoon if now < due => {
            let left = span(due.since(now));
            Some(Text::new(
                format!("距到期還有{}。", left.zh),
                format!("Due in {}.", left.en),
            ))
        }
        FreshnessState::DueSoon => {
            let late = span(now.since(due));
            Some(Text::new(
                format!("已過預定更新日{}。", late.zh),
                format!("{} past the due date.", late.en),
            ))
        }
        FreshnessState::Overdue | FreshnessState::Delinquent => {
            let late = span(now.since(due));
            Some(Text::new(
                format!("已逾期{}。", late.zh),
                format!("{} late.", late.en),
            ))
        }
        _ => None,
    }
}

/// A stored explanation as shown at `now`: with the count of days (or hours) that matters.
pub fn explain_now(
    explanation: &Text,
    state: FreshnessState,
    due_at: Option<Timestamp>,
    now: Timestamp,
) -> Text {
    match countdown(state, due_at, now) {
        Some(c) => Text::new(
            format!("{}{}", explanation.zh, c.zh),
            format!("{} {}", explanation.en, c.en),
        ),
        None => explanation.clone(),
    }
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
