//! Scheduled follow-up: reminders to an action's owner before its due date, escalation after it
//! to the owning agency's security officers and the platform admins, legal clocks escalated as
//! the clock policy says, and the 30/90-day recurrence checks. Each notice goes to the
//! notification log under a stable key, so running every hour (or from cron) tells nobody
//! twice; an extension moves the due date and so starts fresh reminders. E-mails go with each
//! notice when SMTP is configured, and one webhook call per notice when a webhook is.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::json;
use time::Duration;

use crate::accounts::UserName;
use crate::agencies::{AgencyCode, AgencyTree};
use crate::authz::{Permission, Role, Target};
use crate::cases::actions::{Action, ReminderKind, ReminderPolicy, reminders};
use crate::cases::clocks::{
    ClockPolicy, Deadline, EscalationNotice, EscalationTarget, deadlines, escalations,
};
use crate::cases::incident::Incident;
use crate::cases::query::{ActionFilter, IncidentScope};
use crate::cases::service::{CaseService, RecurrenceOutcome};
use crate::error::DomainResult;
use crate::notify::{
    Channel, NewDelivery, NewNotice, NewNotification, NoticeBatch, NotificationKind, NotifyPolicy,
    Queued, RoleHolder, covers, email,
};
use crate::platform::Caller;
use crate::text::Text;
use crate::time::{Language, Timestamp, format_date};

/// What one follow-up run did: new notices only (those already sent are not counted).
#[derive(Debug, Clone, Default, Serialize)]
pub struct FollowUpRun {
    pub at: Option<Timestamp>,
    /// To owners, before the due date.
    pub reminders: Queued,
    /// To security officers and platform admins, after it.
    pub escalations: Queued,
    /// Legal clocks due soon or overdue, to the people the clock policy names.
    pub clock_escalations: Queued,
    pub recurrence: Vec<RecurrenceOutcome>,
}

/// The people who may be told, found once per run.
pub struct Audience<'a> {
    pub tree: &'a AgencyTree<'a>,
    /// Action owners by user name (active accounts only).
    pub owners: &'a BTreeMap<UserName, RoleHolder>,
    pub handlers: &'a [RoleHolder],
    pub officers: &'a [RoleHolder],
    pub admins: &'a [RoleHolder],
}

impl Audience<'_> {
    fn covering<'h>(&self, holders: &'h [RoleHolder], agency: &AgencyCode) -> Vec<&'h RoleHolder> {
        let lineage = self.tree.lineage(agency);
        holders
            .iter()
            .filter(|h| covers(h, Some(&lineage)))
            .collect()
    }

    fn agency_name(&self, code: &AgencyCode) -> String {
        self.tree
            .get(code)
            .map(|a| a.display_name_zh().to_string())
            .unwrap_or_else(|| code.to_string())
    }
}

fn dates(at: Timestamp, holder: &RoleHolder) -> (String, String) {
    (
        format_date(at, holder.date_style, Language::ZhTw),
        format_date(at, holder.date_style, Language::En),
    )
}

fn notice(
    holder: &RoleHolder,
    key: String,
    title: Text,
    body: Text,
    link: &str,
    policy: &NotifyPolicy,
) -> NewNotice {
    let mut deliveries = Vec::new();
    if policy.email
        && let Some(to) = holder.email.as_deref().filter(|e| !e.trim().is_empty())
    {
        deliveries.push(email(to, &title, &body, &policy.public_base, link));
    }
    NewNotice {
        notification: NewNotification {
            user_id: holder.user_id,
            kind: NotificationKind::Incident,
            dataset_id: None,
            key,
            title,
            body,
            link: Some(link.to_string()),
        },
        deliveries,
    }
}

/// The webhook call for one notice (not per person), when a webhook is configured.
fn broadcast(batch: &mut NoticeBatch, notify: &NotifyPolicy, key: &str, body: serde_json::Value) {
    if let Some(url) = notify.webhook_url.as_deref().filter(|u| !u.is_empty()) {
        batch.broadcasts.push(NewDelivery {
            channel: Channel::Webhook,
            target: url.to_string(),
            payload: body.to_string(),
            key: Some(format!("webhook:{key}")),
        });
    }
}

fn absolute(notify: &NotifyPolicy, link: &str) -> String {
    format!("{}{link}", notify.public_base.trim_end_matches('/'))
}

