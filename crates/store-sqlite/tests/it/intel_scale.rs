//! The indicator index at the size the regional exchange may send: indicators stored, then
//! loaded from their pattern tests into the in-memory index (what happens after every intel
//! change). 20,000 by default to keep the suite quick; `CIVITAS_INTEL_INDICATORS=100000` for
//! the full measurement (debug build: import 46 s, rebuild 2.4 s).

use std::sync::Arc;
use std::time::Instant;

use civitas_core::authz::Principal;
use civitas_core::clock::ManualClock;
use civitas_core::time::Timestamp;
use civitas_core::{Caller, Platform, SecurityPolicy};
use serde_json::json;

#[tokio::test]
async fn stored_indicators_load_into_the_index_quickly() {
    let count: u32 = std::env::var("CIVITAS_INTEL_INDICATORS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let (stores, _guard) = crate::fresh().await;
    let clock = Arc::new(ManualClock::new(
        Timestamp::parse_rfc3339("2026-01-01T00:00:00Z").unwrap(),
    ));
    let p = Platform::new(stores, clock, SecurityPolicy::default());
    let objects: Vec<_> = (0..count)
        .map(|n| {
            let pattern = match n % 4 {
                0 => format!(
                    "[ipv4-addr:value = '10.{}.{}.{}']",
                    n >> 16 & 255,
                    n >> 8 & 255,
                    n & 255
                ),
                1 => format!(
                    "[ipv4-addr:value ISSUBSET '172.{}.{}.0/24']",
                    16 + (n >> 16 & 15),
                    n >> 8 & 255
                ),
                2 => format!("[domain-name:value = 'bad{n}.example']"),
                _ => format!("[file:hashes.'SHA-256' = '{n:064x}']"),
            };
            json!({
                "type": "indicator", "spec_version": "2.1",
                "id": format!("indicator--{n:08x}-0000-4000-8000-000000000000"),
                "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
                "pattern": pattern, "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"
            })
        })
        .collect();
    let bundle = json!({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000000", "objects": objects});
    let caller = Caller::new(Principal::operator("test"), None);
    let started = Instant::now();
    let done = p
        .intel()
        .import_bundle(&caller, bundle.to_string().as_bytes(), "scale.json")
        .await
        .unwrap();
    let imported = started.elapsed();
    assert_eq!(done.report.created, u64::from(count));
    // A fresh platform over the same store holds no index yet: this is the rebuild.
    let fresh = Platform::new(p.stores.clone(), p.clock.clone(), SecurityPolicy::default());
    let started = Instant::now();
    let active = fresh.intel().active().await.unwrap();
    let rebuilt = started.elapsed();
    assert_eq!(active.len(), u64::from(count));
    println!(
        "{count} indicators: import {imported:?}, index rebuilt from the store in {rebuilt:?}"
    );
    // Debug builds are several times slower than release; the bound is for them.
    assert!(rebuilt.as_secs_f64() < 5.0, "{rebuilt:?}");
    // The index is kept: a second call only reads the generation.
    let started = Instant::now();
    let again = fresh.intel().active().await.unwrap();
    assert!(Arc::ptr_eq(&active, &again));
    println!("a look-up of the cached index: {:?}", started.elapsed());
}
