//! Harvest stories against a portal run inside the test: a CKAN Action API serving data.gov.uk's
//! real `package_search` answer page by page (and stalling or failing on page 2 when told),
//! a DCAT catalogue (the DCAT-AP 3 bee population example) and a response too big to take.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU8, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use civitas_core::catalog::harvest::{HarvestOutcome, HarvestSource, PageProgress};
use civitas_core::notify::NotifyPolicy;
use civitas_core::{Caller, authz::Principal};
use civitas_delivery::{FetchSettings, HttpFetcher};
use serde_json::Value;

use crate::world::World;

const FINE: u8 = 0;
const STALL_PAGE_2: u8 = 1;
const FAIL_PAGE_2: u8 = 2;

#[derive(Clone)]
struct Portal {
    packages: Arc<Mutex<Vec<Value>>>,
    mode: Arc<AtomicU8>,
    page_2_calls: Arc<AtomicU32>,
    user_agents: Arc<Mutex<Vec<String>>>,
}

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

async fn package_search(
    State(p): State<Portal>,
    Query(q): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> axum::response::Response {
    if let Some(ua) = headers.get(header::USER_AGENT) {
        p.user_agents
            .lock()
            .unwrap()
            .push(ua.to_str().unwrap().into());
    }
    let rows: usize = q.get("rows").and_then(|r| r.parse().ok()).unwrap_or(10);
    let start: usize = q.get("start").and_then(|r| r.parse().ok()).unwrap_or(0);
    if start > 0 && start <= rows {
        p.page_2_calls.fetch_add(1, Ordering::SeqCst);
        match p.mode.load(Ordering::SeqCst) {
            STALL_PAGE_2 => tokio::time::sleep(Duration::from_secs(30)).await,
            FAIL_PAGE_2 => {
                return (StatusCode::SERVICE_UNAVAILABLE, "busy").into_response();
            }
            _ => {}
        }
    }
    let all = p.packages.lock().unwrap().clone();
    let page: Vec<Value> = all.iter().skip(start).take(rows).cloned().collect();
    let body = serde_json::json!({
        "help": "https://data.gov.uk/api/3/action/help_show?name=package_search",
        "success": true,
        "result": {"count": all.len(), "results": page, "sort": "id asc", "facets": {}, "search_facets": {}},
    });
    axum::Json(body).into_response()
}

async fn dcat() -> axum::response::Response {
    (
        [(header::CONTENT_TYPE, "application/ld+json")],
        fixture("dcat-examples/example-bee-population.jsonld"),
    )
        .into_response()
}

async fn datagovtw() -> axum::response::Response {
    fixture("catalog/datagovtw_2017_iot_metadata.nocontact.jsonl").into_response()
}

async fn huge() -> axum::response::Response {
    vec![b' '; 5 * 1024 * 1024].into_response()
}

/// The portal's base URL and its controls.
async fn start_portal() -> (String, Portal) {
    let doc: Value = serde_json::from_slice(&fixture("ckan/package_search.json")).unwrap();
    let portal = Portal {
        packages: Arc::new(Mutex::new(
            doc["result"]["results"].as_array().unwrap().clone(),
        )),
        mode: Arc::new(AtomicU8::new(FINE)),
        page_2_calls: Arc::new(AtomicU32::new(0)),
        user_agents: Arc::new(Mutex::new(Vec::new())),
    };
    let app = Router::new()
        .route("/api/3/action/package_search", get(package_search))
        .route("/catalog.jsonld", get(dcat))
        .route("/huge", get(huge))
        .route("/datagovtw.jsonl", get(datagovtw))
        .with_state(portal.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, portal)
}

fn fetcher() -> HttpFetcher {
    HttpFetcher::new(FetchSettings {
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_secs(1),
        max_bytes: 4 * 1024 * 1024,
        retries: 2,
        backoff: Duration::from_millis(10),
    })
    .unwrap()
}

/// data.gov.uk's organisations mapped onto two Taoyuan bureaux; Colchester is left out.
fn source(url: &str, rows: u64) -> HarvestSource {
    let mut s = HarvestSource::new("datagovuk", "ckan", url, "1d", rows).unwrap();
    s.aliases = BTreeMap::from([
        ("eidc".to_string(), "380330000E".to_string()),
        (
            "Centre for Environment, Fisheries & Aquaculture Science".to_string(),
            "380290000H".to_string(),
        ),
    ]);
    s
}

async fn harvest(w: &World, source: &HarvestSource) -> (HarvestOutcome, Vec<PageProgress>) {
    let seen = Mutex::new(Vec::new());
    let outcome = w
        .platform
        .catalog()
        .harvest(
            &Caller::new(Principal::operator("test"), None),
            source,
            &fetcher(),
            &|p| seen.lock().unwrap().push(p),
        )
        .await
        .unwrap();
    (outcome, seen.into_inner().unwrap())
}

async fn held(w: &World) -> (usize, usize) {
    let all = w
        .platform
        .stores
        .catalog
        .datasets_from("datagovuk")
        .await
        .unwrap();
    let active = all
        .iter()
        .filter(|d| matches!(d.status, civitas_core::catalog::DatasetStatus::Active))
        .count();
    (all.len(), active)
}

#[tokio::test]
async fn a_ckan_portal_is_read_page_by_page_until_its_count_and_a_second_run_changes_nothing() {
    let w = World::new(NotifyPolicy::default()).await;
    let (url, portal) = start_portal().await;
    let (first, pages) = harvest(&w, &source(&url, 1)).await;
    assert!(first.complete, "{:?}", first.error);
    assert_eq!(first.error, None);
    assert_eq!(first.pages_read, 4);
    assert_eq!(
        pages.last().unwrap(),
        &PageProgress {
            pages_read: 4,
            pages_expected: Some(4),
            records_read: 4
        }
    );
    let r = &first.report;
    assert_eq!(
        (
            r.received,
            r.created,
            r.updated,
            r.unchanged,
            r.rejected.len()
        ),
        (4, 3, 0, 0, 1)
    );
    assert!(r.reconciles());
    assert!(
        r.rejected[0]
            .reason
            .en
            .contains("Colchester Borough Council"),
        "{:?}",
        r.rejected[0]
    );
    assert_eq!(
        r.rejected[0].line, 2,
        "the record's place in the whole result"
    );
    assert!(
        portal.user_agents.lock().unwrap()[0].starts_with("civitas/"),
        "the portal sees who is asking"
    );

    let (second, _) = harvest(&w, &source(&url, 1)).await;
    let r = &second.report;
    assert_eq!(
        (r.created, r.updated, r.unchanged, r.withdrawn),
        (0, 0, 3, 0)
    );

    // The portal drops a dataset: a complete listing marks it withdrawn, never deletes it.
    portal.packages.lock().unwrap().remove(0);
    let (third, _) = harvest(&w, &source(&url, 2)).await;
    assert!(third.complete);
    assert_eq!((third.report.unchanged, third.report.withdrawn), (2, 1));
    assert_eq!(held(&w).await, (3, 2));
}

#[tokio::test]
async fn a_ckan_source_that_stalls_on_page_2_keeps_what_was_read_withdraws_nothing_and_the_next_run_completes()
 {
    let w = World::new(NotifyPolicy::default()).await;
    let (url, portal) = start_portal().await;
    let (full, _) = harvest(&w, &source(&url, 2)).await;
    assert!(full.complete);
    assert_eq!(held(&w).await, (3, 3));

    portal.mode.store(STALL_PAGE_2, Ordering::SeqCst);
    let (cut, _) = harvest(&w, &source(&url, 2)).await;
    assert!(!cut.complete);
    let why = cut.error.clone().unwrap();
    assert!(why.en.contains("page 2 (start=2)"), "{}", why.en);
    assert!(why.en.contains("timed out"), "{}", why.en);
    assert!(why.en.contains("after 3 tries"), "{}", why.en);
    assert!(why.zh.contains("第 2 頁"), "{}", why.zh);
    assert_eq!(
        portal.page_2_calls.load(Ordering::SeqCst),
        1 + 3,
        "once in the full run, then three tries"
    );
    let r = &cut.report;
    assert_eq!(r.received, 2, "page 1 was read and stored");
    assert_eq!((r.unchanged, r.rejected.len(), r.withdrawn), (1, 1, 0));
    assert_eq!(
        held(&w).await,
        (3, 3),
        "nothing withdrawn by half a listing"
    );

    portal.mode.store(FINE, Ordering::SeqCst);
    let (again, _) = harvest(&w, &source(&url, 2)).await;
    assert!(again.complete);
    let r = &again.report;
    assert_eq!(
        (r.received, r.created, r.unchanged, r.withdrawn),
        (4, 0, 3, 0)
    );
    assert_eq!(held(&w).await, (3, 3), "no duplicates, no losses");
}

#[tokio::test]
async fn a_first_harvest_cut_short_stores_page_1_and_the_rerun_adds_the_rest_once() {
    let w = World::new(NotifyPolicy::default()).await;
    let (url, portal) = start_portal().await;
    portal.mode.store(FAIL_PAGE_2, Ordering::SeqCst);
    let (cut, _) = harvest(&w, &source(&url, 2)).await;
    let why = cut.error.clone().unwrap();
    assert!(why.en.contains("HTTP 503"), "{}", why.en);
    assert!(why.en.contains("after 3 tries"), "{}", why.en);
    assert_eq!((cut.report.created, cut.report.rejected.len()), (1, 1));
    assert_eq!(held(&w).await, (1, 1));

    portal.mode.store(FINE, Ordering::SeqCst);
    let (done, _) = harvest(&w, &source(&url, 2)).await;
    assert!(done.complete);
    assert_eq!((done.report.created, done.report.unchanged), (2, 1));
    assert_eq!(held(&w).await, (3, 3));
}

#[tokio::test]
async fn a_dcat_catalogue_is_harvested_by_url_and_a_huge_answer_is_refused_with_the_limit() {
    let w = World::new(NotifyPolicy::default()).await;
    let (url, _) = start_portal().await;
    let mut dcat =
        HarvestSource::new("greece", "dcat", &format!("{url}/catalog.jsonld"), "", 0).unwrap();
    dcat.aliases = BTreeMap::from([(
        "https://agencies.gov.gr/id/GreekEnvironmentAgency".to_string(),
        "380330000E".to_string(),
    )]);
    let (out, _) = harvest(&w, &dcat).await;
    assert!(out.complete, "{:?}", out.error);
    assert_eq!((out.report.received, out.report.created), (1, 1));
    assert_eq!(out.report.format, "dcat-jsonld");

    let big = HarvestSource::new("big", "dcat", &format!("{url}/huge"), "", 0).unwrap();
    let (refused, _) = harvest(&w, &big).await;
    let why = refused.error.unwrap();
    assert!(
        why.en.contains("over the limit of 4194304 bytes"),
        "{}",
        why.en
    );
    assert!(
        !why.en.contains("tries"),
        "a refusal is not retried: {}",
        why.en
    );
    // Stored like an unreadable file: one record rejected with the reason, line 0.
    assert_eq!(
        (refused.report.received, refused.report.rejected.len()),
        (1, 1)
    );
    assert_eq!(refused.report.rejected[0].reason, why);
    assert_eq!(refused.pages_read, 0);
}

#[tokio::test]
async fn a_scheduled_source_records_each_run_falls_due_after_its_interval_and_runs_at_once_when_asked()
 {
    use civitas_core::catalog::schedule::RunTrigger;
    let w = World::new(NotifyPolicy::default()).await;
    let (url, portal) = start_portal().await;
    let op = Caller::new(Principal::operator("test"), None);
    let uk = source(&url, 2);
    let harvests = w.platform.harvests();
    harvests
        .sync_sources(std::slice::from_ref(&uk))
        .await
        .unwrap();
    assert_eq!(
        harvests.due().await.unwrap(),
        vec![("datagovuk".to_string(), RunTrigger::Schedule)],
        "a source that never ran is due"
    );

    portal.mode.store(FAIL_PAGE_2, Ordering::SeqCst);
    let (run, _) = harvests
        .run(&op, &uk, RunTrigger::Schedule, &fetcher(), &|_| {})
        .await
        .unwrap();
    assert!(!run.complete);
    assert_eq!((run.received, run.created, run.rejected), (2, 1, 1));
    assert!(run.error.as_ref().unwrap().en.contains("HTTP 503"));
    assert!(harvests.due().await.unwrap().is_empty());

    let listed = harvests.sources(&op).await.unwrap();
    assert_eq!(listed.len(), 1);
    let last = listed[0].last_run.clone().unwrap();
    assert_eq!(last, run, "the stored run is the run");
    assert_eq!(
        listed[0].next_run,
        Some(run.started_at.add(time::Duration::days(1)))
    );

    // Someone presses "run now": audited, and due at once as a request.
    harvests.request_run(&op, "datagovuk").await.unwrap();
    assert_eq!(
        harvests.due().await.unwrap(),
        vec![("datagovuk".to_string(), RunTrigger::Request)]
    );
    let audit = w
        .platform
        .stores
        .audit
        .entries_after(0, 10_000)
        .await
        .unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "harvest.request" && e.object_id == "datagovuk")
    );
    assert!(
        harvests.request_run(&op, "nowhere").await.is_err(),
        "an unknown source cannot be asked for"
    );

    portal.mode.store(FINE, Ordering::SeqCst);
    let (done, _) = harvests
        .run(&op, &uk, RunTrigger::Request, &fetcher(), &|_| {})
        .await
        .unwrap();
    assert!(done.complete);
    assert_eq!((done.created, done.unchanged), (2, 1));
    assert!(
        harvests.due().await.unwrap().is_empty(),
        "the request is consumed"
    );
    w.clock.advance(time::Duration::days(1));
    assert_eq!(
        harvests.due().await.unwrap().len(),
        1,
        "due again a day later"
    );
    let runs = harvests.runs(&op, "datagovuk", 10).await.unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0].trigger, RunTrigger::Request);
}

#[tokio::test]
async fn a_data_gov_tw_scrape_by_url_is_read_whole_but_withdraws_nothing_and_names_every_unknown_agency()
 {
    let w = World::new(NotifyPolicy::default()).await;
    let (url, _) = start_portal().await;
    let mut tw = HarvestSource::new(
        "datagovtw",
        "datagovtw",
        &format!("{url}/datagovtw.jsonl"),
        "1d",
        0,
    )
    .unwrap();
    tw.aliases = BTreeMap::from([("桃園市政府交通局".to_string(), "380290000H".to_string())]);
    let (out, _) = harvest(&w, &tw).await;
    let r = &out.report;
    assert_eq!(r.format, "datagovtw-jsonl");
    assert_eq!(out.error, None);
    assert!(!out.complete, "a scrape is not a complete listing");
    assert_eq!(r.received, 936);
    assert!(r.reconciles());
    assert_eq!(r.withdrawn, 0);
    assert!(
        r.rejected
            .iter()
            .all(|x| x.reason.zh.contains("提供機關") || x.reason.zh.contains("已在第")),
        "every rejection names its agency or its earlier line"
    );
}
