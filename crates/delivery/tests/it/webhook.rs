//! Integrations hear about every transition through a signed webhook call.

use std::time::Duration;

use civitas_core::notify::{DeliveryStatus, NotifyPolicy};
use civitas_delivery::{Channels, WebhookSender, deliver_due};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::http_sink::HttpSink;
use crate::world::{World, taipei};

const SECRET: &str = "shared webhook secret";

fn policy(url: &str) -> NotifyPolicy {
    NotifyPolicy {
        webhook_url: Some(url.into()),
        public_base: "https://civitas.tycg.gov.tw/".into(),
        ..NotifyPolicy::default()
    }
}

fn channels() -> Channels {
    Channels {
        email: None,
        webhook: Some(WebhookSender::new(SECRET, Duration::from_secs(10)).unwrap()),
    }
}

#[tokio::test]
async fn the_webhook_receives_the_transition_signed_with_the_shared_secret() {
    let sink = HttpSink::start(204).await;
    let world = World::new(policy(&sink.url)).await;
    world.reassess_at(taipei("2024-02-27T10:00:00")).await;
    let report = deliver_due(&world.platform, &channels(), 50).await.unwrap();
    assert_eq!(
        report.sent, 1,
        "one call per transition, stewards or not: {report:?}"
    );
    let calls = sink.calls();
    assert_eq!(calls.len(), 1);
    let call = &calls[0];

    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(&call.body);
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(call.headers["x-civitas-signature"], expected.as_str());
    assert_eq!(call.headers["content-type"], "application/json");
    assert_eq!(call.headers["x-civitas-event"], "dataset.freshness");

    let body: serde_json::Value = serde_json::from_slice(&call.body).unwrap();
    assert_eq!(body["event"], "dataset.freshness");
    assert_eq!(body["dataset"]["id"], 1);
    assert_eq!(body["dataset"]["title_zh"], "桃園市公有停車場資訊");
    assert_eq!(body["dataset"]["agency"], "380290000H");
    assert!(
        body["dataset"]["identifier"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    assert_eq!(body["old_state"], "fresh");
    assert_eq!(body["new_state"], "due_soon");
    assert_eq!(body["due_at"], "2024-03-01T01:00:00Z");
    assert_eq!(
        body["link"],
        "https://civitas.tycg.gov.tw/catalog/datasets/1"
    );

    world.reassess_at(taipei("2024-02-27T11:00:00")).await;
    assert_eq!(
        deliver_due(&world.platform, &channels(), 50)
            .await
            .unwrap()
            .attempted(),
        0,
        "an hourly reassessment does not call again"
    );
}

#[tokio::test]
async fn a_failing_webhook_is_retried_after_1_5_and_30_minutes_then_marked_failed() {
    let sink = HttpSink::start(500).await;
    let world = World::new(policy(&sink.url)).await;
    let t0 = taipei("2024-02-27T10:00:00");
    world.reassess_at(t0).await;
    let channels = channels();
    let round = |at: &str| {
        let at = taipei(at);
        world.clock.set(at);
        deliver_due(&world.platform, &channels, 50)
    };
    assert_eq!(round("2024-02-27T10:00:00").await.unwrap().retrying, 1);
    assert_eq!(
        round("2024-02-27T10:00:30").await.unwrap().attempted(),
        0,
        "not yet"
    );
    assert_eq!(round("2024-02-27T10:01:00").await.unwrap().retrying, 1);
    assert_eq!(round("2024-02-27T10:05:59").await.unwrap().attempted(), 0);
    assert_eq!(round("2024-02-27T10:06:00").await.unwrap().retrying, 1);
    assert_eq!(round("2024-02-27T10:35:00").await.unwrap().attempted(), 0);
    let last = round("2024-02-27T10:36:00").await.unwrap();
    assert_eq!(last.failed, 1, "{last:?}");
    assert_eq!(
        round("2024-02-28T10:00:00").await.unwrap().attempted(),
        0,
        "given up"
    );

    assert_eq!(sink.calls().len(), 4);
    let ids: Vec<_> = sink
        .calls()
        .iter()
        .map(|c| c.headers["x-civitas-delivery"].clone())
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] == w[1]),
        "one delivery id across retries"
    );
    let d = &world
        .platform
        .stores
        .notifications
        .deliveries(None)
        .await
        .unwrap()[0];
    assert_eq!(d.status, DeliveryStatus::Failed);
    assert_eq!(d.attempts, 4);
    assert_eq!(
        d.last_error.as_deref(),
        Some("HTTP 500 Internal Server Error")
    );
}
