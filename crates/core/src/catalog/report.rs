//! Freshness scorecards: per agency, how many datasets with a schedule kept it, today and over
//! time, from the history the recomputation records each day.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::ports::FreshnessHistoryRow;

/// Frequency classes that promise a schedule (不定期, 不更新 and undeclared ones do not).
pub const SCHEDULED: &[&str] = &[
    "continuous",
    "hourly",
    "daily",
    "weekly",
    "monthly",
    "quarterly",
    "half_yearly",
    "yearly",
    "multi_year",
];

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AgencyScore {
    pub agency: String,
    pub datasets: u64,
    /// Datasets that declare a schedule.
    pub scheduled: u64,
    pub fresh: u64,
    pub due_soon: u64,
    pub overdue: u64,
    pub delinquent: u64,
    pub review_due: u64,
    /// Share of scheduled datasets not late; `None` when the agency declares no schedule.
    pub on_time_rate: Option<f64>,
}

impl AgencyScore {
    pub fn late(&self) -> u64 {
        self.overdue + self.delinquent
    }

    fn add(&mut self, row: &FreshnessHistoryRow) {
        self.datasets += row.count;
        if SCHEDULED.contains(&row.frequency_class.as_str()) {
            self.scheduled += row.count;
        }
        match row.state.as_str() {
            "fresh" => self.fresh += row.count,
            "due_soon" => self.due_soon += row.count,
            "overdue" => self.overdue += row.count,
            "delinquent" => self.delinquent += row.count,
            "review_due" => self.review_due += row.count,
            _ => {}
        }
    }

    fn finish(&mut self, scheduled_late: u64) {
        self.on_time_rate = (self.scheduled > 0).then(|| {
            (self.scheduled - scheduled_late.min(self.scheduled)) as f64 / self.scheduled as f64
        });
    }
}

/// Scores per agency (and the city as a whole under the key `""`) for every recorded day.
pub fn scores_by_day(
    rows: &[FreshnessHistoryRow],
) -> BTreeMap<String, BTreeMap<String, AgencyScore>> {
    let mut days: BTreeMap<String, BTreeMap<String, (AgencyScore, u64)>> = BTreeMap::new();
    for row in rows {
        let day = days.entry(row.day.clone()).or_default();
        let late = matches!(row.state.as_str(), "overdue" | "delinquent")
            && SCHEDULED.contains(&row.frequency_class.as_str());
        for key in [row.agency.as_str(), ""] {
            let (score, scheduled_late) = day.entry(key.to_string()).or_insert_with(|| {
                (
                    AgencyScore {
                        agency: key.to_string(),
                        ..Default::default()
                    },
                    0,
                )
            });
            score.add(row);
            if late {
                *scheduled_late += row.count;
            }
        }
    }
    days.into_iter()
        .map(|(day, agencies)| {
            let scores = agencies
                .into_iter()
                .map(|(agency, (mut score, late))| {
                    score.finish(late);
                    (agency, score)
                })
                .collect();
            (day, scores)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(day: &str, agency: &str, class: &str, state: &str, count: u64) -> FreshnessHistoryRow {
        FreshnessHistoryRow {
            day: day.into(),
            agency: agency.into(),
            frequency_class: class.into(),
            state: state.into(),
            count,
        }
    }

    #[test]
    fn an_agency_with_one_late_monthly_dataset_of_four_scheduled_is_75_percent_on_time() {
        let rows = vec![
            row("2024-03-01", "380290000H", "monthly", "fresh", 3),
            row("2024-03-01", "380290000H", "monthly", "overdue", 1),
            row("2024-03-01", "380290000H", "irregular", "review_due", 5),
            row("2024-03-01", "380130000C", "yearly", "delinquent", 2),
        ];
        let days = scores_by_day(&rows);
        let day = &days["2024-03-01"];
        let transport = &day["380290000H"];
        assert_eq!(
            (transport.datasets, transport.scheduled, transport.late()),
            (9, 4, 1)
        );
        assert_eq!(transport.on_time_rate, Some(0.75));
        assert_eq!(day["380130000C"].on_time_rate, Some(0.0));
        let city = &day[""];
        assert_eq!(city.scheduled, 6);
        assert_eq!(city.on_time_rate, Some(3.0 / 6.0));
    }

    #[test]
    fn an_agency_without_a_schedule_has_no_rate() {
        let days = scores_by_day(&[row("2024-03-01", "A1", "irregular", "fresh", 2)]);
        assert_eq!(days["2024-03-01"]["A1"].on_time_rate, None);
    }
}