/// Only the latest threshold each action has reached, so a first run late in the day does not
/// send the 7-day and the 1-day reminder at once.
fn latest(action: &Action, policy: &ReminderPolicy, now: Timestamp) -> Vec<(ReminderKind, String)> {
    let mut before = policy.remind_days_before.clone();
    before.sort_unstable_by(|a, b| b.cmp(a));
    let mut after = policy.escalate_days_after.clone();
    after.sort_unstable();
    let sorted = ReminderPolicy {
        remind_days_before: before,
        escalate_days_after: after,
    };
    let all = reminders(action, &sorted, now);
    let pick = |kind: ReminderKind| {
        all.iter()
            .rfind(|n| n.kind == kind)
            .map(|n| (kind, n.key.clone()))
    };
    [pick(ReminderKind::Reminder), pick(ReminderKind::Escalation)]
        .into_iter()
        .flatten()
        .collect()
}

/// Reminders (to owners) and escalations (to the owning agency's security officers and the
/// platform admins) for the open actions, one per action and threshold.
pub fn action_notices(
    actions: &[Action],
    audience: &Audience<'_>,
    policy: &ReminderPolicy,
    notify: &NotifyPolicy,
    now: Timestamp,
) -> (NoticeBatch, NoticeBatch) {
    let mut reminders_batch = NoticeBatch::default();
    let mut escalations_batch = NoticeBatch::default();
    for action in actions {
        let link = format!("/incidents/{}", action.incident);
        for (kind, key) in latest(action, policy, now) {
            let (batch, event) = match kind {
                ReminderKind::Reminder => (&mut reminders_batch, "incident.action_reminder"),
                ReminderKind::Escalation => (&mut escalations_batch, "incident.action_escalation"),
            };
            broadcast(
                batch,
                notify,
                &format!("incident-action:{key}"),
                json!({
                    "event": event,
                    "action": action.id.as_str(),
                    "incident": action.incident.as_str(),
                    "owner_agency": action.owner_agency.as_str(),
                    "owner": action.owner.as_str(),
                    "due_at": action.due_at.to_rfc3339(),
                    "recommendation": action.recommendation,
                    "link": absolute(notify, &link),
                }),
            );
            match kind {
                ReminderKind::Reminder => {
                    let Some(owner) = audience.owners.get(&action.owner) else {
                        continue;
                    };
                    let (zh, en) = dates(action.due_at, owner);
                    reminders_batch.notices.push(notice(
                        owner,
                        format!("incident-action:{key}:{}", owner.user_id),
                        Text::new(
                            format!("改善事項 {} 將於{zh}到期", action.id),
                            format!("Action {} is due on {en}", action.id),
                        ),
                        Text::new(
                            format!(
                                "事件 {} 的改善事項「{}」由您負責，將於{zh}到期。結案條件：{}。請於期限前記錄辦理情形並附上證據送交驗證；若無法如期完成，請申請展延並說明理由。",
                                action.incident, action.recommendation, action.closure_criteria
                            ),
                            format!(
                                "You own action \"{}\" of incident {}, due on {en}. Closure criteria: {}. Record what was done with evidence and submit it for verification before then; if it cannot be done in time, ask for an extension with a reason.",
                                action.recommendation, action.incident, action.closure_criteria
                            ),
                        ),
                        &link,
                        notify,
                    ));
                }
                ReminderKind::Escalation => {
                    let mut told: Vec<&RoleHolder> =
                        audience.covering(audience.officers, &action.owner_agency);
                    for admin in audience.covering(audience.admins, &action.owner_agency) {
                        if !told.iter().any(|h| h.user_id == admin.user_id) {
                            told.push(admin);
                        }
                    }
                    let agency = audience.agency_name(&action.owner_agency);
                    let days_late = now.since(action.due_at).whole_days().max(0);
                    for holder in told {
                        let (zh, en) = dates(action.due_at, holder);
                        escalations_batch.notices.push(notice(
                            holder,
                            format!("incident-action:{key}:{}", holder.user_id),
                            Text::new(
                                format!("改善事項 {} 已逾期（{zh}到期）", action.id),
                                format!("Action {} is overdue (due on {en})", action.id),
                            ),
                            Text::new(
                                format!(
                                    "{agency}負責人 {} 的改善事項「{}」（事件 {}）已逾期 {days_late} 天，尚未送驗證。請督促辦理，或由申請人以外的人核准展延並記錄理由。",
                                    action.owner, action.recommendation, action.incident
                                ),
                                format!(
                                    "Action \"{}\" (incident {}) owned by {} of {agency} is {days_late} days overdue and not yet submitted for verification. Follow it up, or have someone other than the requester approve an extension with its reason.",
                                    action.recommendation, action.incident, action.owner
                                ),
                            ),
                            &link,
                            notify,
                        ));
                    }
                }
            }
        }
    }
    (reminders_batch, escalations_batch)
}

