//! Follow-up actions for people: the owner's list, the verifier's queue and one action with
//! its closure criteria, work log, evidence hashes, extensions and recurrence checks. The
//! owner never verifies their own work: the page says why the buttons are absent.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use civitas_core::authz::Permission;
use civitas_core::cases::query::ActionFilter;
use civitas_core::cases::{Action, ActionStatus, RecordId, RecurrenceDecision};
use civitas_core::time::{Language, Timestamp};

use super::incidents::{
    Pairs, chosen_files, field, lbl, local_time, priority_label, record_id, required, revision,
    user_name,
};
use super::{Chrome, Page, redirect_with_flash, render};
use crate::api::incidents::{multipart_of, read_form};
use crate::error::ApiResult;
use crate::extract::{ApiPath, UiForm};
use crate::state::AppState;

/// How many pieces of a recurrence check's evidence the page lists.
const SHOWN_EVIDENCE: usize = 5;

pub struct ActionLine {
    pub id: String,
    pub incident: String,
    pub recommendation: String,
    pub owner: String,
    pub due: String,
    pub countdown: String,
    pub status: String,
    pub priority: &'static str,
    pub overdue: bool,
    pub revision: u32,
    /// Why the caller cannot verify this one (empty when they can).
    pub cannot_verify: String,
}

fn line(a: &Action, chrome: &Chrome, now: Timestamp, me: &str) -> ActionLine {
    let lang = chrome.lang;
    let cannot_verify = if a.owner.as_str() == me {
        chrome.t("actions.own_work").to_string()
    } else {
        String::new()
    };
    ActionLine {
        id: a.id.to_string(),
        incident: a.incident.to_string(),
        recommendation: a.recommendation.clone(),
        owner: a.owner.to_string(),
        due: chrome.datetime(a.due_at),
        countdown: if a.status.is_open_work() {
            super::incidents::countdown(a.due_at, now, lang)
        } else {
            String::new()
        },
        status: lbl(&a.status.label(), lang),
        priority: priority_label(a.priority, lang),
        overdue: a.is_overdue(now),
        revision: a.revision,
        cannot_verify,
    }
}

#[derive(Template)]
#[template(path = "incidents/mine.html")]
struct MinePage {
    chrome: Chrome,
    open: Vec<ActionLine>,
    done: Vec<ActionLine>,
}

/// The signed-in person's actions: what they must still do first.
pub async fn mine(State(state): State<AppState>, page: Page) -> ApiResult<Response> {
    page.require_somewhere(Permission::ReadIncidents)?;
    let me = page.user.name.clone();
    let actions = state
        .platform
        .cases()
        .actions(
            &page.caller,
            &ActionFilter {
                owner: Some(me.clone()),
                ..ActionFilter::default()
            },
        )
        .await?;
    let chrome = page.chrome("actions.mine_title");
    let now = state.platform.now();
    let (open, done): (Vec<&Action>, Vec<&Action>) =
        actions.iter().partition(|a| a.status.is_open_work());
    render(&MinePage {
        open: open
            .into_iter()
            .map(|a| line(a, &chrome, now, me.as_str()))
            .collect(),
        done: done
            .into_iter()
            .map(|a| line(a, &chrome, now, me.as_str()))
            .collect(),
        chrome,
    })
}

#[derive(Template)]
#[template(path = "incidents/verify.html")]
struct QueuePage {
    chrome: Chrome,
    rows: Vec<ActionLine>,
}

/// The verifier's queue: work done and waiting for someone other than its owner.
pub async fn queue(State(state): State<AppState>, page: Page) -> ApiResult<Response> {
    page.require_somewhere(Permission::VerifyActions)?;
    let actions = state
        .platform
        .cases()
        .actions(
            &page.caller,
            &ActionFilter {
                status: Some(ActionStatus::DonePendingVerification),
                ..ActionFilter::default()
            },
        )
        .await?;
    let chrome = page.chrome("actions.queue_title");
    let now = state.platform.now();
    let me = page.user.name.to_string();
    render(&QueuePage {
        rows: actions.iter().map(|a| line(a, &chrome, now, &me)).collect(),
        chrome,
    })
}

