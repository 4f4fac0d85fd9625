//! The city's freshness rules in one place, with sensible defaults: how much grace, how early
//! a steward is told, and how long an irregular dataset may stay silent before review.

use time::Duration;

use super::aging::{AgingRow, Grace, HDX_AGING_TABLE, grace_for};

/// How long before the due date a steward is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeWindow {
    /// A share of the period, capped: 10 % gives 3 days for monthly, 9 for quarterly, and the
    /// cap of 14 days for yearly (Queensland reminds stewards 15 to 21 days ahead).
    Proportional { percent: u8, at_most: Duration },
    /// The same lead time whatever the period.
    Fixed(Duration),
}

impl NoticeWindow {
    /// The lead time for a period of nominal length `period`; never longer than the period.
    pub fn before_due(&self, period: Duration) -> Duration {
        let lead = match *self {
            NoticeWindow::Proportional { percent, at_most } => {
                let seconds = period.whole_seconds().saturating_mul(i64::from(percent)) / 100;
                Duration::seconds(seconds).min(at_most)
            }
            NoticeWindow::Fixed(lead) => lead,
        };
        lead.clamp(Duration::ZERO, period)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreshnessPolicy {
    /// Grace after the due date; HDX's table by default.
    pub aging: Vec<AgingRow>,
    pub notice: NoticeWindow,
    /// 不定期 datasets are never overdue; after this long without an update or a steward's
    /// review they are due for review.
    pub irregular_review_after: Duration,
    /// A 即時 feed whose data has not changed for this long is due; grace scales from it.
    pub continuous_silence: Duration,
    /// For a yearly series whose members carry no publication date: how long after the end
    /// of a year its member is expected (statistics are often published the month after).
    pub series_publication_lag: Duration,
}

impl Default for FreshnessPolicy {
    fn default() -> Self {
        FreshnessPolicy {
            aging: HDX_AGING_TABLE.to_vec(),
            notice: NoticeWindow::Proportional {
                percent: 10,
                at_most: Duration::days(14),
            },
            irregular_review_after: Duration::days(365),
            continuous_silence: Duration::days(1),
            series_publication_lag: Duration::ZERO,
        }
    }
}

impl FreshnessPolicy {
    pub fn grace(&self, period: Duration) -> Grace {
        grace_for(&self.aging, period)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_steward_is_told_3_days_before_a_monthly_dataset_falls_due() {
        let notice = FreshnessPolicy::default().notice;
        assert_eq!(notice.before_due(Duration::days(30)), Duration::days(3));
        assert_eq!(notice.before_due(Duration::days(90)), Duration::days(9));
        assert_eq!(notice.before_due(Duration::days(365)), Duration::days(14));
        assert_eq!(notice.before_due(Duration::hours(1)), Duration::minutes(6));
    }

    #[test]
    fn a_fixed_notice_never_starts_before_the_last_update() {
        let notice = NoticeWindow::Fixed(Duration::days(10));
        assert_eq!(notice.before_due(Duration::days(7)), Duration::days(7));
        assert_eq!(notice.before_due(Duration::days(30)), Duration::days(10));
    }
}
