//! Calendar arithmetic in Taipei time. A dataset updated monthly from 31 January is due at the
//! end of February, not 30 days later, and "next year" begins at midnight in Taoyuan, not UTC.

use time::{Date, Duration, Month, Time};

use super::frequency::{Period, PeriodUnit};
use crate::time::{TAIPEI, Timestamp};

/// `at` plus one `period`. Months and years follow the calendar, clamping to the end of a
/// shorter month; shorter units are exact durations (Taiwan has no daylight saving).
pub(super) fn add_period(at: Timestamp, period: Period) -> Timestamp {
    let n = i64::from(period.count);
    match period.unit {
        PeriodUnit::Minute => at.add(Duration::minutes(n)),
        PeriodUnit::Hour => at.add(Duration::hours(n)),
        PeriodUnit::Day => at.add(Duration::days(n)),
        PeriodUnit::Week => at.add(Duration::weeks(n)),
        PeriodUnit::Month => add_months(at, n),
        PeriodUnit::Year => add_months(at, n.saturating_mul(12)),
    }
}

/// Like [`Timestamp::add`], an instant out of range leaves `at` unchanged rather than failing;
/// that only happens beyond the year 9999.
pub(super) fn add_months(at: Timestamp, months: i64) -> Timestamp {
    let local = at.in_taipei();
    let index = i64::from(local.year()) * 12 + i64::from(u8::from(local.month())) - 1 + months;
    let date = i32::try_from(index.div_euclid(12)).ok().and_then(|year| {
        let month = u8::try_from(index.rem_euclid(12) + 1).ok()?;
        let month = Month::try_from(month).ok()?;
        let day = local.day().min(month.length(year));
        Date::from_calendar_date(year, month, day).ok()
    });
    match date {
        Some(date) => Timestamp::from_offset(local.replace_date(date)),
        None => at,
    }
}

/// Midnight on 1 January of a Gregorian year, Taipei time.
pub(super) fn start_of_year(year: i32) -> Option<Timestamp> {
    let date = Date::from_calendar_date(year, Month::January, 1).ok()?;
    Some(Timestamp::from_offset(
        date.with_time(Time::MIDNIGHT).assume_offset(TAIPEI),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn taipei(at: time::OffsetDateTime) -> Timestamp {
        Timestamp::from_offset(at)
    }

    #[test]
    fn a_month_after_31_january_is_the_end_of_february() {
        let jan31 = taipei(datetime!(2018-01-31 10:00 +08:00));
        assert_eq!(
            add_months(jan31, 1),
            taipei(datetime!(2018-02-28 10:00 +08:00))
        );
        let leap = taipei(datetime!(2024-01-31 10:00 +08:00));
        assert_eq!(
            add_months(leap, 1),
            taipei(datetime!(2024-02-29 10:00 +08:00))
        );
        assert_eq!(
            add_months(jan31, 3),
            taipei(datetime!(2018-04-30 10:00 +08:00))
        );
    }

    #[test]
    fn a_quarter_after_mid_november_crosses_into_next_year() {
        let at = taipei(datetime!(2017-11-15 09:30 +08:00));
        assert_eq!(
            add_period(at, Period::QUARTERLY),
            taipei(datetime!(2018-02-15 09:30 +08:00))
        );
    }

    #[test]
    fn months_are_counted_in_taipei_not_utc() {
        // 31 Jan 20:00 UTC is already 1 Feb in Taoyuan, so a month later is 1 March.
        let at = taipei(datetime!(2018-01-31 20:00 UTC));
        assert_eq!(
            add_months(at, 1),
            taipei(datetime!(2018-03-01 04:00 +08:00))
        );
    }

    #[test]
    fn a_yearly_dataset_updated_on_leap_day_is_due_on_28_february() {
        let at = taipei(datetime!(2024-02-29 12:00 +08:00));
        assert_eq!(
            add_period(at, Period::YEARLY),
            taipei(datetime!(2025-02-28 12:00 +08:00))
        );
    }

    #[test]
    fn the_roc_year_107_begins_at_midnight_in_taoyuan() {
        assert_eq!(
            start_of_year(2018),
            Some(taipei(datetime!(2018-01-01 00:00 +08:00)))
        );
    }
}
