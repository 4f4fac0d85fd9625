//! The home page: what this person can do, the platform's numbers and recent activity.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use civitas_core::audit::{AuditFilter, Outcome};
use civitas_core::authz::{Permission, Target};
use civitas_core::page::PageRequest;
use civitas_core::time::{Language, format_date};

use super::{Chrome, Page, capabilities, render_status};
use crate::error::ApiResult;
use crate::i18n;
use crate::state::AppState;

pub struct ChainSummary {
    pub intact: bool,
    pub text: String,
}

pub struct Tile {
    pub href: &'static str,
    pub title: &'static str,
    pub summary: &'static str,
    pub coming: bool,
}

pub struct RecentRow {
    pub when: String,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub failed: bool,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    chrome: Chrome,
    greeting: String,
    roles: Vec<String>,
    no_roles: bool,
    agencies_active: usize,
    agencies_retired: usize,
    users: Option<u64>,
    my_tokens: usize,
    chain: Option<ChainSummary>,
    activity: Vec<(String, u64, u64)>,
    activity_total: u64,
    activity_json: String,
    tiles: Vec<Tile>,
    recent: Vec<RecentRow>,
}

/// Text of the last chain check, for the dashboard card and the audit page.
pub fn chain_summary(chrome: &Chrome, check: &crate::state::ChainCheck) -> ChainSummary {
    let v = &check.verification;
    let when = chrome.datetime(check.at);
    match &v.problem {
        None => ChainSummary {
            intact: true,
            text: i18n::t(chrome.lang, "chain.ok_text")
                .replace("{n}", &v.entries_checked.to_string())
                .replace("{when}", &when),
        },
        Some(p) => ChainSummary {
            intact: false,
            text: i18n::t(chrome.lang, "chain.bad_text")
                .replace("{seq}", &p.seq.to_string())
                .replace("{msg}", &p.message)
                .replace("{when}", &when),
        },
    }
}

pub async fn show(State(state): State<AppState>, page: Page) -> ApiResult<Response> {
    let chrome = page.chrome("dash.title");
    let lang = chrome.lang;
    let now = state.platform.now();
    let principal = &page.caller.principal;
    let names = super::agency_names(&state).await;
    let roles: Vec<String> = principal
        .grants
        .iter()
        .map(|g| chrome.grant(g, &names))
        .collect();
    let greeting = match lang {
        Language::ZhTw => format!(
            "{}，您好。今天是{}。",
            page.user.display_name,
            chrome.date(now)
        ),
        Language::En => format!(
            "Hello, {}. Today is {}.",
            page.user.display_name,
            chrome.date(now)
        ),
    };
    let tiles = vec![
        Tile {
            href: "/catalog",
            title: i18n::t(lang, "nav.catalog"),
            summary: i18n::t(lang, "tile.catalog"),
            coming: false,
        },
        Tile {
            href: "/freshness",
            title: i18n::t(lang, "nav.freshness"),
            summary: i18n::t(lang, "cap.freshness.summary"),
            coming: false,
        },
        Tile {
            href: "/sharing",
            title: i18n::t(lang, "nav.sharing"),
            summary: i18n::t(lang, "cap.sharing.summary"),
            coming: false,
        },
        Tile {
            href: "/usage",
            title: i18n::t(lang, "nav.usage"),
            summary: i18n::t(lang, "tile.usage"),
            coming: false,
        },
        Tile {
            href: "/agencies",
            title: i18n::t(lang, "nav.agencies"),
            summary: i18n::t(lang, "tile.agencies"),
            coming: false,
        },
    ]
    .into_iter()
    .chain(capabilities::all().map(|c| Tile {
        href: c.href,
        title: i18n::t(lang, c.nav_key),
        summary: i18n::t(lang, &format!("cap.{}.summary", c.slug)),
        coming: true,
    }))
    .collect();

    if !principal.can_somewhere(Permission::ReadDashboard) {
        let template = Dashboard {
            chrome,
            greeting,
            roles,
            no_roles: true,
            agencies_active: 0,
            agencies_retired: 0,
            users: None,
            my_tokens: 0,
            chain: None,
            activity: Vec::new(),
            activity_total: 0,
            activity_json: "[]".into(),
            tiles,
            recent: Vec::new(),
        };
        return render_status(StatusCode::FORBIDDEN, &template);
    }

    let agencies = state.platform.agencies().list(&page.caller).await?;
    let agencies_active = agencies.iter().filter(|a| a.active).count();
    let users = if principal.can(Permission::ReadUsers, &Target::City) {
        Some(state.platform.stores.accounts.count_users().await?)
    } else {
        None
    };
    let my_tokens = state
        .platform
        .tokens()
        .list(&page.caller, None)
        .await?
        .iter()
        .filter(|t| t.is_usable(now))
        .count();
    let can_audit = principal.can(Permission::ReadAudit, &Target::City);
    let chain = if can_audit {
        let check = match state.last_chain_check() {
            Some(c) => Some(c),
            None => state.check_chain().await,
        };
        check.map(|c| chain_summary(&chrome, &c))
    } else {
        None
    };

    // Thirty days of sign-ins and changes, every day present so the chart has no gaps.
    let audit = state.platform.audit();
    let logins = audit
        .daily_activity(&page.caller, 30, Some("auth.login"))
        .await?;
    let everything = audit.daily_activity(&page.caller, 30, None).await?;
    let mut activity = Vec::new();
    for back in (0..30).rev() {
        let day = now.sub(time::Duration::days(back));
        let iso = civitas_core::time::iso_date(day.taipei_date());
        let l = logins
            .iter()
            .find(|(d, _)| *d == iso)
            .map(|(_, n)| *n)
            .unwrap_or(0);
        let all = everything
            .iter()
            .find(|(d, _)| *d == iso)
            .map(|(_, n)| *n)
            .unwrap_or(0);
        activity.push((
            format_date(day, chrome.date_style, lang),
            l,
            all.saturating_sub(l),
            iso,
        ));
    }
    let activity_total = activity.iter().map(|(_, l, c, _)| l + c).sum();
    let activity_json = serde_json::to_string(
        &activity
            .iter()
            .map(|(_, l, c, iso)| serde_json::json!([iso, l, c]))
            .collect::<Vec<_>>(),
    )
    .unwrap_or_else(|_| "[]".into())
    .replace('<', "\\u003c");
    let activity = activity.into_iter().map(|(d, l, c, _)| (d, l, c)).collect();

    let recent = if can_audit {
        audit
            .query(
                &page.caller,
                &AuditFilter::default(),
                PageRequest {
                    page: 1,
                    per_page: 8,
                },
            )
            .await?
            .items
            .into_iter()
            .map(|e| RecentRow {
                when: chrome.datetime(e.at),
                actor: e.actor_name,
                action: super::audit::action_label(lang, &e.action),
                object: format!("{} {}", e.object_type, e.object_id),
                failed: e.outcome != Outcome::Success,
            })
            .collect()
    } else {
        Vec::new()
    };

    let template = Dashboard {
        greeting,
        roles,
        no_roles: false,
        agencies_active,
        agencies_retired: agencies.len() - agencies_active,
        users,
        my_tokens,
        chain,
        activity,
        activity_total,
        activity_json,
        tiles,
        recent,
        chrome,
    };
    render_status(StatusCode::OK, &template)
}
