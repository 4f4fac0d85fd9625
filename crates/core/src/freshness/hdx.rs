//! HDX's own freshness rule (OCHA-DAP/hdx-data-freshness), reproduced exactly so our results
//! can be checked against theirs and HDX's numbers offered as a comparable profile.

use serde::{Deserialize, Serialize};
use time::Duration;

use super::aging::AgingRow;
use super::frequency::UpdateFrequency;
use crate::time::Timestamp;

/// HDX's `data_update_frequency` codes that mean "no schedule".
pub const HDX_LIVE: i64 = 0;
pub const HDX_NEVER: i64 = -1;
pub const HDX_AS_NEEDED: i64 = -2;

/// HDX's `fresh` column: 0 fresh, 1 due, 2 overdue, 3 delinquent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HdxStatus {
    Fresh = 0,
    Due = 1,
    Overdue = 2,
    Delinquent = 3,
}

impl HdxStatus {
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// One dataset as HDX's freshness run sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HdxDataset {
    /// Days; 0 live, -1 never, -2 as needed; `None` when the dataset declares none.
    pub update_frequency_days: Option<i64>,
    pub last_modified: Timestamp,
    /// When a maintainer pressed "reviewed" in the HDX UI.
    pub review_date: Option<Timestamp>,
    /// The date a script wrote into `updated_by_script` (already parsed; HDX ignores it when
    /// the text has no bracketed date or says `freshness_ignore`).
    pub updated_by_script: Option<Timestamp>,
    /// The latest change seen on the dataset's resources by downloading and hashing them.
    pub resources_changed: Option<Timestamp>,
    /// HDX marks a dataset without resources as an error and gives it no status.
    pub has_resources: bool,
}

impl HdxDataset {
    /// HDX's `latest_of_modifieds`: the freshness clock.
    pub fn latest_of_modifieds(&self) -> Timestamp {
        [
            self.review_date,
            self.updated_by_script,
            self.resources_changed,
        ]
        .into_iter()
        .flatten()
        .fold(self.last_modified, Timestamp::max)
    }
}

/// HDX's status for `dataset` at `now`, or `None` where HDX shows "Freshness Unavailable"
/// (no frequency, no resources) or has no row in its aging table for the frequency.
pub fn hdx_status(dataset: &HdxDataset, aging: &[AgingRow], now: Timestamp) -> Option<HdxStatus> {
    let frequency = dataset.update_frequency_days?;
    if !dataset.has_resources {
        return None;
    }
    if matches!(frequency, HDX_LIVE | HDX_NEVER | HDX_AS_NEEDED) {
        return Some(HdxStatus::Fresh);
    }
    let row = aging.iter().find(|row| row.period_days == frequency)?;
    // HDX compares the exact age with whole-day thresholds: `delta >= timedelta(days=n)`.
    let age = now.since(dataset.latest_of_modifieds());
    Some(if age >= Duration::days(row.delinquent_after_days) {
        HdxStatus::Delinquent
    } else if age >= Duration::days(row.overdue_after_days) {
        HdxStatus::Overdue
    } else if age >= Duration::days(row.due_after_days) {
        HdxStatus::Due
    } else {
        HdxStatus::Fresh
    })
}

/// The HDX frequency code for a declared frequency, where HDX has one: for exporting to HDX
/// and for comparing our results with HDX's on the same catalogue.
pub fn hdx_update_frequency(frequency: &UpdateFrequency, aging: &[AgingRow]) -> Option<i64> {
    match frequency {
        UpdateFrequency::Continuous => Some(HDX_LIVE),
        UpdateFrequency::Never => Some(HDX_NEVER),
        UpdateFrequency::Irregular => Some(HDX_AS_NEEDED),
        UpdateFrequency::Regular(period) => {
            let days = period.nominal().whole_days();
            aging
                .iter()
                .any(|row| row.period_days == days)
                .then_some(days)
        }
        UpdateFrequency::Missing | UpdateFrequency::Unknown(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::aging::HDX_AGING_TABLE;
    use super::*;
    use time::macros::datetime;

    fn dataset(frequency: i64, last_modified: Timestamp) -> HdxDataset {
        HdxDataset {
            update_frequency_days: Some(frequency),
            last_modified,
            review_date: None,
            updated_by_script: None,
            resources_changed: None,
            has_resources: true,
        }
    }

    #[test]
    fn hdx_calls_a_monthly_dataset_due_after_30_days_and_overdue_after_44() {
        let updated = Timestamp::from_offset(datetime!(2017-11-01 12:00 UTC));
        let at = |days| updated.add(Duration::days(days));
        let monthly = dataset(30, updated);
        assert_eq!(
            hdx_status(&monthly, &HDX_AGING_TABLE, at(29)),
            Some(HdxStatus::Fresh)
        );
        assert_eq!(
            hdx_status(&monthly, &HDX_AGING_TABLE, at(30)),
            Some(HdxStatus::Due)
        );
        assert_eq!(
            hdx_status(&monthly, &HDX_AGING_TABLE, at(44)),
            Some(HdxStatus::Overdue)
        );
        assert_eq!(
            hdx_status(&monthly, &HDX_AGING_TABLE, at(60)),
            Some(HdxStatus::Delinquent)
        );
    }

    #[test]
    fn pressing_reviewed_in_hdx_restarts_the_clock() {
        let updated = Timestamp::from_offset(datetime!(2016-10-17 20:45 UTC));
        let now = Timestamp::from_offset(datetime!(2017-12-19 10:53 UTC));
        let mut weekly = dataset(7, updated);
        assert_eq!(
            hdx_status(&weekly, &HDX_AGING_TABLE, now),
            Some(HdxStatus::Delinquent)
        );
        weekly.review_date = Some(now.sub(Duration::days(1)));
        assert_eq!(
            hdx_status(&weekly, &HDX_AGING_TABLE, now),
            Some(HdxStatus::Fresh)
        );
    }

    #[test]
    fn live_never_and_as_needed_are_always_fresh_in_hdx() {
        let long_ago = Timestamp::from_offset(datetime!(2010-01-01 0:00 UTC));
        let now = Timestamp::from_offset(datetime!(2017-12-19 0:00 UTC));
        for code in [HDX_LIVE, HDX_NEVER, HDX_AS_NEEDED] {
            assert_eq!(
                hdx_status(&dataset(code, long_ago), &HDX_AGING_TABLE, now),
                Some(HdxStatus::Fresh)
            );
        }
        let mut no_resources = dataset(30, long_ago);
        no_resources.has_resources = false;
        assert_eq!(hdx_status(&no_resources, &HDX_AGING_TABLE, now), None);
        assert_eq!(
            hdx_status(&dataset(3, long_ago), &HDX_AGING_TABLE, now),
            None
        );
    }

    #[test]
    fn taiwanese_frequencies_have_hdx_codes_where_hdx_has_a_row() {
        let code = |raw| hdx_update_frequency(&UpdateFrequency::parse(raw), &HDX_AGING_TABLE);
        assert_eq!(code("每月"), Some(30));
        assert_eq!(code("每季"), Some(90));
        assert_eq!(code("每半年"), Some(180));
        assert_eq!(code("每年"), Some(365));
        assert_eq!(code("每2年"), Some(730));
        assert_eq!(code("即時"), Some(HDX_LIVE));
        assert_eq!(code("不定期"), Some(HDX_AS_NEEDED));
        assert_eq!(code("不更新"), Some(HDX_NEVER));
        assert_eq!(code("每10日"), None);
    }
}
