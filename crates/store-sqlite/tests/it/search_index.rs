//! The in-memory search index answers exactly as FTS5 in SQLite does — the same datasets in the
//! same order, the same totals and facet counts — and follows every change, including changes
//! written by another process.

use civitas_core::Platform;
use civitas_core::catalog::{Facet, SearchQuery, SearchResult, SortOrder};
use civitas_core::page::PageRequest;
use civitas_core::ports::Stores;
use civitas_store_conformance::{SUPPLY_LIST, as_of, import_list, platform};
use civitas_store_sqlite::{DB_FILE, OpenOptions, SqliteStore};

fn queries() -> Vec<SearchQuery> {
    let words = |text: &str| SearchQuery {
        text: Some(text.into()),
        ..SearchQuery::default()
    };
    let mut out: Vec<SearchQuery> = [
        "停車",
        "公車",
        "桃園",
        "臺灣",
        "台灣",
        "停車場",
        "身心障礙",
        "停",
        "資料 統計",
        "parking",
        "Taoyuan",
        "airport",
        "統計年報",
        "沒有這種資料集",
    ]
    .iter()
    .map(|w| words(w))
    .collect();
    out.push(SearchQuery {
        fields_only: true,
        ..words("地址")
    });
    out.push(SearchQuery {
        filters: vec![
            (Facet::Format, "CSV".into()),
            (Facet::Format, "JSON".into()),
        ],
        ..words("統計")
    });
    out.push(SearchQuery {
        filters: vec![
            (Facet::Frequency, "monthly".into()),
            (Facet::Access, "open".into()),
        ],
        ..SearchQuery::default()
    });
    for sort in [
        SortOrder::Title,
        SortOrder::DueDate,
        SortOrder::RecentlyUpdated,
    ] {
        out.push(SearchQuery {
            sort,
            page: PageRequest::new(Some(3), Some(20)),
            ..SearchQuery::default()
        });
        out.push(SearchQuery {
            sort,
            ..words("資料")
        });
    }
    out.push(SearchQuery {
        page: PageRequest::new(Some(2), Some(50)),
        ..words("桃園")
    });
    out.push(SearchQuery {
        include_withdrawn: true,
        ..words("停車")
    });
    out.push(SearchQuery {
        include_withdrawn: true,
        ..SearchQuery::default()
    });
    out
}

fn ids(r: &SearchResult) -> Vec<i64> {
    r.hits.iter().map(|h| h.id).collect()
}

async fn same_answers(indexed: &Stores, sql: &Stores, when: &str) {
    for q in queries() {
        let a = indexed.catalog.search(&q).await.unwrap();
        let b = sql.catalog.search(&q).await.unwrap();
        let what = format!("{when}: {:?} {:?} {:?}", q.text, q.filters, q.sort);
        assert_eq!(a.total, b.total, "{what}: totals");
        assert_eq!(ids(&a), ids(&b), "{what}: the page");
        assert_eq!(a.facets, b.facets, "{what}: facet counts");
        assert_eq!(a.hits, b.hits, "{what}: the rows");
    }
}

/// One database, opened twice as two processes would: with the index and without.
async fn two_views() -> (tempfile::TempDir, Stores, Stores, Platform) {
    let dir = tempfile::tempdir().unwrap();
    let indexed = SqliteStore::open_in(dir.path(), OpenOptions::default()).unwrap();
    let sql = SqliteStore::open(
        &dir.path().join(DB_FILE),
        OpenOptions {
            search_in_memory: false,
            ..OpenOptions::default()
        },
    )
    .unwrap();
    // The other process writes; the indexed one must notice.
    let (writer, _clock) = platform(&sql.stores()).await;
    (dir, indexed.stores(), sql.stores(), writer)
}

#[tokio::test]
async fn the_index_in_memory_answers_as_sqlite_does_and_follows_every_change() {
    let (_dir, indexed, sql, writer) = two_views().await;
    let list = std::fs::read(SUPPLY_LIST).unwrap();
    same_answers(&indexed, &sql, "empty catalogue").await;

    import_list(&writer, &list).await;
    same_answers(&indexed, &sql, "after the supply list").await;

    // Small changes are applied to the copy one dataset at a time: one renamed, the last three
    // records gone from the listing (withdrawn).
    let text = String::from_utf8(list.clone()).unwrap();
    let renamed = text.replacen(
        "航空城都市計畫土地使用計畫面積表",
        "航空城停車場用地面積表",
        1,
    );
    assert_ne!(renamed, text);
    let starts: Vec<usize> = renamed
        .match_indices('\n')
        .map(|(i, _)| i + 1)
        .filter(|i| {
            let rest = &renamed[*i..];
            let digits = rest.chars().take_while(char::is_ascii_digit).count();
            digits > 0 && rest[digits..].starts_with(',')
        })
        .collect();
    let cut = starts[starts.len() - 3];
    import_list(&writer, &renamed.as_bytes()[..cut]).await;
    same_answers(&indexed, &sql, "one renamed, three withdrawn").await;
    let renamed_hit = SearchQuery {
        text: Some("停車場用地".into()),
        ..SearchQuery::default()
    };
    let found = indexed.catalog.search(&renamed_hit).await.unwrap();
    assert!(
        found
            .hits
            .iter()
            .any(|h| h.title_zh == "航空城停車場用地面積表"),
        "the renamed dataset is found by its new name"
    );
    import_list(&writer, &list).await;
    same_answers(&indexed, &sql, "the list again").await;
    let parking = SearchQuery {
        text: Some("停車".into()),
        ..SearchQuery::default()
    };
    let before = indexed.catalog.search(&parking).await.unwrap();
    assert!(before.total > 5, "the real list has parking datasets");

    // States move: freshness facets and due dates change in place.
    writer
        .catalog()
        .recompute_freshness(as_of().add(time::Duration::days(400)))
        .await
        .unwrap();
    same_answers(&indexed, &sql, "a year later").await;

    // Texts change (a new slot), and a shorter complete listing withdraws the rest.
    let text = String::from_utf8(list.clone()).unwrap();
    let renamed = text.replace("停車", "泊車");
    let lines: Vec<&str> = renamed.lines().collect();
    let shorter = lines[..lines.len() / 2].join("\n");
    import_list(&writer, shorter.as_bytes()).await;
    same_answers(&indexed, &sql, "renamed and half withdrawn").await;
    let after = indexed.catalog.search(&parking).await.unwrap();
    assert!(
        after.total < before.total,
        "renamed datasets no longer match 停車 ({} then {})",
        before.total,
        after.total
    );

    // And back again: the withdrawn return, the old names come back.
    import_list(&writer, &list).await;
    same_answers(&indexed, &sql, "restored").await;
    assert_eq!(
        indexed.catalog.search(&parking).await.unwrap().total,
        before.total
    );
}