/// The escalations the clock policy asks for, one per incident, clock, state and person.
pub fn clock_notices(
    incidents: &[(Incident, Vec<Deadline>)],
    audience: &Audience<'_>,
    clock_policy: &ClockPolicy,
    notify: &NotifyPolicy,
) -> NoticeBatch {
    let mut batch = NoticeBatch::default();
    for (incident, clocks) in incidents {
        let link = format!("/incidents/{}", incident.id);
        for EscalationNotice {
            key,
            agency,
            obligation,
            state,
            targets,
            message,
            ..
        } in escalations(incident, clocks, clock_policy)
        {
            let mut told: Vec<&RoleHolder> = Vec::new();
            for target in &targets {
                let holders = match target {
                    EscalationTarget::Handlers => audience.handlers,
                    EscalationTarget::AgencySecurityOfficer => audience.officers,
                    EscalationTarget::PlatformAdmins => audience.admins,
                };
                for holder in audience.covering(holders, &agency) {
                    if !told.iter().any(|h| h.user_id == holder.user_id) {
                        told.push(holder);
                    }
                }
            }
            broadcast(
                &mut batch,
                notify,
                &format!("incident-clock:{key}"),
                json!({
                    "event": "incident.clock",
                    "incident": incident.id.as_str(),
                    "agency": agency.as_str(),
                    "obligation": obligation.as_str(),
                    "state": state,
                    "message_zh": message.zh,
                    "link": absolute(notify, &link),
                }),
            );
            let (what, now_state) = (obligation.label(), state.label());
            for holder in told {
                batch.notices.push(notice(
                    holder,
                    format!("incident-clock:{key}:{}", holder.user_id),
                    Text::new(
                        format!("事件 {} 的{}{}", incident.id, what.zh, now_state.zh),
                        format!("Incident {}: {} is {}", incident.id, what.en, now_state.en),
                    ),
                    message.clone(),
                    &link,
                    notify,
                ));
            }
        }
    }
    batch
}

impl CaseService<'_> {
    /// One follow-up run: reminders, escalations, legal clocks escalated and the recurrence
    /// checks that are due. City-wide handlers (or the scheduler, or cron) run it.
    pub async fn follow_up(&self, caller: &Caller) -> DomainResult<FollowUpRun> {
        caller
            .principal
            .authorize(Permission::ManageIncidents, &Target::City)?;
        let p = self.platform();
        let (book, clock_policy) = super::service::rules()?;
        let now = p.now();
        let agencies = p.stores.agencies.agencies().await?;
        let tree = AgencyTree::new(&agencies);
        let notifications = &p.stores.notifications;
        let handlers = notifications.role_holders(Role::IncidentHandler).await?;
        let officers = notifications.role_holders(Role::SecurityOfficer).await?;
        let admins = notifications.role_holders(Role::PlatformAdmin).await?;
        let open: Vec<Action> = p
            .stores
            .cases
            .actions(&ActionFilter::default())
            .await?
            .into_iter()
            .filter(|a| a.status.is_open_work())
            .collect();
        let mut owners = BTreeMap::new();
        for action in &open {
            if owners.contains_key(&action.owner) {
                continue;
            }
            if let Some(user) = p
                .stores
                .accounts
                .user_by_name(action.owner.as_str())
                .await?
                && user.active
            {
                owners.insert(
                    action.owner.clone(),
                    RoleHolder {
                        user_id: user.id,
                        name: user.name.to_string(),
                        email: user.email.clone(),
                        language: user.language,
                        date_style: user.date_style,
                        scopes: Vec::new(),
                    },
                );
            }
        }
        let audience = Audience {
            tree: &tree,
            owners: &owners,
            handlers: &handlers,
            officers: &officers,
            admins: &admins,
        };
        let (remind, escalate) =
            action_notices(&open, &audience, &ReminderPolicy::default(), &p.notify, now);
        let incidents: Vec<(Incident, Vec<Deadline>)> = p
            .stores
            .cases
            .incident_records(&IncidentScope {
                open: true,
                ..IncidentScope::default()
            })
            .await?
            .into_iter()
            .filter_map(|i| {
                let clocks = deadlines(&i, book, clock_policy, now)?;
                Some((i, clocks))
            })
            .collect();
        let clocks = clock_notices(&incidents, &audience, clock_policy, &p.notify);
        let mut run = FollowUpRun {
            at: Some(now),
            ..FollowUpRun::default()
        };
        for (batch, into) in [
            (remind, &mut run.reminders),
            (escalate, &mut run.escalations),
            (clocks, &mut run.clock_escalations),
        ] {
            if !batch.notices.is_empty() || !batch.broadcasts.is_empty() {
                *into = notifications.queue_notices(&batch, now).await?;
            }
        }
        run.recurrence = self.run_recurrence_checks(caller).await?;
        Ok(run)
    }
}

