//! Every update frequency declared in the two real catalogues is read, and none is lost.

use std::collections::BTreeMap;

use super::taoyuan::supply_list;
use crate::freshness::UpdateFrequency;

/// Each distinct declared text with its EU code and how often it occurs.
fn tally<'a>(
    declared: impl Iterator<Item = Option<&'a str>>,
) -> Vec<(String, &'static str, usize)> {
    let mut seen: BTreeMap<String, (&'static str, usize)> = BTreeMap::new();
    for raw in declared {
        let frequency = UpdateFrequency::parse_optional(raw);
        assert!(!matches!(frequency, UpdateFrequency::Unknown(_)), "{raw:?}");
        let key = raw.map_or("<absent>".to_string(), str::to_string);
        seen.entry(key).or_insert((frequency.eu_code(), 0)).1 += 1;
    }
    seen.into_iter()
        .map(|(raw, (code, n))| (raw, code, n))
        .collect()
}

fn expected(rows: &[(&str, &'static str, usize)]) -> Vec<(String, &'static str, usize)> {
    rows.iter()
        .map(|(raw, code, n)| (raw.to_string(), *code, *n))
        .collect()
}

#[test]
fn every_frequency_in_taoyuans_supply_list_is_understood() {
    let rows = supply_list();
    let counts = tally(rows.iter().map(|row| Some(row.frequency.as_str())));
    assert_eq!(
        counts,
        expected(&[
            ("不定期", "IRREG", 876),
            ("即時", "UPDATE_CONT", 48),
            ("每半年", "ANNUAL_2", 27),
            ("每季", "QUARTERLY", 57),
            ("每年", "ANNUAL", 318),
            ("每日", "DAILY", 27),
            ("每月", "MONTHLY", 74),
            ("每週", "WEEKLY", 2),
        ])
    );
}

#[test]
fn every_frequency_in_data_gov_tws_2017_metadata_is_understood_and_missing_ones_are_counted() {
    let text = std::fs::read_to_string(shared_data!("datagovtw_2017_iot_metadata.nocontact.jsonl"))
        .unwrap();
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let counts = tally(
        records
            .iter()
            .map(|record| record.get("UPDATE_FREQ").and_then(|v| v.as_str())),
    );
    assert_eq!(
        counts,
        expected(&[
            ("<absent>", "UNKNOWN", 128),
            ("不定期", "IRREG", 268),
            ("不更新", "NEVER", 69),
            ("即時", "UPDATE_CONT", 25),
            ("每10年", "DECENNIAL", 1),
            ("每10日", "MONTHLY_3", 2),
            ("每半年", "ANNUAL_2", 4),
            ("每周", "WEEKLY", 4),
            ("每季", "QUARTERLY", 17),
            ("每小時", "HOURLY", 84),
            ("每年", "ANNUAL", 237),
            ("每日", "DAILY", 30),
            ("每月", "MONTHLY", 67),
        ])
    );
    assert_eq!(
        records.len(),
        counts.iter().map(|(_, _, n)| n).sum::<usize>()
    );
}
