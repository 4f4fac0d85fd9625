//! The notification story every store must tell the same way: notices stored once per key,
//! read only by their owner, and an outbox whose deliveries are claimed, leased and retried.

use civitas_core::accounts::UserProfile;
use civitas_core::authz::{Grant, Role, Scope};
use civitas_core::catalog::FreshnessSnapshot;
use civitas_core::freshness::FreshnessState;
use civitas_core::notify::{
    Channel, DeliveryStatus, DeliveryUpdate, NewDelivery, NewNotice, NewNotification, NoticeBatch,
    NotificationFilter, NotificationKind, Queued,
};
use civitas_core::page::PageRequest;
use civitas_core::ports::Stores;
use civitas_core::text::Text;

use super::catalog::{import_list, platform};
use super::{add_user, at, code, event, seed_city};

fn notice(user_id: i64, key: &str, email: Option<&str>) -> NewNotice {
    NewNotice {
        notification: NewNotification {
            user_id,
            kind: NotificationKind::Freshness,
            dataset_id: None,
            key: key.into(),
            title: Text::new(format!("通知 {key}"), format!("Notice {key}")),
            body: Text::new("內文", "Body"),
            link: Some("/catalog/datasets/1".into()),
        },
        deliveries: email
            .map(|to| NewDelivery {
                channel: Channel::Email,
                target: to.into(),
                payload: "{}".into(),
                key: None,
            })
            .into_iter()
            .collect(),
    }
}

fn webhook(key: &str) -> NewDelivery {
    NewDelivery {
        channel: Channel::Webhook,
        target: "https://hooks.example/civitas".into(),
        payload: format!("{{\"key\":\"{key}\"}}"),
        key: Some(key.into()),
    }
}

fn inbox(user_id: i64, unread_only: bool) -> NotificationFilter {
    NotificationFilter {
        user_id,
        unread_only,
    }
}

pub async fn a_notice_is_stored_once_per_key_and_only_its_owner_reads_it(stores: &Stores) {
    seed_city(stores).await;
    let amy = add_user(stores, "amy", None, &[]).await;
    let bob = add_user(stores, "bob", None, &[]).await;
    let batch = NoticeBatch {
        notices: vec![
            notice(amy, "k1", Some("amy@example.gov.tw")),
            notice(amy, "k2", None),
        ],
        broadcasts: vec![webhook("w1")],
    };
    let n = &stores.notifications;
    let first = n.queue_notices(&batch, at(100)).await.unwrap();
    assert_eq!(
        first,
        Queued {
            notifications: 2,
            deliveries: 2
        }
    );
    let again = n.queue_notices(&batch, at(200)).await.unwrap();
    assert_eq!(
        again,
        Queued::default(),
        "the same keys are never stored twice"
    );

    let page = n
        .notifications(&inbox(amy, false), PageRequest::new(Some(1), Some(1)))
        .await
        .unwrap();
    assert_eq!(page.total, 2);
    assert_eq!(page.items.len(), 1);
    assert_eq!(
        page.items[0].key, "k2",
        "newest first (same instant: by id)"
    );
    assert_eq!(page.items[0].title.en, "Notice k2");
    assert_eq!(page.items[0].created_at, at(100));
    assert_eq!(n.unread_count(amy).await.unwrap(), 2);
    assert_eq!(n.unread_count(bob).await.unwrap(), 0);
    let none = n
        .notifications(&inbox(bob, false), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(none.total, 0);

    let k1 = n
        .notifications(&inbox(amy, false), PageRequest::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|x| x.key == "k1")
        .unwrap();
    assert!(
        n.mark_read(bob, k1.id, at(300)).await.unwrap().is_none(),
        "someone else's notice is not found"
    );
    assert_eq!(n.unread_count(amy).await.unwrap(), 2);
    let read = n.mark_read(amy, k1.id, at(300)).await.unwrap().unwrap();
    assert_eq!(read.read_at, Some(at(300)));
    let twice = n.mark_read(amy, k1.id, at(400)).await.unwrap().unwrap();
    assert_eq!(twice.read_at, Some(at(300)), "the first reading is kept");
    let unread = n
        .notifications(&inbox(amy, true), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(unread.total, 1);
    assert_eq!(unread.items[0].key, "k2");
    assert_eq!(n.mark_all_read(amy, at(500)).await.unwrap(), 1);
    assert_eq!(n.mark_all_read(amy, at(600)).await.unwrap(), 0);
    assert_eq!(n.unread_count(amy).await.unwrap(), 0);

    let emails = n.deliveries(Some(k1.id)).await.unwrap();
    assert_eq!(emails.len(), 1);
    assert_eq!(emails[0].channel, Channel::Email);
    assert_eq!(emails[0].target, "amy@example.gov.tw");
    assert_eq!(emails[0].status, DeliveryStatus::Pending);
    let hooks = n.deliveries(None).await.unwrap();
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0].channel, Channel::Webhook);
    assert_eq!(hooks[0].notification_id, None);
}

