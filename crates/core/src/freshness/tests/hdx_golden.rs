//! HDX's own results on real HDX datasets (two runs, December 2017), recomputed here.
//!
//! HDX's clock is `latest_of_modifieds`: the latest of the dataset's `last_modified`, the
//! maintainer's `review_date`, the date in `updated_by_script`, and changes HDX found on the
//! resources by hashing their downloads. The export holds no per-resource column, but its
//! `latest_of_modifieds` includes the resource changes, so it serves as that evidence: in 3 of
//! the 188 rows a hash change is the only thing that makes the dataset fresh.

use time::PrimitiveDateTime;
use time::macros::format_description;

use crate::freshness::{AgingRow, HDX_AGING_TABLE, HdxDataset, hdx_status};
use crate::time::Timestamp;

/// HDX stores naive UTC times with microseconds.
fn utc(text: &str) -> Option<Timestamp> {
    if text.is_empty() {
        return None;
    }
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second].[subsecond]");
    Some(Timestamp::from_offset(
        PrimitiveDateTime::parse(text, format).unwrap().assume_utc(),
    ))
}

#[test]
fn our_aging_table_is_hdxs() {
    let mut reader = csv::Reader::from_path(shared_data!("hdx_freshness_aging_table.csv")).unwrap();
    let rows: Vec<AgingRow> = reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            let day = |i: usize| record[i].parse::<i64>().unwrap();
            AgingRow {
                period_days: day(0),
                due_after_days: day(1),
                overdue_after_days: day(2),
                delinquent_after_days: day(3),
            }
        })
        .collect();
    assert_eq!(rows, HDX_AGING_TABLE.to_vec());
}

#[test]
fn every_hdx_golden_status_is_reproduced() {
    let mut reader = csv::Reader::from_path(shared_data!("hdx_freshness_golden_dayN.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (run_date, name, frequency) = (
        column("run_date"),
        column("dataset_name"),
        column("update_frequency_days"),
    );
    let (last_modified, review_date) = (column("last_modified"), column("review_date"));
    let (by_script, latest) = (column("updated_by_script"), column("latest_of_modifieds"));
    let (what_updated, status, error) = (
        column("what_updated"),
        column("fresh_status"),
        column("error"),
    );

    let (mut golden, mut matched, mut rows, mut all_matched) = (0, 0, 0, 0);
    let mut matched_without_hashing = 0;
    let mut mismatches = Vec::new();
    for record in reader.records() {
        let r = record.unwrap();
        let dataset = HdxDataset {
            update_frequency_days: (!r[frequency].is_empty())
                .then(|| r[frequency].parse().unwrap()),
            last_modified: utc(&r[last_modified]).unwrap(),
            review_date: utc(&r[review_date]),
            updated_by_script: utc(&r[by_script]),
            resources_changed: utc(&r[latest]),
            has_resources: &r[what_updated] != "no resources",
        };
        let computed = hdx_status(&dataset, &HDX_AGING_TABLE, utc(&r[run_date]).unwrap());
        let computed = computed.map_or(String::new(), |s| s.code().to_string());
        let agrees = computed == r[status];
        rows += 1;
        all_matched += usize::from(agrees);
        // The golden set: rows without an error and with a status.
        if &r[error] == "0" && !r[status].is_empty() {
            golden += 1;
            matched += usize::from(agrees);
            let metadata_only = HdxDataset {
                resources_changed: None,
                ..dataset
            };
            let without_hashing =
                hdx_status(&metadata_only, &HDX_AGING_TABLE, utc(&r[run_date]).unwrap());
            matched_without_hashing += usize::from(
                without_hashing.map(|s| s.code().to_string()).as_deref() == Some(&r[status]),
            );
        }
        if !agrees {
            mismatches.push(format!(
                "{} at {}: HDX {:?}, ours {computed:?}",
                &r[name], &r[run_date], &r[status]
            ));
        }
    }
    println!(
        "HDX golden: {matched}/{golden} non-error rows match; {all_matched}/{rows} rows in all"
    );
    for mismatch in &mismatches {
        println!("  mismatch: {mismatch}");
    }
    assert_eq!((matched, golden), (188, 188));
    assert!(mismatches.is_empty(), "{mismatches:#?}");
    assert_eq!(rows, 206);
    // Dates in the metadata alone are not enough: HDX's hashing found 3 real changes.
    assert_eq!(matched_without_hashing, 185);
}
