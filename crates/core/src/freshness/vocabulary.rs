//! How a declared frequency is written for other systems: the EU Vocabularies frequency
//! authority table that DCAT-AP 3 requires for `dct:accrualPeriodicity`, and ISO 8601.

use super::frequency::{Period, PeriodUnit, UpdateFrequency};

pub const EU_FREQUENCY_BASE: &str = "http://publications.europa.eu/resource/authority/frequency/";

/// Regular periods that have a code of their own. Anything else is `OTHER` plus an ISO 8601
/// duration, so nothing is rounded to a code that says something different.
const PERIOD_CODES: &[(u32, PeriodUnit, &str)] = &[
    (1, PeriodUnit::Minute, "1MIN"),
    (5, PeriodUnit::Minute, "5MIN"),
    (10, PeriodUnit::Minute, "10MIN"),
    (15, PeriodUnit::Minute, "15MIN"),
    (30, PeriodUnit::Minute, "30MIN"),
    (1, PeriodUnit::Hour, "HOURLY"),
    (2, PeriodUnit::Hour, "BIHOURLY"),
    (3, PeriodUnit::Hour, "TRIHOURLY"),
    (12, PeriodUnit::Hour, "12HRS"),
    (1, PeriodUnit::Day, "DAILY"),
    // Weeks before their day counts, so a harvested WEEKLY reads back as 每週.
    (1, PeriodUnit::Week, "WEEKLY"),
    (2, PeriodUnit::Week, "BIWEEKLY"),
    (7, PeriodUnit::Day, "WEEKLY"),
    // 每10日 is usually the 旬 (上旬/中旬/下旬): three times a month.
    (10, PeriodUnit::Day, "MONTHLY_3"),
    (14, PeriodUnit::Day, "BIWEEKLY"),
    (1, PeriodUnit::Month, "MONTHLY"),
    (2, PeriodUnit::Month, "BIMONTHLY"),
    (3, PeriodUnit::Month, "QUARTERLY"),
    (4, PeriodUnit::Month, "ANNUAL_3"),
    (6, PeriodUnit::Month, "ANNUAL_2"),
    (1, PeriodUnit::Year, "ANNUAL"),
    (2, PeriodUnit::Year, "BIENNIAL"),
    (3, PeriodUnit::Year, "TRIENNIAL"),
    (4, PeriodUnit::Year, "QUADRENNIAL"),
    (5, PeriodUnit::Year, "QUINQUENNIAL"),
    (6, PeriodUnit::Year, "SEXENNIAL"),
    (10, PeriodUnit::Year, "DECENNIAL"),
    (20, PeriodUnit::Year, "BIDECENNIAL"),
    (30, PeriodUnit::Year, "TRIDECENNIAL"),
];

impl UpdateFrequency {
    /// The code in the EU frequency authority table, e.g. `MONTHLY`.
    pub fn eu_code(&self) -> &'static str {
        match self {
            UpdateFrequency::Continuous => "UPDATE_CONT",
            UpdateFrequency::Regular(period) => PERIOD_CODES
                .iter()
                .find(|(count, unit, _)| *count == period.count && *unit == period.unit)
                .map_or("OTHER", |(_, _, code)| code),
            UpdateFrequency::Irregular => "IRREG",
            UpdateFrequency::Never => "NEVER",
            UpdateFrequency::Missing => "UNKNOWN",
            // Something was declared, we just cannot read it.
            UpdateFrequency::Unknown(_) => "OTHER",
        }
    }

    /// The IRI for `dct:accrualPeriodicity` in a DCAT-AP export.
    pub fn eu_iri(&self) -> String {
        format!("{EU_FREQUENCY_BASE}{}", self.eu_code())
    }

    /// An ISO 8601 duration (P1M, PT1H, P10D), kept beside `OTHER` codes so no detail is lost.
    pub fn iso8601_duration(&self) -> Option<String> {
        let Period { count, unit } = self.period()?;
        Some(match unit {
            PeriodUnit::Minute => format!("PT{count}M"),
            PeriodUnit::Hour => format!("PT{count}H"),
            PeriodUnit::Day => format!("P{count}D"),
            PeriodUnit::Week => format!("P{count}W"),
            PeriodUnit::Month => format!("P{count}M"),
            PeriodUnit::Year => format!("P{count}Y"),
        })
    }
}

/// Reads an EU frequency code or IRI as harvested from a DCAT catalogue.
pub(super) fn from_eu_code(text: &str) -> Option<UpdateFrequency> {
    let code = text.strip_prefix(EU_FREQUENCY_BASE).unwrap_or(text);
    match code {
        "CONT" | "UPDATE_CONT" => return Some(UpdateFrequency::Continuous),
        "IRREG" | "AS_NEEDED" => return Some(UpdateFrequency::Irregular),
        "NEVER" | "NOT_PLANNED" => return Some(UpdateFrequency::Never),
        "UNKNOWN" => return Some(UpdateFrequency::Missing),
        _ => {}
    }
    PERIOD_CODES
        .iter()
        .find(|(_, _, known)| *known == code)
        .map(|(count, unit, _)| UpdateFrequency::Regular(Period::new(*count, *unit)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(raw: &str) -> &'static str {
        UpdateFrequency::parse(raw).eu_code()
    }

    #[test]
    fn a_dcat_export_names_each_taiwanese_frequency_by_its_eu_code() {
        let cases = [
            ("即時", "UPDATE_CONT"),
            ("每小時", "HOURLY"),
            ("每日", "DAILY"),
            ("每週", "WEEKLY"),
            ("每周", "WEEKLY"),
            ("每月", "MONTHLY"),
            ("每季", "QUARTERLY"),
            ("每半年", "ANNUAL_2"),
            ("每年", "ANNUAL"),
            ("每2年", "BIENNIAL"),
            ("每10日", "MONTHLY_3"),
            ("每10年", "DECENNIAL"),
            ("每5日", "OTHER"),
            ("不定期", "IRREG"),
            ("不更新", "NEVER"),
            ("", "UNKNOWN"),
            ("每15日或每2月", "OTHER"),
        ];
        for (raw, expected) in cases {
            assert_eq!(code(raw), expected, "{raw:?}");
        }
        assert_eq!(
            UpdateFrequency::parse("每月").eu_iri(),
            "http://publications.europa.eu/resource/authority/frequency/MONTHLY"
        );
    }

    #[test]
    fn periods_without_a_code_keep_their_exact_length_as_iso_8601() {
        assert_eq!(
            UpdateFrequency::parse("每5日")
                .iso8601_duration()
                .as_deref(),
            Some("P5D")
        );
        assert_eq!(
            UpdateFrequency::parse("每季").iso8601_duration().as_deref(),
            Some("P3M")
        );
        assert_eq!(
            UpdateFrequency::parse("每小時")
                .iso8601_duration()
                .as_deref(),
            Some("PT1H")
        );
        assert_eq!(UpdateFrequency::parse("不定期").iso8601_duration(), None);
    }

    #[test]
    fn a_harvested_dcat_frequency_reads_back_as_the_same_frequency() {
        for raw in [
            "每月",
            "每季",
            "每年",
            "每2年",
            "每10年",
            "每小時",
            "即時",
            "不定期",
            "不更新",
        ] {
            let declared = UpdateFrequency::parse(raw);
            assert_eq!(
                UpdateFrequency::parse(&declared.eu_iri()),
                declared,
                "{raw:?}"
            );
        }
        assert_eq!(
            UpdateFrequency::parse("AS_NEEDED"),
            UpdateFrequency::Irregular
        );
    }
}
