//! What stewards are told when a dataset's freshness changes, and who is told: every active
//! data steward whose scope covers the dataset's agency (a bureau's steward hears about its
//! subordinate agencies; a city-wide steward about all). One notice per steward, dataset,
//! state and due date, whatever the number of reassessments.

use serde_json::json;

use super::model::{
    Channel, EmailMessage, NewDelivery, NewNotice, NewNotification, NoticeBatch, NotificationKind,
    NotifyPolicy, RoleHolder,
};
use crate::agencies::{Agency, AgencyCode, AgencyTree};
use crate::authz::{AgencyLineage, Scope};
use crate::freshness::FreshnessState;
use crate::ports::FreshnessTransition;
use crate::text::Text;
use crate::time::{DateStyle, Language, Timestamp, format_date};

/// The webhook event name.
pub const FRESHNESS_EVENT: &str = "dataset.freshness";

/// States a steward must hear about when a dataset enters them.
pub fn wants_notice(state: FreshnessState) -> bool {
    matches!(
        state,
        FreshnessState::DueSoon
            | FreshnessState::Overdue
            | FreshnessState::Delinquent
            | FreshnessState::ReviewDue
    )
}

pub(crate) fn covers(holder: &RoleHolder, lineage: Option<&AgencyLineage>) -> bool {
    holder.scopes.iter().any(|scope| match scope {
        Scope::City => true,
        Scope::Agency(code) => lineage.is_some_and(|l| l.contains(code)),
    })
}

/// The notices and webhook calls for a set of transitions.
pub(super) fn compose(
    transitions: &[FreshnessTransition],
    stewards: &[RoleHolder],
    agencies: &[Agency],
    policy: &NotifyPolicy,
    now: Timestamp,
) -> NoticeBatch {
    let tree = AgencyTree::new(agencies);
    let mut batch = NoticeBatch::default();
    let told = transitions.iter().filter(|t| {
        wants_notice(t.new_state)
            && (policy.due_soon_notices || t.new_state != FreshnessState::DueSoon)
    });
    for t in told {
        let code = AgencyCode::parse(&t.agency).ok();
        let lineage = code.as_ref().map(|c| tree.lineage(c));
        let agency = code.as_ref().and_then(|c| tree.get(c));
        let agency_name = Text::new(
            agency.map_or(t.agency.as_str(), |a| a.display_name_zh()),
            agency.map_or(t.agency.as_str(), |a| {
                a.name_en.as_deref().unwrap_or(&a.name_zh)
            }),
        );
        let link = format!("/catalog/datasets/{}", t.id);
        let due_key = t
            .due_at
            .map_or_else(|| "-".to_string(), |d| d.as_millis().to_string());
        for steward in stewards.iter().filter(|s| covers(s, lineage.as_ref())) {
            let (title, body) = message(t, &agency_name, steward.date_style, now);
            let mut deliveries = Vec::new();
            if policy.email
                && let Some(to) = steward.email.as_deref().filter(|e| !e.trim().is_empty())
            {
                deliveries.push(email(to, &title, &body, &policy.public_base, &link));
            }
            batch.notices.push(NewNotice {
                notification: NewNotification {
                    user_id: steward.user_id,
                    kind: NotificationKind::Freshness,
                    dataset_id: Some(t.id),
                    key: format!(
                        "freshness:{}:{}:{due_key}:{}",
                        t.id,
                        t.new_state.code(),
                        steward.user_id
                    ),
                    title,
                    body,
                    link: Some(link.clone()),
                },
                deliveries,
            });
        }
        if let Some(url) = policy.webhook_url.as_deref().filter(|u| !u.is_empty()) {
            batch.broadcasts.push(NewDelivery {
                channel: Channel::Webhook,
                target: url.to_string(),
                payload: webhook_body(t, &policy.public_base, &link),
                key: Some(format!(
                    "webhook:freshness:{}:{}:{due_key}",
                    t.id,
                    t.new_state.code()
                )),
            });
        }
    }
    batch
}