#[derive(Template)]
#[template(path = "incidents/action.html")]
struct ActionPage {
    chrome: Chrome,
    a: ActionLine,
    criteria: String,
    basis: Vec<String>,
    finding: String,
    history: Vec<String>,
    evidence: Vec<(String, String, String)>,
    extensions: Vec<String>,
    checks: Vec<String>,
    can_work: bool,
    can_verify: bool,
    verify_absent: String,
    can_extend: bool,
    is_owner: bool,
}

fn status_word(s: ActionStatus, lang: Language) -> String {
    lbl(&s.label(), lang)
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ReadIncidents)?;
    let id = record_id(&id)?;
    let a = state.platform.cases().action(&page.caller, &id).await?;
    let chrome = page.chrome("actions.action_title");
    let lang = chrome.lang;
    let now = state.platform.now();
    let me = page.user.name.to_string();
    let principal = &page.caller.principal;
    let is_owner = a.owner.as_str() == me;
    let pending = a.status == ActionStatus::DonePendingVerification;
    let holds_verify = principal.can_somewhere(Permission::VerifyActions);
    let verify_absent = if !pending {
        String::new()
    } else if is_owner {
        chrome.t("actions.own_work").to_string()
    } else if !holds_verify {
        chrome.t("actions.not_verifier").to_string()
    } else {
        String::new()
    };
    let mut basis = Vec::new();
    if let Some(rc) = a.basis.root_cause {
        basis.push(format!(
            "{}{}",
            chrome.t("actions.basis_root_cause"),
            lbl(&rc.label(), lang)
        ));
    }
    for ioc in &a.basis.iocs {
        basis.push(format!("{}{}", chrome.t("actions.basis_ioc"), ioc.value));
    }
    for asset in &a.basis.assets {
        basis.push(format!("{}{asset}", chrome.t("actions.basis_asset")));
    }
    let view = ActionPage {
        criteria: a.closure_criteria.clone(),
        basis,
        finding: a
            .finding
            .as_ref()
            .map(|f| f.to_string())
            .unwrap_or_default(),
        history: a
            .history
            .iter()
            .map(|h| {
                format!(
                    "{} {} → {}{}{}",
                    chrome.datetime(h.at),
                    status_word(h.from, lang),
                    status_word(h.to, lang),
                    h.by.as_ref()
                        .map(|b| format!("（{b}）"))
                        .unwrap_or_else(|| chrome.t("actions.by_civitas").to_string()),
                    h.note
                        .as_deref()
                        .map(|n| format!("：{n}"))
                        .unwrap_or_default()
                )
            })
            .collect(),
        evidence: a
            .evidence
            .iter()
            .map(|e| {
                (
                    e.name.clone(),
                    e.sha256.clone(),
                    format!("{} {}", chrome.datetime(e.added_at), e.added_by),
                )
            })
            .collect(),
        extensions: a
            .extensions
            .iter()
            .map(|x| {
                chrome
                    .t("actions.extension_line")
                    .replacen("{}", &chrome.datetime(x.from), 1)
                    .replacen("{}", &chrome.datetime(x.to), 1)
                    .replacen("{}", x.requested_by.as_str(), 1)
                    .replacen("{}", x.approved_by.as_str(), 1)
                    .replacen("{}", &x.reason, 1)
            })
            .collect(),
        checks: a
            .recurrence_checks
            .iter()
            .map(|c| {
                // The first few pieces of evidence, then how many more (a busy indicator can
                // come back in hundreds of alerts).
                let mut found: Vec<String> = c
                    .evidence
                    .iter()
                    .take(SHOWN_EVIDENCE)
                    .map(|e| {
                        format!(
                            "{} {}（{}）",
                            chrome.datetime(e.seen_at),
                            lbl(&e.reason, lang),
                            e.reference
                        )
                    })
                    .collect();
                if c.evidence.len() > SHOWN_EVIDENCE {
                    found.push(
                        chrome
                            .t("actions.more_evidence")
                            .replace("{}", &(c.evidence.len() - SHOWN_EVIDENCE).to_string()),
                    );
                }
                format!(
                    "{} +{} {}：{}",
                    chrome.datetime(c.at),
                    c.after_days,
                    chrome.t("actions.days"),
                    if found.is_empty() {
                        chrome.t("actions.check_clean").to_string()
                    } else {
                        found.join("；")
                    }
                )
            })
            .collect(),
        can_work: a.status.is_open_work()
            && (is_owner || principal.can_somewhere(Permission::ManageIncidents))
            && principal.can_somewhere(Permission::ManageIncidents),
        can_verify: pending && !is_owner && holds_verify,
        verify_absent,
        can_extend: a.status != ActionStatus::Verified
            && principal.can_somewhere(Permission::ManageIncidents),
        is_owner,
        a: line(&a, &chrome, now, &me),
        chrome,
    };
    render(&view)
}

