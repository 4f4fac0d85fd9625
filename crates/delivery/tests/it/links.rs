//! Link checks against a tiny web server: the first look takes the server's Last-Modified as
//! the data's update, a conditional request that gets 304 changes nothing, new content is a
//! data update recorded with its evidence, and an address that fails twice in a row makes the
//! dataset "unreachable" until it answers again.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use civitas_core::authz::Principal;
use civitas_core::catalog::links::check_links;
use civitas_core::catalog::{
    AccessLevel, DatasetKind, DatasetRecord, Distribution, DistributionKind,
};
use civitas_core::freshness::FreshnessState;
use civitas_core::notify::NotifyPolicy;
use civitas_core::{Caller, agencies::AgencyCode};
use civitas_delivery::{HttpProbe, http_date};

use crate::world::{World, taipei};

#[derive(Clone, Default)]
struct Site {
    body: Arc<Mutex<String>>,
    gone: Arc<Mutex<bool>>,
    conditional_hits: Arc<AtomicU32>,
}

const LAST_MODIFIED: &str = "Thu, 15 Feb 2024 01:00:00 GMT";

async fn serve(site: Site) -> String {
    let s1 = site.clone();
    let app = Router::new().route(
        "/parking.csv",
        get(move |headers: HeaderMap| {
            let site = s1.clone();
            async move {
                if *site.gone.lock().unwrap() {
                    return StatusCode::NOT_FOUND.into_response();
                }
                let body = site.body.lock().unwrap().clone();
                let etag = format!("\"{}\"", body.len());
                if headers
                    .get(header::IF_NONE_MATCH)
                    .and_then(|v| v.to_str().ok())
                    == Some(&etag)
                {
                    site.conditional_hits.fetch_add(1, Ordering::SeqCst);
                    return StatusCode::NOT_MODIFIED.into_response();
                }
                (
                    [
                        (header::ETAG, etag),
                        (header::LAST_MODIFIED, LAST_MODIFIED.to_string()),
                    ],
                    body,
                )
                    .into_response()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

fn record(url: &str) -> DatasetRecord {
    DatasetRecord {
        identifier: "TY-PARKING-LIVE".into(),
        title_zh: "桃園市路外停車場剩餘車位".into(),
        title_en: None,
        description_zh: "路外停車場剩餘車位數".into(),
        description_en: None,
        agency: AgencyCode::parse("380290000H").unwrap(),
        category: None,
        category_code: None,
        keywords: vec![],
        kind: DatasetKind::RawData,
        frequency: "每月".into(),
        license: None,
        license_url: None,
        cost: None,
        cost_url: None,
        cost_law: None,
        access_level: AccessLevel::Open,
        contact_name: None,
        contact_email: None,
        contact_phone: None,
        temporal_from: None,
        temporal_to: None,
        spatial: None,
        language: None,
        landing_page: None,
        record_count: None,
        notes: None,
        fields: vec![],
        distributions: vec![Distribution {
            title: None,
            kind: DistributionKind::Download,
            format: Some("CSV".into()),
            encoding: None,
            access_url: None,
            download_url: Some(url.to_string()),
            media_type: None,
            byte_size: None,
            checksum_sha256: None,
            modified: None,
        }],
        issued: None,
        source_modified: None,
    }
}

#[tokio::test]
async fn link_checks_find_real_updates_and_dead_addresses() {
    let w = World::new(NotifyPolicy::default()).await;
    let op = Caller::new(Principal::operator("test"), None);
    let site = Site::default();
    *site.body.lock().unwrap() = "park,free\nA,10\n".into();
    let base = serve(site.clone()).await;
    let d = w
        .platform
        .catalog()
        .create(&op, record(&format!("{base}/parking.csv")))
        .await
        .unwrap();
    assert_eq!(d.data_updated_at, None);
    let probe = HttpProbe::new(Duration::from_secs(5), 1024 * 1024).unwrap();

    // First look: the server's Last-Modified is the data's update.
    let run = check_links(&w.platform, &op, &probe, Some(d.id))
        .await
        .unwrap();
    assert_eq!((run.checked, run.changed, run.failed), (1, 1, 0), "{run:?}");
    let d1 = w.platform.catalog().get(&op, d.id).await.unwrap();
    assert_eq!(d1.data_updated_at, http_date(LAST_MODIFIED));
    assert_eq!(d1.data_updated_at, Some(taipei("2024-02-15T09:00:00")));

    // Nothing new: the conditional request is answered 304 and nothing moves.
    w.clock.advance(time::Duration::days(1));
    let run = check_links(&w.platform, &op, &probe, Some(d.id))
        .await
        .unwrap();
    assert_eq!((run.not_modified, run.changed), (1, 0));
    assert_eq!(site.conditional_hits.load(Ordering::SeqCst), 1);

    // New content: a data update at the moment it was seen, with its evidence in the trail.
    *site.body.lock().unwrap() = "park,free\nA,10\nB,4\n".into();
    w.clock.advance(time::Duration::days(1));
    let seen = w.platform.now();
    let run = check_links(&w.platform, &op, &probe, Some(d.id))
        .await
        .unwrap();
    assert_eq!(run.changed, 1);
    // The server kept its old Last-Modified: the moment the change was seen counts.
    let d2 = w.platform.catalog().get(&op, d.id).await.unwrap();
    assert_eq!(d2.data_updated_at, Some(seen));
    let trail = w
        .platform
        .stores
        .audit
        .entries_after(0, 10_000)
        .await
        .unwrap();
    assert!(
        trail.iter().any(
            |e| e.action == "dataset.data_changed" && e.summary.to_string().contains("SHA-256")
        ),
        "the checksum change is the recorded evidence"
    );

    // Gone: one failure is a blip, two in a row make the dataset unreachable.
    *site.gone.lock().unwrap() = true;
    let run = check_links(&w.platform, &op, &probe, Some(d.id))
        .await
        .unwrap();
    assert_eq!((run.failed, run.unreachable), (1, 0));
    let d3 = w.platform.catalog().get(&op, d.id).await.unwrap();
    assert_ne!(d3.freshness.unwrap().state, FreshnessState::Unreachable);
    let run = check_links(&w.platform, &op, &probe, Some(d.id))
        .await
        .unwrap();
    assert_eq!(run.unreachable, 1);
    let d4 = w.platform.catalog().get(&op, d.id).await.unwrap();
    let fresh = d4.freshness.unwrap();
    assert_eq!(fresh.state, FreshnessState::Unreachable);
    let states = w
        .platform
        .stores
        .catalog
        .link_states(Some(d.id))
        .await
        .unwrap();
    assert_eq!(states[0].http_status, Some(404));
    assert!(states[0].reason.as_ref().unwrap().zh.contains("HTTP 404"));

    // Back again: reachable, judged by its schedule once more.
    *site.gone.lock().unwrap() = false;
    check_links(&w.platform, &op, &probe, Some(d.id))
        .await
        .unwrap();
    let d5 = w.platform.catalog().get(&op, d.id).await.unwrap();
    assert_eq!(d5.freshness.unwrap().state, FreshnessState::Fresh);
}
