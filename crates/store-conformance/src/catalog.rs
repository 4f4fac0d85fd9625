//! The catalogue story every store must tell the same way, on Taoyuan's real supply list.

use std::sync::Arc;

use civitas_core::Platform;
use civitas_core::agencies::AgencyImportFormat;
use civitas_core::authz::Principal;
use civitas_core::catalog::{CatalogFormat, DatasetStatus, Facet, SearchQuery, SortOrder};
use civitas_core::clock::ManualClock;
use civitas_core::freshness::FreshnessState;
use civitas_core::page::PageRequest;
use civitas_core::ports::Stores;
use civitas_core::time::Timestamp;
use civitas_core::{Caller, SecurityPolicy};

pub const SUPPLY_LIST: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/catalog/taoyuan_open_data_supply_list_2018.nocontact.csv"
);

/// The newest 最後更新時間 in the list: the day the inventory was taken.
pub fn as_of() -> Timestamp {
    Timestamp::parse_rfc3339("2018-03-20T02:31:38+08:00").unwrap()
}

pub fn operator() -> Caller {
    Caller::new(Principal::operator("test"), None)
}

/// A platform over `stores` holding the city government, at the inventory date.
pub async fn platform(stores: &Stores) -> (Platform, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(as_of()));
    let p = Platform::new(stores.clone(), clock.clone(), SecurityPolicy::default());
    p.agencies()
        .import(
            &operator(),
            b"code,name_zh,name_en,kind\n380000000A,\xe6\xa1\x83\xe5\x9c\x92\xe5\xb8\x82\xe6\x94\xbf\xe5\xba\x9c,Taoyuan City Government,city_government\n",
            AgencyImportFormat::CivitasCsv,
            "root.csv",
        )
        .await
        .unwrap();
    (p, clock)
}

pub async fn import_list(p: &Platform, bytes: &[u8]) -> (i64, civitas_core::import::ImportReport) {
    p.catalog()
        .import(
            &operator(),
            bytes,
            CatalogFormat::TaoyuanSupplyList,
            "supply-list.csv",
        )
        .await
        .unwrap()
}

fn query(text: &str) -> SearchQuery {
    SearchQuery {
        text: Some(text.into()),
        page: PageRequest {
            page: 1,
            per_page: 20,
        },
        ..Default::default()
    }
}

pub async fn the_taoyuan_list_imports_once_and_a_second_run_changes_nothing(stores: &Stores) {
    let (p, _) = platform(stores).await;
    let bytes = std::fs::read(SUPPLY_LIST).unwrap();
    let (_, first) = import_list(&p, &bytes).await;
    assert_eq!(first.received, 1429);
    assert_eq!(first.created, 1429);
    assert!(first.reconciles());
    assert_eq!(stores.catalog.count_datasets().await.unwrap(), 1429);
    let agencies = stores.agencies.agencies().await.unwrap();
    assert_eq!(
        agencies.len(),
        35,
        "34 providing agencies created on the way, plus the city government"
    );
    let head = stores.audit.head().await.unwrap().unwrap().seq;

    let (_, second) = import_list(&p, &bytes).await;
    assert_eq!(
        (
            second.created,
            second.updated,
            second.unchanged,
            second.withdrawn
        ),
        (0, 0, 1429, 0)
    );
    assert_eq!(
        stores.catalog.count_datasets().await.unwrap(),
        1429,
        "no duplicates"
    );
    // Only the import itself is recorded the second time: nothing else changed.
    assert_eq!(stores.audit.head().await.unwrap().unwrap().seq, head + 1);
    let d = stores
        .catalog
        .dataset_by_identifier("00405ad6-f02a-4bf5-85ac-dca2fdac822e")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.record.title_zh, "桃園市登革熱確診個案分布");
    assert_eq!(d.version, 1);
    assert_eq!(
        d.data_updated_at, d.record.source_modified,
        "the list's 最後更新時間 is the data clock"
    );
}