fn to_action(state: &AppState, id: &RecordId, key: &str) -> Response {
    redirect_with_flash(
        &format!("/incidents/actions/{id}"),
        key,
        id.as_str(),
        state.settings.cookie_secure,
    )
}

/// The owner records work: evidence files (hash checked) and, with a note, submits it.
pub async fn work(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<String>,
    request: axum::extract::Request,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ManageIncidents)?;
    let id = record_id(&id)?;
    let cases = state.platform.cases();
    cases.authorize_work(&page.caller, &id).await?;
    let form = read_form(
        multipart_of(request, &state).await?,
        state.settings.max_upload_bytes,
    )
    .await?;
    let (texts, files) = chosen_files(form);
    let submit = !field(&texts, "submit").is_empty();
    let note = Some(field(&texts, "note").to_string()).filter(|n| !n.is_empty());
    let note = if submit {
        Some(note.ok_or_else(|| {
            civitas_core::DomainError::invalid(
                "note",
                civitas_core::text::Text::new(
                    "送出驗證前請說明完成了什麼",
                    "say what was done before submitting it for verification",
                ),
            )
        })?)
    } else {
        None
    };
    let action = cases
        .record_work(&page.caller, &id, revision(&texts)?, files, note)
        .await?;
    Ok(to_action(
        &state,
        &action.id,
        if action.status == ActionStatus::DonePendingVerification {
            "flash.action_submitted"
        } else {
            "flash.action_recorded"
        },
    ))
}

pub async fn verify(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<String>,
    UiForm(form): UiForm<Pairs>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::VerifyActions)?;
    let id = record_id(&id)?;
    state
        .platform
        .cases()
        .verify(
            &page.caller,
            &id,
            revision(&form)?,
            &required(&form, "note")?,
        )
        .await?;
    Ok(to_action(&state, &id, "flash.action_verified"))
}

pub async fn send_back(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<String>,
    UiForm(form): UiForm<Pairs>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::VerifyActions)?;
    let id = record_id(&id)?;
    state
        .platform
        .cases()
        .send_back(
            &page.caller,
            &id,
            revision(&form)?,
            &required(&form, "reason")?,
        )
        .await?;
    Ok(to_action(&state, &id, "flash.action_sent_back"))
}

pub async fn extend(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<String>,
    UiForm(form): UiForm<Pairs>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ManageIncidents)?;
    let id = record_id(&id)?;
    state
        .platform
        .cases()
        .extend(
            &page.caller,
            &id,
            revision(&form)?,
            local_time("to", field(&form, "to"))?,
            &required(&form, "reason")?,
            &user_name("requested_by", field(&form, "requested_by"))?,
        )
        .await?;
    Ok(to_action(&state, &id, "flash.action_extended"))
}

/// Runs the 30/90-day recurrence checks now (city-wide handlers) and says what it did.
pub async fn recurrence(State(state): State<AppState>, page: Page) -> ApiResult<Response> {
    page.require_somewhere(Permission::ManageIncidents)?;
    let outcomes = state
        .platform
        .cases()
        .run_recurrence_checks(&page.caller)
        .await?;
    let reopened = outcomes
        .iter()
        .filter(|o| matches!(o.decision, RecurrenceDecision::Reopen { .. }))
        .count();
    Ok(redirect_with_flash(
        "/incidents",
        "flash.recurrence_run",
        &format!("{} / {reopened}", outcomes.len()),
        state.settings.cookie_secure,
    ))
}
