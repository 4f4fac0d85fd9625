//! Taoyuan's real 2018 open-data supply list (1,429 datasets, 34 agencies) judged "as of" its
//! own newest timestamp, 2018-03-20 02:31:38. The sheet's 最後更新時間 is taken as the evidence
//! of the last real data update, in Taipei time; it may in truth be a metadata time.

use std::collections::BTreeMap;

use time::PrimitiveDateTime;
use time::macros::format_description;

use crate::freshness::{
    FreshnessInput, FreshnessPolicy, FreshnessState, Reachability, UpdateFrequency, assess,
    parse_roc_year_prefix,
};
use crate::time::{TAIPEI, Timestamp};

fn taipei_seconds(text: &str) -> Timestamp {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    Timestamp::from_offset(
        PrimitiveDateTime::parse(text, format)
            .unwrap()
            .assume_offset(TAIPEI),
    )
}

pub(super) struct Row {
    pub(super) agency: String,
    pub(super) title: String,
    pub(super) frequency: String,
    pub(super) updated: String,
}

pub(super) fn supply_list() -> Vec<Row> {
    let mut reader = csv::Reader::from_path(shared_data!(
        "taoyuan_open_data_supply_list_2018.nocontact.csv"
    ))
    .unwrap();
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (agency, title, frequency, updated) = (
        column("資料集提供機關"),
        column("資料名稱"),
        column("更新頻率"),
        column("最後更新時間"),
    );
    reader
        .records()
        .map(|record| {
            let r = record.unwrap();
            Row {
                agency: r[agency].to_string(),
                title: r[title].to_string(),
                frequency: r[frequency].to_string(),
                updated: r[updated].to_string(),
            }
        })
        .collect()
}

#[test]
fn taoyuans_supply_list_as_of_20_march_2018_has_165_late_datasets() {
    let rows = supply_list();
    let now = taipei_seconds("2018-03-20 02:31:38");
    let policy = FreshnessPolicy::default();

    let mut by_state: BTreeMap<FreshnessState, usize> = BTreeMap::new();
    let mut by_frequency: BTreeMap<(String, FreshnessState), usize> = BTreeMap::new();
    let mut late_by_agency: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut unknown_frequencies: BTreeMap<String, usize> = BTreeMap::new();
    let mut examples: BTreeMap<FreshnessState, String> = BTreeMap::new();
    for row in &rows {
        let frequency = UpdateFrequency::parse(&row.frequency);
        if matches!(
            frequency,
            UpdateFrequency::Unknown(_) | UpdateFrequency::Missing
        ) {
            *unknown_frequencies
                .entry(row.frequency.clone())
                .or_default() += 1;
        }
        let input = FreshnessInput {
            frequency: &frequency,
            last_data_update: Some(taipei_seconds(&row.updated)),
            last_review: None,
            reachability: Reachability::NotChecked,
        };
        let judged = assess(&input, &policy, now);
        assert!(
            !judged.explanation.zh.is_empty() && !judged.explanation.en.is_empty(),
            "{}: no explanation",
            row.title
        );
        *by_state.entry(judged.state).or_default() += 1;
        examples.entry(judged.state).or_insert_with(|| {
            let why = &judged.explanation;
            format!(
                "{} ({}): {}\n      {}",
                row.title, row.agency, why.zh, why.en
            )
        });
        *by_frequency
            .entry((frequency.label().zh, judged.state))
            .or_default() += 1;
        if judged.state.is_late() {
            let late = late_by_agency.entry(&row.agency).or_default();
            if judged.state == FreshnessState::Overdue {
                late.0 += 1;
            } else {
                late.1 += 1;
            }
        }
    }

    println!(
        "Taoyuan supply list as of 2018-03-20 02:31:38 (Asia/Taipei), {} datasets",
        rows.len()
    );
    for (state, count) in &by_state {
        println!("  {:<15} {count:>5}", state.code());
    }
    for (state, example) in &examples {
        println!("  e.g. {}: {example}", state.code());
    }
    for ((frequency, state), count) in &by_frequency {
        println!("  {frequency:<4} {:<15} {count:>5}", state.code());
    }
    let mut agencies: Vec<_> = late_by_agency.iter().collect();
    agencies.sort_by_key(|(agency, (overdue, delinquent))| {
        (std::cmp::Reverse(overdue + delinquent), **agency)
    });
    println!("Late datasets per agency (overdue + delinquent):");
    for (agency, (overdue, delinquent)) in &agencies {
        println!(
            "  {agency}: {} (overdue {overdue}, delinquent {delinquent})",
            overdue + delinquent
        );
    }

    // Every row is assessed; none is dropped.
    assert_eq!(rows.len(), 1429);
    assert_eq!(by_state.values().sum::<usize>(), rows.len());
    // Every frequency in the sheet is understood.
    assert!(unknown_frequencies.is_empty(), "{unknown_frequencies:?}");
    let count = |state| by_state.get(&state).copied().unwrap_or(0);
    assert_eq!(count(FreshnessState::Fresh), 1051);
    assert_eq!(count(FreshnessState::DueSoon), 15);
    assert_eq!(count(FreshnessState::Overdue), 16);
    assert_eq!(count(FreshnessState::Delinquent), 149);
    assert_eq!(count(FreshnessState::ReviewDue), 198);
    assert_eq!(count(FreshnessState::Unknown), 0);
    assert_eq!(count(FreshnessState::NotApplicable), 0);
    assert_eq!(count(FreshnessState::Unreachable), 0);
    // 不定期 is never late: 876 irregular datasets are fresh or due for review.
    let irregular = |state| {
        by_frequency
            .get(&("不定期".to_string(), state))
            .copied()
            .unwrap_or(0)
    };
    assert_eq!(
        irregular(FreshnessState::Fresh) + irregular(FreshnessState::ReviewDue),
        876
    );
    // The worst offender, as the research on this sheet found.
    assert_eq!(
        agencies
            .first()
            .map(|(agency, late)| (**agency, late.0 + late.1)),
        Some(("380130000C 【警察局】", 33))
    );
    assert_eq!(
        late_by_agency.values().map(|(o, d)| o + d).sum::<usize>(),
        165
    );
}

#[test]
fn taoyuan_titles_that_start_with_an_roc_year_are_series_members() {
    let years: Vec<i32> = supply_list()
        .iter()
        .filter_map(|row| parse_roc_year_prefix(&row.title))
        .collect();
    assert_eq!(years.len(), 239);
    assert!(
        years.iter().all(|year| (99..=107).contains(year)),
        "{years:?}"
    );
}