pub async fn two_character_chinese_words_are_found_and_faceted(stores: &Stores) {
    let (p, _) = platform(stores).await;
    import_list(&p, &std::fs::read(SUPPLY_LIST).unwrap()).await;
    let op = operator();
    let parking = p.catalog().search(&op, &query("停車")).await.unwrap();
    assert!(
        parking.total >= 10,
        "停車 finds parking datasets: {}",
        parking.total
    );
    assert!(
        parking
            .hits
            .iter()
            .take(5)
            .all(|h| h.title_zh.contains("停車")),
        "titles rank first: {:?}",
        parking.hits.iter().map(|h| &h.title_zh).collect::<Vec<_>>()
    );
    let agency_counts: u64 = parking
        .facets
        .iter()
        .find(|(f, _)| *f == Facet::Agency)
        .unwrap()
        .1
        .iter()
        .map(|c| c.count)
        .sum();
    assert_eq!(agency_counts, parking.total, "every match has one agency");

    let bus = p.catalog().search(&op, &query("公車")).await.unwrap();
    assert!(bus.total > 0);
    assert_eq!(
        p.catalog().search(&op, &query("臺灣")).await.unwrap().total,
        p.catalog().search(&op, &query("台灣")).await.unwrap().total,
        "臺 and 台 are the same"
    );
    // Narrowing by agency keeps the other agencies' counts visible (for switching).
    let top = parking
        .facets
        .iter()
        .find(|(f, _)| *f == Facet::Agency)
        .unwrap()
        .1[0]
        .clone();
    let mut narrowed = query("停車");
    narrowed.filters.push((Facet::Agency, top.value.clone()));
    let n = p.catalog().search(&op, &narrowed).await.unwrap();
    assert_eq!(n.total, top.count);
    let agencies_shown = &n
        .facets
        .iter()
        .find(|(f, _)| *f == Facet::Agency)
        .unwrap()
        .1;
    assert_eq!(
        agencies_shown.len(),
        parking
            .facets
            .iter()
            .find(|(f, _)| *f == Facet::Agency)
            .unwrap()
            .1
            .len()
    );
    // Field names are searchable on their own.
    let mut by_field = query("h_count");
    by_field.fields_only = true;
    let fields = p.catalog().search(&op, &by_field).await.unwrap();
    assert!(fields.total >= 1 && fields.total < 50, "{}", fields.total);
    // Browsing everything uses the totals kept at write time; they agree with a real count.
    let all = p
        .catalog()
        .search(
            &op,
            &SearchQuery {
                sort: SortOrder::Title,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(all.total, 1429);
    let csv: u64 = all
        .facets
        .iter()
        .find(|(f, _)| *f == Facet::Format)
        .unwrap()
        .1
        .iter()
        .find(|c| c.value == "CSV")
        .unwrap()
        .count;
    let mut only_csv = SearchQuery::default();
    only_csv.filters.push((Facet::Format, "CSV".into()));
    assert_eq!(p.catalog().search(&op, &only_csv).await.unwrap().total, csv);
    // Text that looks like a query language is just text.
    for odd in [
        "\"",
        "AND OR NOT",
        "停車*",
        "title:abc",
        "'; DROP TABLE datasets; --",
    ] {
        p.catalog().search(&op, &query(odd)).await.unwrap();
    }
}

pub async fn datasets_gone_from_their_source_are_withdrawn_not_deleted(stores: &Stores) {
    let (p, _) = platform(stores).await;
    let bytes = std::fs::read(SUPPLY_LIST).unwrap();
    import_list(&p, &bytes).await;
    let text = String::from_utf8(bytes.clone()).unwrap();
    // Drop the dengue dataset's row (it holds a quoted multi-line cell elsewhere, so cut by record).
    let shorter: String = {
        let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(reader.headers().unwrap()).unwrap();
        for r in reader.records() {
            let r = r.unwrap();
            if !r
                .iter()
                .any(|c| c.contains("00405ad6-f02a-4bf5-85ac-dca2fdac822e"))
            {
                writer.write_record(&r).unwrap();
            }
        }
        String::from_utf8(writer.into_inner().unwrap()).unwrap()
    };
    let (_, report) = import_list(&p, shorter.as_bytes()).await;
    assert_eq!(report.received, 1428);
    assert_eq!(report.withdrawn, 1);
    let gone = stores
        .catalog
        .dataset_by_identifier("00405ad6-f02a-4bf5-85ac-dca2fdac822e")
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(gone.status, DatasetStatus::Withdrawn { .. }));
    let op = operator();
    assert_eq!(
        p.catalog()
            .search(&op, &query("登革熱確診"))
            .await
            .unwrap()
            .total,
        0
    );
    let mut with = query("登革熱確診");
    with.include_withdrawn = true;
    assert_eq!(
        p.catalog().search(&op, &with).await.unwrap().total,
        1,
        "still there when asked for"
    );
    assert_eq!(stores.catalog.count_datasets().await.unwrap(), 1428);
    let (_, back) = import_list(&p, &bytes).await;
    assert_eq!(back.updated, 1, "it is back");
    assert_eq!(stores.catalog.count_datasets().await.unwrap(), 1429);
}

pub async fn freshness_as_of_the_inventory_date_matches_the_engine(stores: &Stores) {
    let (p, clock) = platform(stores).await;
    import_list(&p, &std::fs::read(SUPPLY_LIST).unwrap()).await;
    clock.set(as_of());
    p.catalog().recompute_freshness(as_of()).await.unwrap();
    let all = p
        .catalog()
        .search(&operator(), &SearchQuery::default())
        .await
        .unwrap();
    let states = &all
        .facets
        .iter()
        .find(|(f, _)| *f == Facet::Freshness)
        .unwrap()
        .1;
    let count = |s: FreshnessState| {
        states
            .iter()
            .find(|c| c.value == s.code())
            .map(|c| c.count)
            .unwrap_or(0)
    };
    // The engine alone gives 1,051 fresh, 15 due soon, 16 overdue, 149 delinquent and 198 review
    // due (the core's own test); judging yearly runs (104年…, 105年…) as series retires their 63
    // past years from the count and judges the latest year by whether the next one appeared.
    assert_eq!(count(FreshnessState::Fresh), 1013);
    assert_eq!(count(FreshnessState::DueSoon), 15);
    assert_eq!(count(FreshnessState::Overdue), 17);
    assert_eq!(count(FreshnessState::Delinquent), 141);
    assert_eq!(count(FreshnessState::ReviewDue), 180);
    assert_eq!(count(FreshnessState::NotApplicable), 63);
    assert_eq!(states.iter().map(|c| c.count).sum::<u64>(), 1429);
    // A steward's "reviewed, nothing new" moves an irregular dataset back to fresh.
    let mut due = SearchQuery::default();
    due.filters.push((Facet::Freshness, "review_due".into()));
    let first = p.catalog().search(&operator(), &due).await.unwrap().hits[0].id;
    let reviewed = p
        .catalog()
        .mark_reviewed(&operator(), first, "checked with the agency")
        .await
        .unwrap();
    assert_eq!(reviewed.freshness.unwrap().state, FreshnessState::Fresh);
    assert_eq!(
        p.catalog().search(&operator(), &due).await.unwrap().total,
        179
    );
}

pub async fn the_daily_history_counts_each_active_dataset_once_by_state(stores: &Stores) {
    let (p, clock) = platform(stores).await;
    import_list(&p, &std::fs::read(SUPPLY_LIST).unwrap()).await;
    let day = |h: &[civitas_core::ports::FreshnessHistoryRow], d: &str, state: &str| -> u64 {
        h.iter()
            .filter(|r| r.day == d && (state.is_empty() || r.state == state))
            .map(|r| r.count)
            .sum()
    };
    clock.set(as_of());
    p.catalog().recompute_freshness(as_of()).await.unwrap();
    // Again within the same day: the day's point is replaced, not added to.
    p.catalog().recompute_freshness(as_of()).await.unwrap();
    let h = stores
        .catalog
        .freshness_history("2018-01-01")
        .await
        .unwrap();
    assert_eq!(day(&h, "2018-03-20", ""), 1429);
    assert_eq!(day(&h, "2018-03-20", "fresh"), 1013);
    assert_eq!(day(&h, "2018-03-20", "delinquent"), 141);
    assert!(
        h.iter()
            .all(|r| !r.frequency_class.is_empty() && !r.agency.is_empty()),
        "every count names its agency and frequency class"
    );
    // Forty days on, a second point; datasets withdrawn since are no longer counted.
    let list = String::from_utf8(std::fs::read(SUPPLY_LIST).unwrap()).unwrap();
    let starts: Vec<usize> = list
        .match_indices('\n')
        .map(|(i, _)| i + 1)
        .filter(|i| {
            let rest = &list[*i..];
            let digits = rest.chars().take_while(char::is_ascii_digit).count();
            digits > 0 && rest[digits..].starts_with(',')
        })
        .collect();
    let later = as_of().add(time::Duration::days(40));
    clock.set(later);
    let (_, report) = import_list(&p, &list.as_bytes()[..starts[starts.len() - 10]]).await;
    assert_eq!(report.withdrawn, 10);
    p.catalog().recompute_freshness(later).await.unwrap();
    let h = stores
        .catalog
        .freshness_history("2018-01-01")
        .await
        .unwrap();
    assert_eq!(
        day(&h, "2018-03-20", ""),
        1429,
        "past points stay as they were"
    );
    assert_eq!(day(&h, "2018-04-29", ""), 1419);
    assert!(
        day(&h, "2018-04-29", "fresh") < 1013,
        "forty days later fewer datasets are fresh"
    );
}

pub async fn a_stewards_edit_is_a_new_version_and_does_not_reset_the_clock(stores: &Stores) {
    let (p, _) = platform(stores).await;
    import_list(&p, &std::fs::read(SUPPLY_LIST).unwrap()).await;
    let d = stores
        .catalog
        .dataset_by_identifier("00405ad6-f02a-4bf5-85ac-dca2fdac822e")
        .await
        .unwrap()
        .unwrap();
    let mut record = d.record.clone();
    record.title_en = Some("Confirmed dengue cases in Taoyuan".into());
    let after = p.catalog().update(&operator(), d.id, record).await.unwrap();
    assert_eq!(after.version, 2);
    assert_eq!(
        after.data_updated_at, d.data_updated_at,
        "a metadata edit is not a data update"
    );
    let versions = p.catalog().versions(&operator(), d.id).await.unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(
        versions[0].changes["title_en"],
        serde_json::json!([null, "Confirmed dengue cases in Taoyuan"])
    );
    assert_eq!(
        p.catalog()
            .search(&operator(), &query("dengue"))
            .await
            .unwrap()
            .total,
        1,
        "English titles are searchable"
    );
}