pub async fn stewards_are_found_with_every_scope_they_hold(stores: &Stores) {
    seed_city(stores).await;
    let steward = |scope: Scope| Grant {
        role: Role::DataSteward,
        scope,
    };
    let both = add_user(
        stores,
        "both",
        None,
        &[
            steward(Scope::Agency(code("380330000E"))),
            steward(Scope::City),
            Grant {
                role: Role::Viewer,
                scope: Scope::City,
            },
        ],
    )
    .await;
    let gone = add_user(stores, "gone", None, &[steward(Scope::City)]).await;
    add_user(
        stores,
        "viewer",
        None,
        &[Grant {
            role: Role::Viewer,
            scope: Scope::City,
        }],
    )
    .await;
    let user = stores.accounts.user_by_id(gone).await.unwrap().unwrap();
    stores
        .accounts
        .update_profile(
            gone,
            &UserProfile {
                active: false,
                ..UserProfile::of(&user)
            },
            at(50),
            event(50, "user.update", "gone"),
        )
        .await
        .unwrap();

    let holders = stores
        .notifications
        .role_holders(Role::DataSteward)
        .await
        .unwrap();
    assert_eq!(
        holders.len(),
        1,
        "disabled accounts are not told: {holders:?}"
    );
    assert_eq!(holders[0].user_id, both);
    assert_eq!(holders[0].email.as_deref(), Some("both@example.gov.tw"));
    let mut scopes = holders[0].scopes.clone();
    scopes.sort();
    assert_eq!(scopes, vec![Scope::City, Scope::Agency(code("380330000E"))]);
}

