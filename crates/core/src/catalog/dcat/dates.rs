//! Dates as XML Schema literals. Instants are `xsd:dateTime` in UTC; the coverage dates that
//! sources write freely (2015/8/6, 104.01.01, 2016-01) become `xsd:date`, `xsd:gYearMonth` or
//! `xsd:gYear`, and text that is no date is left out rather than exported as a wrong one.

use super::graph::Node;
use crate::time::{ROC_YEAR_OFFSET, Timestamp};

pub fn date_time(node: &mut Node, predicate: &'static str, at: Timestamp) {
    node.typed(predicate, at.to_rfc3339(), "xsd:dateTime");
}

/// A date as written by a source → (lexical form, datatype).
pub fn calendar_date(text: &str) -> Option<(String, &'static str)> {
    let text = text.trim();
    // A date-time keeps only its date: coverage is about days, not instants.
    let text = text.split(['T', ' ']).next().unwrap_or(text);
    let parts: Vec<&str> = text.split(['-', '/', '.']).collect();
    if parts
        .iter()
        .any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()))
    {
        return None;
    }
    let year = year(parts.first()?)?;
    match parts.as_slice() {
        [_] => Some((format!("{year:04}"), "xsd:gYear")),
        [_, month] => {
            let month: u8 = month.parse().ok().filter(|m| (1..=12).contains(m))?;
            Some((format!("{year:04}-{month:02}"), "xsd:gYearMonth"))
        }
        [_, month, day] => {
            let month = time::Month::try_from(month.parse::<u8>().ok()?).ok()?;
            let date = time::Date::from_calendar_date(year, month, day.parse().ok()?).ok()?;
            Some((crate::time::iso_date(date), "xsd:date"))
        }
        _ => None,
    }
}

/// Four digits are a Western year; two or three are a year of the ROC calendar (民國).
fn year(text: &str) -> Option<i32> {
    let value: i32 = text.parse().ok()?;
    match text.len() {
        4 if value >= 1000 => Some(value),
        2 | 3 if value > 0 => Some(value + ROC_YEAR_OFFSET),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Option<(String, &'static str)> {
        calendar_date(text)
    }

    #[test]
    fn coverage_dates_are_read_however_the_agency_wrote_them() {
        let day = |s: &str| Some((s.to_string(), "xsd:date"));
        assert_eq!(date("2016-01-01"), day("2016-01-01"));
        assert_eq!(date("2015/8/6"), day("2015-08-06"));
        assert_eq!(date("104.01.01"), day("2015-01-01"));
        assert_eq!(date("106-02-01"), day("2017-02-01"));
        assert_eq!(date("2016-01-01T00:00:00"), day("2016-01-01"));
        assert_eq!(date("2016-03"), Some(("2016-03".into(), "xsd:gYearMonth")));
        assert_eq!(date("2016"), Some(("2016".into(), "xsd:gYear")));
        // A typo, an impossible day and free text are left out.
        for bad in [
            "20107-12-15",
            "2015-02-30",
            "2015-13-01",
            "去年",
            "",
            "2015--01",
        ] {
            assert_eq!(date(bad), None, "{bad:?}");
        }
    }
}
