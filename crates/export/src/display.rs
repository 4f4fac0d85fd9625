//! How values read as text, where a format has no type for them (CSV, the text shown in ODS
//! cells): ISO dates, Taipei wall-clock time to the second.

use std::borrow::Cow;

use time::macros::offset;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// Taiwan has kept UTC+8 without daylight saving since 1979.
const TAIPEI: UtcOffset = offset!(+8);

/// The Taipei wall-clock time of `at`, whole seconds; `None` only at the calendar's very end.
pub(crate) fn taipei(at: OffsetDateTime) -> Option<PrimitiveDateTime> {
    let local = at.checked_to_offset(TAIPEI)?;
    let time = Time::from_hms(local.hour(), local.minute(), local.second()).ok()?;
    Some(PrimitiveDateTime::new(local.date(), time))
}

/// `2024-05-01`.
pub(crate) fn date(date: Date) -> String {
    let year = date.year();
    let sign = if year < 0 { "-" } else { "" };
    format!(
        "{sign}{:04}-{:02}-{:02}",
        year.unsigned_abs(),
        u8::from(date.month()),
        date.day()
    )
}

/// `2024-05-01 09:30:00` (or with `T` between, for ISO 8601 attribute values).
pub(crate) fn date_time(at: PrimitiveDateTime, separator: char) -> String {
    format!(
        "{}{separator}{:02}:{:02}:{:02}",
        date(at.date()),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// Rust's shortest round-tripping form (`3.5`, `0.1`, no exponent); `NaN`, `inf`, `-inf`
/// for the values spreadsheets cannot store as numbers.
pub(crate) fn number(x: f64) -> String {
    x.to_string()
}

/// Line breaks as spreadsheets store them: `\n`, whatever the source used.
pub(crate) fn unix_line_ends(text: &str) -> Cow<'_, str> {
    if text.contains('\r') {
        Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;

    #[test]
    fn an_instant_is_shown_in_taipei_time_without_fractions() {
        let local = taipei(datetime!(2024-12-31 16:30:15.999 UTC)).unwrap();
        assert_eq!(date_time(local, ' '), "2025-01-01 00:30:15");
        assert_eq!(date_time(local, 'T'), "2025-01-01T00:30:15");
    }

    #[test]
    fn dates_are_written_year_first_with_four_digit_years() {
        assert_eq!(date(date!(2024 - 05 - 01)), "2024-05-01");
        assert_eq!(date(date!(0099 - 01 - 09)), "0099-01-09");
    }
}