pub async fn deliveries_are_claimed_when_due_leased_and_retried(stores: &Stores) {
    let n = &stores.notifications;
    n.queue_notices(
        &NoticeBatch {
            notices: vec![],
            broadcasts: vec![webhook("a"), webhook("b")],
        },
        at(1_000),
    )
    .await
    .unwrap();
    assert!(
        n.claim_deliveries(at(999), at(2_000), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let claimed = n.claim_deliveries(at(1_000), at(60_000), 1).await.unwrap();
    assert_eq!(claimed.len(), 1, "at most the limit");
    assert_eq!(claimed[0].next_attempt_at, at(60_000));
    let rest = n.claim_deliveries(at(1_000), at(60_000), 10).await.unwrap();
    assert_eq!(rest.len(), 1, "a leased delivery is not handed out twice");
    assert_ne!(rest[0].id, claimed[0].id);
    assert!(
        n.claim_deliveries(at(59_999), at(90_000), 10)
            .await
            .unwrap()
            .is_empty()
    );

    n.update_delivery(
        claimed[0].id,
        &DeliveryUpdate {
            status: DeliveryStatus::Pending,
            attempts: 1,
            next_attempt_at: at(5_000),
            last_error: Some("HTTP 500".into()),
            sent_at: None,
        },
    )
    .await
    .unwrap();
    n.update_delivery(
        rest[0].id,
        &DeliveryUpdate {
            status: DeliveryStatus::Sent,
            attempts: 1,
            next_attempt_at: at(1_000),
            last_error: None,
            sent_at: Some(at(1_000)),
        },
    )
    .await
    .unwrap();
    let retry = n.claim_deliveries(at(5_000), at(70_000), 10).await.unwrap();
    assert_eq!(retry.len(), 1, "sent deliveries are never claimed again");
    assert_eq!(retry[0].attempts, 1);
    assert_eq!(retry[0].last_error.as_deref(), Some("HTTP 500"));
    n.update_delivery(
        retry[0].id,
        &DeliveryUpdate {
            status: DeliveryStatus::Failed,
            attempts: 4,
            next_attempt_at: at(6_000),
            last_error: Some("HTTP 500 again".into()),
            sent_at: None,
        },
    )
    .await
    .unwrap();
    assert!(
        n.claim_deliveries(at(999_999), at(999_999), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let all = n.deliveries(None).await.unwrap();
    assert_eq!(all[0].status, DeliveryStatus::Failed);
    assert_eq!(all[0].last_error.as_deref(), Some("HTTP 500 again"));
    assert_eq!(all[1].status, DeliveryStatus::Sent);
    assert_eq!(all[1].sent_at, Some(at(1_000)));
    let unknown = DeliveryUpdate {
        status: DeliveryStatus::Sent,
        attempts: 1,
        next_attempt_at: at(7_000),
        last_error: None,
        sent_at: Some(at(7_000)),
    };
    assert!(n.update_delivery(9_999, &unknown).await.is_err());
}

/// Two datasets of 交通局 in Taoyuan's supply-list format.
const TWO_DATASETS: &str = "資料名稱,資料集提供機關,更新頻率,資料連結網址,最後更新時間,檔案格式,資料集描述,主要欄位說明,分類及編號\n\
    桃園市公有停車場資訊,380290000H 【交通局】,每月,https://data.tycg.gov.tw/opendata/datalist/datasetMeta?oid=aaaaaaaa-0000-0000-0000-000000000001,2018-02-01 09:00:00,CSV,停車場,name(名稱),交通及通訊 (117)\n\
    桃園市公車路線,380290000H 【交通局】,每月,https://data.tycg.gov.tw/opendata/datalist/datasetMeta?oid=aaaaaaaa-0000-0000-0000-000000000002,2018-03-01 09:00:00,CSV,公車,route(路線),交通及通訊 (117)\n";

fn snapshot(state: FreshnessState, at_ms: i64) -> FreshnessSnapshot {
    FreshnessSnapshot {
        state,
        assessed_at: at(at_ms),
        due_at: Some(at(at_ms + 86_400_000)),
        explanation: Text::same("test"),
    }
}

pub async fn storing_freshness_reports_the_datasets_that_became_due(stores: &Stores) {
    let (p, _clock) = platform(stores).await;
    let (_, report) = import_list(&p, TWO_DATASETS.as_bytes()).await;
    assert_eq!(report.created, 2, "{report:?}");
    let parking = stores
        .catalog
        .active_datasets()
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.record.title_zh == "桃園市公有停車場資訊")
        .unwrap();
    let before = parking.freshness.as_ref().map(|f| f.state);
    let due = snapshot(FreshnessState::DueSoon, 0);
    let stored = stores
        .catalog
        .store_freshness(&[(parking.id, due.clone())], "2024-01-01", &[])
        .await
        .unwrap();
    if before == Some(FreshnessState::DueSoon) {
        assert_eq!(stored.changed, 0);
    } else {
        assert_eq!(stored.changed, 1);
        assert_eq!(stored.transitions.len(), 1);
        let t = &stored.transitions[0];
        assert_eq!(t.id, parking.id);
        assert_eq!(t.identifier, parking.record.identifier);
        assert_eq!(t.agency, "380290000H");
        assert_eq!(t.title_zh, "桃園市公有停車場資訊");
        assert_eq!(t.old_state, before);
        assert_eq!(t.new_state, FreshnessState::DueSoon);
        assert_eq!(t.due_at, due.due_at);
    }
    let same = stores
        .catalog
        .store_freshness(&[(parking.id, due)], "2024-01-01", &[])
        .await
        .unwrap();
    assert_eq!(same.changed, 0);
    assert!(same.transitions.is_empty(), "an unchanged state is no news");
    let fresh = stores
        .catalog
        .store_freshness(
            &[(parking.id, snapshot(FreshnessState::Fresh, 10))],
            "2024-01-01",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(fresh.changed, 1);
    assert!(
        fresh.transitions.is_empty(),
        "becoming fresh needs no notice"
    );
    let late = stores
        .catalog
        .store_freshness(
            &[(parking.id, snapshot(FreshnessState::Overdue, 20))],
            "2024-01-01",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(late.transitions.len(), 1);
    assert_eq!(late.transitions[0].old_state, Some(FreshnessState::Fresh));
    assert_eq!(late.transitions[0].new_state, FreshnessState::Overdue);
}

pub async fn a_reassessment_that_finds_the_same_leaves_the_dataset_as_it_was(stores: &Stores) {
    let (p, _clock) = platform(stores).await;
    import_list(&p, TWO_DATASETS.as_bytes()).await;
    let parking = stores
        .catalog
        .active_datasets()
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.record.title_zh == "桃園市公有停車場資訊")
        .unwrap();
    let late = |assessed_ms: i64, days: u32| FreshnessSnapshot {
        state: FreshnessState::Overdue,
        assessed_at: at(assessed_ms),
        due_at: Some(at(0)),
        explanation: Text::new(format!("已逾期{days}天"), format!("{days} days late")),
    };
    let stored_now = |id| async move {
        stores
            .catalog
            .dataset(id)
            .await
            .unwrap()
            .unwrap()
            .freshness
            .unwrap()
    };
    stores
        .catalog
        .store_freshness(&[(parking.id, late(1_000, 3))], "2024-01-01", &[])
        .await
        .unwrap();
    // An hour later the same state, due date and words: nothing to write.
    let same = stores
        .catalog
        .store_freshness(&[(parking.id, late(3_601_000, 3))], "2024-01-01", &[])
        .await
        .unwrap();
    assert_eq!(same.changed, 0);
    assert_eq!(stored_now(parking.id).await, late(1_000, 3));
    // A day later only the count of days moved: the words are stored, no one is told again.
    let next_day = stores
        .catalog
        .store_freshness(&[(parking.id, late(86_401_000, 4))], "2024-01-02", &[])
        .await
        .unwrap();
    assert_eq!(next_day.changed, 0);
    assert!(next_day.transitions.is_empty());
    assert_eq!(stored_now(parking.id).await, late(86_401_000, 4));
}
