//! Grace proportional to the period, from HDX's aging table: how long after the due date a
//! dataset becomes overdue, and then delinquent. Periods the table does not list are scaled
//! from the nearest shorter row, so 每10日 gets the weekly row's +100 %.

use time::Duration;

/// One row of HDX's `aging:` configuration, in days after the last update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgingRow {
    pub period_days: i64,
    pub due_after_days: i64,
    pub overdue_after_days: i64,
    pub delinquent_after_days: i64,
}

const fn row(period: i64, due: i64, overdue: i64, delinquent: i64) -> AgingRow {
    AgingRow {
        period_days: period,
        due_after_days: due,
        overdue_after_days: overdue,
        delinquent_after_days: delinquent,
    }
}

/// OCHA-DAP/hdx-data-freshness `project_configuration.yaml` (MIT), as copied to
/// `fixtures/catalog/hdx_freshness_aging_table.csv`; a test checks they agree.
pub const HDX_AGING_TABLE: [AgingRow; 12] = [
    row(1, 1, 2, 3),
    row(2, 2, 4, 6),
    row(7, 7, 14, 21),
    row(14, 14, 21, 28),
    row(30, 30, 44, 60),
    row(60, 60, 84, 108),
    row(90, 90, 120, 150),
    row(120, 120, 147, 174),
    row(180, 180, 210, 240),
    row(300, 300, 342, 384),
    row(365, 365, 425, 455),
    row(730, 730, 785, 840),
];

/// Time allowed after the due date before a dataset is overdue, and after that before it is
/// delinquent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grace {
    pub until_overdue: Duration,
    pub until_delinquent: Duration,
}

/// The grace for a period of nominal length `period`: the row with the longest period not
/// longer than it (the shortest row for sub-daily periods), scaled by `period / row period`.
pub fn grace_for(table: &[AgingRow], period: Duration) -> Grace {
    let seconds = i128::from(period.whole_seconds());
    let chosen = table
        .iter()
        .filter(|row| row.period_days > 0)
        .filter(|row| i128::from(row.period_days) * 86_400 <= seconds)
        .max_by_key(|row| row.period_days)
        .or_else(|| {
            table
                .iter()
                .filter(|row| row.period_days > 0)
                .min_by_key(|row| row.period_days)
        });
    match chosen {
        Some(row) => Grace {
            until_overdue: scale(
                period,
                row.overdue_after_days - row.due_after_days,
                row.period_days,
            ),
            until_delinquent: scale(
                period,
                row.delinquent_after_days - row.overdue_after_days,
                row.period_days,
            ),
        },
        // An empty table: a full period of grace each, HDX's rule for its shortest periods.
        None => Grace {
            until_overdue: period,
            until_delinquent: period,
        },
    }
}

/// `period × grace_days / period_days`, in whole seconds.
fn scale(period: Duration, grace_days: i64, period_days: i64) -> Duration {
    let seconds = i128::from(period.whole_seconds()) * i128::from(grace_days)
        / i128::from(period_days.max(1));
    Duration::seconds(i64::try_from(seconds.max(0)).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(n: i64) -> Duration {
        Duration::days(n)
    }

    #[test]
    fn a_monthly_dataset_is_overdue_14_days_after_its_due_date_and_delinquent_16_days_later() {
        let grace = grace_for(&HDX_AGING_TABLE, days(30));
        assert_eq!(grace.until_overdue, days(14));
        assert_eq!(grace.until_delinquent, days(16));
    }

    #[test]
    fn listed_periods_get_exactly_hdxs_grace() {
        for row in HDX_AGING_TABLE {
            let grace = grace_for(&HDX_AGING_TABLE, days(row.period_days));
            assert_eq!(
                grace.until_overdue,
                days(row.overdue_after_days - row.due_after_days)
            );
            assert_eq!(
                grace.until_delinquent,
                days(row.delinquent_after_days - row.overdue_after_days)
            );
        }
    }

    #[test]
    fn unlisted_periods_scale_from_the_nearest_shorter_row() {
        // Every 10 days: the weekly row allows +100 %.
        assert_eq!(
            grace_for(&HDX_AGING_TABLE, days(10)).until_overdue,
            days(10)
        );
        // Every 10 years: the two-year row allows 55 of 730 days, 7.5 %.
        assert_eq!(
            grace_for(&HDX_AGING_TABLE, days(3650)).until_overdue,
            days(275)
        );
        // Hourly: the daily row allows +100 %, one hour.
        assert_eq!(
            grace_for(&HDX_AGING_TABLE, Duration::hours(1)).until_overdue,
            Duration::hours(1)
        );
    }

    #[test]
    fn an_empty_table_allows_one_period_of_grace() {
        let grace = grace_for(&[], days(7));
        assert_eq!(
            grace,
            Grace {
                until_overdue: days(7),
                until_delinquent: days(7)
            }
        );
    }
}
