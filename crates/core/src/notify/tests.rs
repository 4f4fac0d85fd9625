//! Who is told what when datasets change state.

use super::freshness::compose;
use super::model::{Channel, EmailMessage, NotifyPolicy, RoleHolder};
use crate::agencies::{Agency, AgencyCode, AgencyKind};
use crate::authz::Scope;
use crate::freshness::FreshnessState;
use crate::ports::FreshnessTransition;
use crate::time::{DateStyle, Language, Timestamp};

fn code(c: &str) -> AgencyCode {
    AgencyCode::parse(c).unwrap()
}

fn ts(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

fn agency(c: &str, name: &str, en: &str, parent: Option<&str>) -> Agency {
    Agency {
        code: code(c),
        name_zh: name.into(),
        name_en: Some(en.into()),
        short_name_zh: None,
        parent: parent.map(code),
        kind: AgencyKind::Bureau,
        active: true,
        retired_at: None,
        successor: None,
        created_at: ts("2024-01-01T00:00:00Z"),
        updated_at: ts("2024-01-01T00:00:00Z"),
    }
}

fn tree() -> Vec<Agency> {
    vec![
        agency("380000000A", "桃園市政府", "Taoyuan City Government", None),
        agency(
            "380330000E",
            "文化局",
            "Department of Cultural Affairs",
            Some("380000000A"),
        ),
        agency(
            "TY-ARTMUSEUM",
            "美術館",
            "Museum of Fine Arts",
            Some("380330000E"),
        ),
        agency(
            "380290000H",
            "交通局",
            "Department of Transportation",
            Some("380000000A"),
        ),
    ]
}

fn steward(id: i64, email: Option<&str>, scope: Scope) -> RoleHolder {
    RoleHolder {
        user_id: id,
        name: format!("s{id}"),
        email: email.map(str::to_string),
        language: Language::ZhTw,
        date_style: DateStyle::Roc,
        scopes: vec![scope],
    }
}

fn museum_dataset(state: FreshnessState) -> FreshnessTransition {
    FreshnessTransition {
        id: 3,
        identifier: "ty-3".into(),
        agency: "TY-ARTMUSEUM".into(),
        title_zh: "臺灣美術展覽資訊".into(),
        old_state: Some(FreshnessState::Fresh),
        new_state: state,
        due_at: Some(ts("2024-04-01T10:00:00+08:00")),
    }
}

fn policy() -> NotifyPolicy {
    NotifyPolicy {
        email: true,
        webhook_url: Some("https://hooks.example/civitas".into()),
        due_soon_notices: true,
        public_base: "https://civitas.example/".into(),
    }
}

#[test]
fn a_bureaus_steward_hears_about_its_subordinate_agency_and_a_siblings_does_not() {
    let stewards = [
        steward(
            1,
            Some("culture@tycg.gov.tw"),
            Scope::Agency(code("380330000E")),
        ),
        steward(
            2,
            Some("traffic@tycg.gov.tw"),
            Scope::Agency(code("380290000H")),
        ),
        steward(3, None, Scope::City),
    ];
    let now = ts("2024-03-28T09:00:00+08:00");
    let batch = compose(
        &[museum_dataset(FreshnessState::DueSoon)],
        &stewards,
        &tree(),
        &policy(),
        now,
    );
    let told: Vec<i64> = batch
        .notices
        .iter()
        .map(|n| n.notification.user_id)
        .collect();
    assert_eq!(told, vec![1, 3]);
    let first = &batch.notices[0];
    assert_eq!(
        first.notification.title.zh,
        "資料集「臺灣美術展覽資訊」將於民國113年4月1日到期"
    );
    assert_eq!(
        first.notification.title.en,
        "Dataset \"臺灣美術展覽資訊\" falls due on ROC 113-04-01"
    );
    assert!(first.notification.body.zh.starts_with("美術館的資料集"));
    assert!(
        first
            .notification
            .body
            .en
            .starts_with("The dataset \"臺灣美術展覽資訊\" of Museum of Fine Arts moved from \"up to date\" to \"due soon\".")
    );
    assert_eq!(
        first.notification.link.as_deref(),
        Some("/catalog/datasets/3")
    );
    assert_eq!(
        first.deliveries.len(),
        1,
        "one e-mail to the steward's address"
    );
    let mail: EmailMessage = serde_json::from_str(&first.deliveries[0].payload).unwrap();
    assert_eq!(mail.to, "culture@tycg.gov.tw");
    assert!(
        mail.body
            .contains("https://civitas.example/catalog/datasets/3")
    );
    assert!(
        batch.notices[1].deliveries.is_empty(),
        "no address, no e-mail"
    );

    assert_eq!(batch.broadcasts.len(), 1, "one webhook call per transition");
    assert_eq!(batch.broadcasts[0].channel, Channel::Webhook);
    let body: serde_json::Value = serde_json::from_str(&batch.broadcasts[0].payload).unwrap();
    assert_eq!(body["event"], "dataset.freshness");
    assert_eq!(body["dataset"]["identifier"], "ty-3");
    assert_eq!(body["dataset"]["agency"], "TY-ARTMUSEUM");
    assert_eq!(body["old_state"], "fresh");
    assert_eq!(body["new_state"], "due_soon");
    assert_eq!(body["due_at"], "2024-04-01T02:00:00Z");
    assert_eq!(body["link"], "https://civitas.example/catalog/datasets/3");
}

#[test]
fn the_same_state_and_due_date_always_make_the_same_key() {
    let stewards = [steward(1, None, Scope::City)];
    let now = ts("2024-03-28T09:00:00+08:00");
    let a = compose(
        &[museum_dataset(FreshnessState::DueSoon)],
        &stewards,
        &tree(),
        &policy(),
        now,
    );
    let later = now.add(time::Duration::hours(1));
    let b = compose(
        &[museum_dataset(FreshnessState::DueSoon)],
        &stewards,
        &tree(),
        &policy(),
        later,
    );
    assert_eq!(a.notices[0].notification.key, b.notices[0].notification.key);
    assert_eq!(a.broadcasts[0].key, b.broadcasts[0].key);
    let overdue = compose(
        &[museum_dataset(FreshnessState::Overdue)],
        &stewards,
        &tree(),
        &policy(),
        now,
    );
    assert_ne!(
        a.notices[0].notification.key,
        overdue.notices[0].notification.key
    );
}

#[test]
fn without_due_soon_notices_only_late_datasets_are_reported_and_fresh_ones_never() {
    let stewards = [steward(1, None, Scope::City)];
    let now = ts("2024-04-20T09:00:00+08:00");
    let quiet = NotifyPolicy {
        due_soon_notices: false,
        email: false,
        webhook_url: None,
        ..policy()
    };
    let batch = compose(
        &[
            museum_dataset(FreshnessState::DueSoon),
            museum_dataset(FreshnessState::Overdue),
            museum_dataset(FreshnessState::Fresh),
        ],
        &stewards,
        &tree(),
        &quiet,
        now,
    );
    assert_eq!(batch.notices.len(), 1);
    assert_eq!(
        batch.notices[0].notification.title.zh,
        "資料集「臺灣美術展覽資訊」已逾期未更新（民國113年4月1日到期）"
    );
    assert!(batch.notices[0].deliveries.is_empty());
    assert!(batch.broadcasts.is_empty());
}