/// Title and body, in the steward's date style.
fn message(
    t: &FreshnessTransition,
    agency: &Text,
    style: DateStyle,
    now: Timestamp,
) -> (Text, Text) {
    let name = &t.title_zh;
    let due = t.due_at.map(|d| {
        (
            format_date(d, style, Language::ZhTw),
            format_date(d, style, Language::En),
        )
    });
    let label = t.new_state.label();
    let title = match (t.new_state, &due) {
        (FreshnessState::DueSoon, Some((zh, en))) if t.due_at.is_some_and(|d| d > now) => {
            Text::new(
                format!("資料集「{name}」將於{zh}到期"),
                format!("Dataset \"{name}\" falls due on {en}"),
            )
        }
        (FreshnessState::DueSoon, Some((zh, en))) => Text::new(
            format!("資料集「{name}」已於{zh}到期，請儘速更新"),
            format!("Dataset \"{name}\" fell due on {en}: please update it"),
        ),
        (FreshnessState::Overdue, Some((zh, en))) => Text::new(
            format!("資料集「{name}」已逾期未更新（{zh}到期）"),
            format!("Dataset \"{name}\" is overdue (due on {en})"),
        ),
        (FreshnessState::Delinquent, Some((zh, en))) => Text::new(
            format!("資料集「{name}」嚴重逾期（{zh}到期）"),
            format!("Dataset \"{name}\" is long overdue (due on {en})"),
        ),
        (FreshnessState::ReviewDue, Some((zh, en))) => Text::new(
            format!("資料集「{name}」待檢視（自{zh}起）"),
            format!("Dataset \"{name}\" is due for review (since {en})"),
        ),
        _ => Text::new(
            format!("資料集「{name}」：{}", label.zh),
            format!("Dataset \"{name}\": {}", label.en),
        ),
    };
    let old = t
        .old_state
        .map_or_else(|| Text::new("尚未評估", "not yet assessed"), |s| s.label());
    let action = if t.new_state == FreshnessState::ReviewDue {
        Text::new(
            "此資料集為不定期更新，已久未有新資料。請確認是否有新資料；若沒有，請在資料集頁面記錄「確認無新資料」。",
            "It is updated irregularly and has been silent for a long time. Check whether there is new data; if not, record \"Reviewed, nothing new\" on the dataset's page.",
        )
    } else {
        Text::new(
            "請上傳或登錄最新資料；若資料確實沒有變動，請在資料集頁面記錄「確認無新資料」。",
            "Upload or record its latest data; if nothing has changed, record \"Reviewed, nothing new\" on the dataset's page.",
        )
    };
    let body = Text::new(
        format!(
            "{}的資料集「{name}」更新狀態由「{}」轉為「{}」。{}",
            agency.zh, old.zh, label.zh, action.zh
        ),
        format!(
            "The dataset \"{name}\" of {} moved from \"{}\" to \"{}\". {}",
            agency.en, old.en, label.en, action.en
        ),
    );
    (title, body)
}

fn absolute(base: &str, link: &str) -> String {
    format!("{}{link}", base.trim_end_matches('/'))
}

/// A plain-text e-mail, Traditional Chinese first.
pub(crate) fn email(to: &str, title: &Text, body: &Text, base: &str, link: &str) -> NewDelivery {
    let url = absolute(base, link);
    let message = EmailMessage {
        to: to.to_string(),
        subject: format!("[civitas] {} / {}", title.zh, title.en),
        body: format!(
            "{}\n\n{}\n\n{url}\n\n----\n\n{}\n\n{}\n\n{url}\n\n-- \n桃園市資料治理平台 civitas：此為系統自動通知，請勿直接回覆。\nAn automatic notice from civitas; please do not reply.\n",
            title.zh, body.zh, title.en, body.en
        ),
    };
    NewDelivery {
        channel: Channel::Email,
        target: to.to_string(),
        payload: serde_json::to_string(&message).unwrap_or_default(),
        key: None,
    }
}

/// `{event, dataset: {id, identifier, title_zh, agency}, old_state, new_state, due_at, link}`.
fn webhook_body(t: &FreshnessTransition, base: &str, link: &str) -> String {
    json!({
        "event": FRESHNESS_EVENT,
        "dataset": {
            "id": t.id,
            "identifier": t.identifier,
            "title_zh": t.title_zh,
            "agency": t.agency,
        },
        "old_state": t.old_state.map(|s| s.code()),
        "new_state": t.new_state.code(),
        "due_at": t.due_at.map(|d| d.to_rfc3339()),
        "link": absolute(base, link),
    })
    .to_string()
}