/// How often the server runs the follow-up.
pub const FOLLOW_UP_EVERY: Duration = Duration::hours(1);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agencies::{Agency, AgencyKind};
    use crate::authz::Scope;
    use crate::cases::actions::{NewAction, Priority, RecurrenceBasis};
    use crate::cases::id::RecordId;
    use crate::time::DateStyle;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    fn code(c: &str) -> AgencyCode {
        AgencyCode::parse(c).unwrap()
    }

    fn agency(c: &str, name: &str, parent: Option<&str>) -> Agency {
        Agency {
            code: code(c),
            name_zh: name.into(),
            name_en: None,
            short_name_zh: None,
            parent: parent.map(code),
            kind: AgencyKind::Bureau,
            active: true,
            retired_at: None,
            successor: None,
            created_at: t("2024-01-01T00:00:00+08:00"),
            updated_at: t("2024-01-01T00:00:00+08:00"),
        }
    }

    fn holder(id: i64, name: &str, scope: Scope) -> RoleHolder {
        RoleHolder {
            user_id: id,
            name: name.into(),
            email: Some(format!("{name}@example.gov.tw")),
            language: Language::ZhTw,
            date_style: DateStyle::Roc,
            scopes: vec![scope],
        }
    }

    #[test]
    fn a_first_run_hours_before_the_due_date_sends_only_the_nearest_reminder_in_roc_dates() {
        let agencies = vec![
            agency("380000000A", "桃園市政府", None),
            agency("380330000E", "桃園市政府文化局", Some("380000000A")),
            agency("380040000A", "桃園市政府教育局", Some("380000000A")),
        ];
        let tree = AgencyTree::new(&agencies);
        let (action, _) = Action::plan(
            NewAction {
                id: RecordId::parse("ACT-2025-0001").unwrap(),
                incident: RecordId::parse("INC-2025-0001").unwrap(),
                finding: None,
                recommendation: "關閉對外 RDP".into(),
                owner_agency: code("380330000E"),
                owner: UserName::parse("it.wang").unwrap(),
                due_at: t("2025-05-01T17:00:00+08:00"),
                priority: Priority::High,
                closure_criteria: "外部掃描 3389 不通".into(),
                basis: RecurrenceBasis::default(),
            },
            &UserName::parse("soc.lin").unwrap(),
            t("2025-04-01T09:00:00+08:00"),
        )
        .unwrap();
        let owners: BTreeMap<UserName, RoleHolder> = [(
            UserName::parse("it.wang").unwrap(),
            holder(1, "it.wang", Scope::City),
        )]
        .into_iter()
        .collect();
        let officers = vec![
            holder(2, "ciso.culture", Scope::Agency(code("380330000E"))),
            holder(3, "ciso.edu", Scope::Agency(code("380040000A"))),
        ];
        let admins = vec![holder(4, "admin", Scope::City)];
        let audience = Audience {
            tree: &tree,
            owners: &owners,
            handlers: &[],
            officers: &officers,
            admins: &admins,
        };
        let notify = NotifyPolicy {
            email: true,
            webhook_url: Some("https://soc.example.gov.tw/hook".into()),
            public_base: "https://civitas.example".into(),
            ..NotifyPolicy::default()
        };
        let policy = ReminderPolicy::default();
        // Ten hours before: both the 7-day and the 1-day threshold have passed; one is sent.
        let (remind, escalate) = action_notices(
            std::slice::from_ref(&action),
            &audience,
            &policy,
            &notify,
            t("2025-05-01T07:00:00+08:00"),
        );
        assert_eq!(remind.notices.len(), 1);
        assert!(escalate.notices.is_empty());
        let n = &remind.notices[0];
        assert_eq!(n.notification.user_id, 1);
        assert!(
            n.notification.key.contains("before-1d"),
            "{}",
            n.notification.key
        );
        assert!(
            n.notification.title.zh.contains("民國114年5月1日"),
            "{}",
            n.notification.title.zh
        );
        assert_eq!(n.deliveries.len(), 1, "an e-mail when SMTP is configured");
        assert_eq!(
            n.notification.link.as_deref(),
            Some("/incidents/INC-2025-0001")
        );

        // Eight days late: the 7-day escalation, to culture's officer and the admin only.
        let (remind, escalate) = action_notices(
            std::slice::from_ref(&action),
            &audience,
            &policy,
            &notify,
            t("2025-05-09T18:00:00+08:00"),
        );
        assert!(remind.notices.is_empty());
        let told: Vec<i64> = escalate
            .notices
            .iter()
            .map(|n| n.notification.user_id)
            .collect();
        assert_eq!(told, vec![2, 4]);
        assert!(escalate.notices[0].notification.key.contains("after-7d"));
        assert!(
            escalate.notices[0]
                .notification
                .body
                .zh
                .contains("已逾期 8 天")
        );
        assert!(
            escalate.notices[0]
                .notification
                .body
                .zh
                .contains("桃園市政府文化局")
        );
    }
}
