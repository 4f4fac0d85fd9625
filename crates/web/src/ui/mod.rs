//! Server-rendered pages (askama + htmx). Every page is rendered with its `Chrome`: the
//! reader's language and date style, their navigation and the CSRF token for forms.

mod account;
mod agencies;
mod alerts;
mod audit;
mod capabilities;
mod catalog;
mod catalog_entry;
mod dashboard;
mod exchange;
mod exchange_traffic;
mod exchange_verify;
mod freshness;
mod harvest;
mod imports;
mod incident_actions;
mod incident_measures;
mod incidents;
mod inventory;
mod login;
mod notifications;
mod platforms;
mod sharing;
mod spreadsheet;
mod tokens;
mod usage;
mod users;
mod worklist;

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use civitas_core::Caller;
use civitas_core::accounts::{Session, User};
use civitas_core::authz::{Permission, Principal, Role, Target};
use civitas_core::error::DomainError;
use civitas_core::time::{DateStyle, Language, Timestamp, format_date, format_datetime};

use crate::auth::{Identity, RequestContext, set_cookie};
use crate::error::{ApiError, ApiResult};
use crate::i18n;
use crate::state::AppState;
pub use audit::csv_response;
pub use catalog::parse_search;

pub const FLASH_COOKIE: &str = "civitas_flash";

pub fn routes(max_upload_bytes: usize) -> Router<AppState> {
    Router::new()
        .route("/", get(dashboard::show))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/preferences/language", post(login::switch_language))
        .route("/account", get(account::show))
        .route("/account/preferences", post(account::preferences))
        .route("/account/password", post(account::password))
        .route("/tokens", get(tokens::list).post(tokens::create))
        .route("/tokens/{id}/revoke", post(tokens::revoke))
        .route("/agencies", get(agencies::list).post(agencies::create))
        .route("/agencies/new", get(agencies::new_form))
        .route(
            "/agencies/import",
            get(agencies::import_form)
                .post(agencies::import)
                .layer(axum::extract::DefaultBodyLimit::max(max_upload_bytes)),
        )
        .route(
            "/agencies/{code}",
            get(agencies::show).post(agencies::update),
        )
        .route("/agencies/{code}/edit", get(agencies::edit_form))
        .route("/agencies/{code}/retire", post(agencies::retire))
        .route("/agencies/{code}/reactivate", post(agencies::reactivate))
        .route("/users", get(users::list).post(users::create))
        .route("/users/new", get(users::new_form))
        .route("/users/{name}", get(users::show).post(users::update))
        .route("/users/{name}/grants", post(users::grant))
        .route("/users/{name}/grants/{id}/revoke", post(users::revoke))
        .route("/users/{name}/password", post(users::reset_password))
        .route("/users/{name}/unlock", post(users::unlock))
        .route("/audit", get(audit::list))
        .route("/audit/export.csv", get(audit::export))
        .route("/audit/verify", post(audit::verify))
        .route("/catalog", get(catalog::search))
        .route(
            "/catalog/new",
            get(catalog_entry::new_form).post(catalog_entry::create),
        )
        .route(
            "/catalog/import",
            get(catalog_entry::import_form)
                .post(catalog_entry::import)
                .layer(axum::extract::DefaultBodyLimit::max(max_upload_bytes)),
        )
        .route("/catalog/template.csv", get(catalog_entry::template))
        .route("/catalog/template.xlsx", get(catalog_entry::template))
        .route("/catalog/template.ods", get(catalog_entry::template))
        .route(
            "/catalog/datasets/{id}/edit",
            get(catalog_entry::edit_form).post(catalog_entry::update),
        )
        .route("/catalog/harvest", get(harvest::list))
        .route("/catalog/harvest/{name}/run", post(harvest::run_now))
        .route("/catalog/datasets/{id}", get(catalog::dataset))
        .route("/catalog/datasets/{id}/review", post(catalog::review))
        .route(
            "/catalog/datasets/{id}/request",
            get(sharing::request_form).post(sharing::request_submit),
        )
        .route(
            "/catalog/datasets/{id}/upload",
            post(sharing::upload).layer(axum::extract::DefaultBodyLimit::max(max_upload_bytes)),
        )
        .route("/catalog/datasets/{id}/preview", get(sharing::preview))
        .route("/catalog/datasets/{id}/file", get(sharing::download))
        .route("/sharing", get(sharing::overview))
        .route("/sharing/requests/{id}", get(sharing::request_detail))
        .route("/sharing/requests/{id}/decision", post(sharing::decide))
        .route("/sharing/requests/{id}/withdraw", post(sharing::withdraw))
        .route("/sharing/grants/{id}", get(sharing::grant_detail))
        .route("/sharing/grants/{id}/keys", post(sharing::create_key))
        .route(
            "/sharing/grants/{id}/keys/{key}/revoke",
            post(sharing::revoke_key),
        )
        .route("/sharing/grants/{id}/revoke", post(sharing::revoke_grant))
        .route("/exchange", get(exchange::services))
        .route("/exchange/services", post(exchange::register))
        .route("/exchange/services/{id}/disable", post(exchange::disable))
        .route("/exchange/services/{id}/enable", post(exchange::enable))
        .route(
            "/exchange/services/{id}/traffic",
            get(exchange_traffic::traffic),
        )
        .route(
            "/exchange/grants",
            get(exchange::grants).post(exchange::create_grant),
        )
        .route("/exchange/grants/{id}/revoke", post(exchange::revoke_grant))
        .route("/exchange/log", get(exchange::log))
        .route("/exchange/log/{id}/{side}", get(exchange::container))
        .route("/exchange/readiness", get(exchange::readiness))
        .route(
            "/exchange/verify",
            get(exchange_verify::form)
                .post(exchange_verify::upload)
                .layer(axum::extract::DefaultBodyLimit::max(max_upload_bytes)),
        )
        .route("/worklist", get(worklist::show))
        .route("/usage", get(usage::show))
        .route("/usage/datasets.csv", get(usage::export))
        .route("/usage/datasets.xlsx", get(usage::export))
        .route("/usage/datasets.ods", get(usage::export))
        .route("/inventory", get(inventory::overview))
        .route("/inventory/demands.csv", get(inventory::export))
        .route("/inventory/demands.xlsx", get(inventory::export))
        .route("/inventory/demands.ods", get(inventory::export))
        .route("/inventory/agencies/{code}", get(inventory::agency))
        .route("/inventory/demands", post(inventory::create))
        .route("/inventory/demands/new", get(inventory::new_form))
        .route(
            "/inventory/demands/{id}",
            get(inventory::demand).post(inventory::update),
        )
        .route("/inventory/demands/{id}/edit", get(inventory::edit_form))
        .route(
            "/inventory/demands/{id}/status",
            post(inventory::set_status),
        )
        .route(
            "/inventory/demands/{id}/matches",
            post(inventory::confirm_match),
        )
        .route(
            "/inventory/demands/{id}/matches/{dataset_id}/remove",
            post(inventory::remove_match),
        )
        .route("/platforms", get(platforms::show).post(platforms::create))
        .route("/platforms/benefit.csv", get(platforms::export))
        .route("/platforms/benefit.xlsx", get(platforms::export))
        .route("/platforms/benefit.ods", get(platforms::export))
        .route("/platforms/sources", post(platforms::map_source))
        .route("/platforms/{id}/costs", post(platforms::set_cost))
        .route("/freshness", get(freshness::show))
        .route("/freshness/recompute", post(freshness::recompute))
        .route("/freshness/late.csv", get(freshness::export))
        .route("/freshness/late.xlsx", get(freshness::export))
        .route("/freshness/late.ods", get(freshness::export))
        .route("/imports", get(imports::list))
        .route("/imports/{id}", get(imports::show))
        .route("/notifications", get(notifications::list))
        .route("/notifications/read-all", post(notifications::read_all))
        .route("/notifications/{id}/read", post(notifications::read))
        .route("/incidents/measures", get(incident_measures::measures))
        .route(
            "/incidents/measures.xlsx",
            get(incident_measures::measures_export),
        )
        .route(
            "/incidents/measures.ods",
            get(incident_measures::measures_export),
        )
        .route(
            "/incidents/measures.csv",
            get(incident_measures::measures_export),
        )
        .route("/incidents/compliance", get(incident_measures::compliance))
        .route(
            "/incidents/compliance.xlsx",
            get(incident_measures::compliance_export),
        )
        .route(
            "/incidents/compliance.ods",
            get(incident_measures::compliance_export),
        )
        .route(
            "/incidents/compliance.csv",
            get(incident_measures::compliance_export),
        )
        .route("/alerts", get(alerts::analysis))
        .route("/alerts/list", get(alerts::list))
        .route("/alerts/notes", post(alerts::add_note))
        .route("/alerts/report", get(alerts::report))
        .route("/alerts/report.csv", get(alerts::report_export))
        .route("/alerts/report.xlsx", get(alerts::report_export))
        .route("/alerts/report.ods", get(alerts::report_export))
        .route("/alerts/report/commentary", post(alerts::save_commentary))
        .route("/alerts/rules", get(alerts::rules).post(alerts::save_rules))
        .route("/alerts/rules/preview", post(alerts::preview_rules))
        .route("/alerts/{id}", get(alerts::show))
        .route("/incidents", get(incidents::board).post(incidents::create))
        .route("/incidents/new", get(incidents::new_form))
        .route("/incidents/recurrence", post(incident_actions::recurrence))
        .route("/incidents/actions/mine", get(incident_actions::mine))
        .route("/incidents/actions/verify", get(incident_actions::queue))
        .route("/incidents/actions/{id}", get(incident_actions::show))
        .route(
            "/incidents/actions/{id}/work",
            post(incident_actions::work)
                .layer(axum::extract::DefaultBodyLimit::max(max_upload_bytes)),
        )
        .route(
            "/incidents/actions/{id}/verify",
            post(incident_actions::verify),
        )
        .route(
            "/incidents/actions/{id}/send-back",
            post(incident_actions::send_back),
        )
        .route(
            "/incidents/actions/{id}/extend",
            post(incident_actions::extend),
        )
        .route(
            "/incidents/forensics/{id}/report",
            post(incidents::upload_report)
                .layer(axum::extract::DefaultBodyLimit::max(max_upload_bytes)),
        )
        .route(
            "/incidents/forensics/{id}/accept",
            post(incidents::accept_report),
        )
        .route(
            "/incidents/forensics/{id}/findings",
            post(incidents::add_finding),
        )
        .route("/incidents/{id}", get(incidents::show))
        .route("/incidents/{id}/assess", post(incidents::assess))
        .route("/incidents/{id}/events", post(incidents::add_event))
        .route("/incidents/{id}/determine", post(incidents::determine))
        .route("/incidents/{id}/close", post(incidents::close))
        .route(
            "/incidents/{id}/forensics",
            post(incidents::request_forensics),
        )
        .route("/incidents/{id}/actions", post(incidents::plan_action))
        .route(
            "/incidents/{id}/evidence",
            post(incidents::collect_evidence)
                .layer(axum::extract::DefaultBodyLimit::max(max_upload_bytes)),
        )
        .route(
            "/incidents/{id}/evidence/{item}/handover",
            post(incidents::hand_over),
        )
        .route("/incidents/{id}/custody.csv", get(incidents::custody_csv))
        .route("/{capability}", get(capabilities::show))
}

pub struct ChromeUser {
    pub name: String,
    pub display_name: String,
}

pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
    pub coming: bool,
}

pub struct NavGroup {
    pub label: &'static str,
    pub items: Vec<NavItem>,
}

/// What every page's frame needs.
pub struct Chrome {
    pub lang: Language,
    pub date_style: DateStyle,
    pub user: Option<ChromeUser>,
    pub csrf: String,
    pub nav: Vec<NavGroup>,
    pub flash: Option<String>,
    pub path: String,
    pub title: String,
    pub version: &'static str,
    /// The reader's unread notifications, for the bell in the header.
    pub unread: u64,
}

impl Chrome {
    pub fn t(&self, key: &str) -> &'static str {
        i18n::t(self.lang, key)
    }

    /// "通知（3 則未讀）": what the bell says to a screen reader.
    pub fn bell_label(&self) -> String {
        if self.unread == 0 {
            self.t("notify.bell").to_string()
        } else {
            self.t("notify.bell_unread")
                .replace("{}", &self.unread.to_string())
        }
    }

    pub fn html_lang(&self) -> &'static str {
        match self.lang {
            Language::ZhTw => "zh-Hant-TW",
            Language::En => "en",
        }
    }

    pub fn other_language(&self) -> &'static str {
        match self.lang {
            Language::ZhTw => "en",
            Language::En => "zh-TW",
        }
    }

    pub fn date(&self, at: Timestamp) -> String {
        format_date(at, self.date_style, self.lang)
    }

    pub fn datetime(&self, at: Timestamp) -> String {
        format_datetime(at, self.date_style, self.lang)
    }

    pub fn opt_datetime(&self, at: Option<Timestamp>) -> String {
        at.map(|t| self.datetime(t)).unwrap_or_else(|| "—".into())
    }

    pub fn role(&self, role: Role) -> &'static str {
        match self.lang {
            Language::ZhTw => role.label_zh(),
            Language::En => role.label_en(),
        }
    }

    /// "資料管理人（文化局）", "Auditor (city-wide)".
    pub fn grant(
        &self,
        grant: &civitas_core::authz::Grant,
        agency_names: &HashMap<String, String>,
    ) -> String {
        let scope = match &grant.scope {
            civitas_core::authz::Scope::City => self.t("user.city_wide").to_string(),
            civitas_core::authz::Scope::Agency(code) => agency_names
                .get(code.as_str())
                .cloned()
                .unwrap_or_else(|| code.to_string()),
        };
        match self.lang {
            Language::ZhTw => format!("{}（{scope}）", self.role(grant.role)),
            Language::En => format!("{} ({scope})", self.role(grant.role)),
        }
    }

    fn anonymous(ctx: &RequestContext, csrf: String, title: &str) -> Self {
        Chrome {
            lang: ctx.lang,
            date_style: DateStyle::Roc,
            user: None,
            csrf,
            nav: Vec::new(),
            flash: flash_text(ctx),
            path: ctx.path.clone(),
            title: title.to_string(),
            version: env!("CARGO_PKG_VERSION"),
            unread: 0,
        }
    }
}

fn flash_text(ctx: &RequestContext) -> Option<String> {
    let encoded = ctx.flash.as_deref()?;
    let decoded: Vec<(String, String)> =
        serde_urlencoded::from_str(&format!("v={encoded}")).ok()?;
    let raw = decoded.into_iter().next()?.1;
    let (key, param) = raw.split_once('|').unwrap_or((raw.as_str(), ""));
    // Only known messages are shown: a forged cookie cannot put words on the page.
    let template = i18n::get(ctx.lang, key)?;
    Some(template.replace("{}", param))
}

fn nav(principal: &Principal, lang: Language, path: &str) -> Vec<NavGroup> {
    let t = |k: &str| i18n::t(lang, k);
    let item = |href: &'static str, key: &str, coming: bool| NavItem {
        href,
        label: t(key),
        current: if href == "/" {
            path == "/"
        } else {
            path == href || path.starts_with(&format!("{href}/"))
        },
        coming,
    };
    let mut admin = Vec::new();
    if principal.can_somewhere(Permission::ReadAgencies) {
        admin.push(item("/agencies", "nav.agencies", false));
    }
    if principal.can_somewhere(Permission::ReadUsers) {
        admin.push(item("/users", "nav.users", false));
    }
    if principal.can_somewhere(Permission::ReadImports) {
        admin.push(item("/imports", "nav.imports", false));
    }
    if principal.can(Permission::ManageCatalog, &Target::City) {
        admin.push(item("/catalog/harvest", "nav.harvest", false));
    }
    if principal.can(Permission::ReadAudit, &Target::City) {
        admin.push(item("/audit", "nav.audit", false));
    }
    let mut groups = vec![
        NavGroup {
            label: t("nav.group_overview"),
            items: std::iter::once(item("/", "nav.home", false))
                .chain(
                    principal
                        .can_somewhere(Permission::ManageCatalog)
                        .then(|| item("/worklist", "nav.worklist", false)),
                )
                .collect(),
        },
        NavGroup {
            label: t("nav.group_data"),
            items: [
                item("/catalog", "nav.catalog", false),
                item("/freshness", "nav.freshness", false),
                item("/sharing", "nav.sharing", false),
                item("/inventory", "nav.inventory", false),
                item("/usage", "nav.usage", false),
            ]
            .into_iter()
            .chain(
                principal
                    .can_somewhere(Permission::ReadExchange)
                    .then(|| item("/exchange", "nav.exchange", false)),
            )
            .chain(
                principal
                    .can_somewhere(Permission::ReadPortfolio)
                    .then(|| item("/platforms", "nav.platforms", false)),
            )
            .chain(
                capabilities::DATA
                    .iter()
                    .map(|c| item(c.href, c.nav_key, true)),
            )
            .collect(),
        },
        NavGroup {
            label: t("nav.group_security"),
            items: principal
                .can_somewhere(Permission::ReadAlerts)
                .then(|| item("/alerts", "nav.alerts", false))
                .into_iter()
                .chain(
                    principal
                        .can_somewhere(Permission::ReadIncidents)
                        .then(|| item("/incidents", "nav.cases", false)),
                )
                .chain(
                    principal
                        .can_somewhere(Permission::ReadIncidents)
                        .then(|| item("/incidents/measures", "nav.incident_measures", false)),
                )
                .chain(
                    capabilities::SECURITY
                        .iter()
                        .map(|c| item(c.href, c.nav_key, true)),
                )
                .collect(),
        },
    ];
    if !admin.is_empty() {
        groups.push(NavGroup {
            label: t("nav.group_admin"),
            items: admin,
        });
    }
    groups.push(NavGroup {
        label: t("nav.group_me"),
        items: vec![
            item("/account", "nav.account", false),
            item("/tokens", "nav.tokens", false),
        ],
    });
    groups
}

/// A signed-in person viewing a page. Anyone else is sent to the sign-in page.
pub struct Page {
    pub ctx: RequestContext,
    pub caller: Caller,
    pub user: User,
    pub session: Session,
    /// Unread notifications, counted once per page for the bell.
    pub unread: u64,
}

impl FromRequestParts<AppState> for Page {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ctx = RequestContext::from_request_parts(parts, state).await?;
        match &ctx.identity {
            Identity::Session {
                session,
                user,
                principal,
            } => {
                let caller = Caller::new(principal.clone(), ctx.ip.clone());
                // A bell without a number is better than no page at all.
                let unread = state
                    .platform
                    .notifications()
                    .unread_count(&caller)
                    .await
                    .unwrap_or(0);
                Ok(Page {
                    caller,
                    user: (**user).clone(),
                    session: (**session).clone(),
                    ctx: ctx.clone(),
                    unread,
                })
            }
            _ => Err(ApiError::unauthenticated()),
        }
    }
}

impl Page {
    pub fn chrome(&self, title_key: &str) -> Chrome {
        Chrome {
            lang: self.ctx.lang,
            date_style: self.user.date_style,
            user: Some(ChromeUser {
                name: self.user.name.to_string(),
                display_name: self.user.display_name.clone(),
            }),
            csrf: self.session.csrf_token.clone(),
            nav: nav(&self.caller.principal, self.ctx.lang, &self.ctx.path),
            flash: flash_text(&self.ctx),
            path: self.ctx.path.clone(),
            title: i18n::t(self.ctx.lang, title_key).to_string(),
            version: env!("CARGO_PKG_VERSION"),
            unread: self.unread,
        }
    }

    pub fn can(&self, permission: Permission, target: &Target) -> bool {
        self.caller.principal.can(permission, target)
    }

    pub fn require(&self, permission: Permission, target: &Target) -> ApiResult<()> {
        self.caller.principal.authorize(permission, target)?;
        Ok(())
    }

    pub fn require_somewhere(&self, permission: Permission) -> ApiResult<()> {
        if self.caller.principal.can_somewhere(permission) {
            Ok(())
        } else {
            Err(DomainError::Forbidden {
                needed: permission.as_str().into(),
            }
            .into())
        }
    }
}

pub fn render(template: &impl Template) -> ApiResult<Response> {
    template
        .render()
        .map(|html| Html(html).into_response())
        .map_err(ApiError::internal)
}

pub fn render_status(status: StatusCode, template: &impl Template) -> ApiResult<Response> {
    let mut response = render(template)?;
    *response.status_mut() = status;
    Ok(response)
}

/// After a successful form: go to `to` and show a message there (post/redirect/get).
pub fn redirect_with_flash(to: &str, key: &str, param: &str, secure: bool) -> Response {
    let mut response = Redirect::to(to).into_response();
    let value = format!("{key}|{param}");
    let encoded: String = form_urlencoded_encode(&value);
    set_cookie(
        response.headers_mut(),
        FLASH_COOKIE,
        &encoded,
        secure,
        Some(60),
    );
    response
}

fn form_urlencoded_encode(text: &str) -> String {
    serde_urlencoded::to_string([("v", text)])
        .map(|s| s.trim_start_matches("v=").to_string())
        .unwrap_or_default()
}

/// A local path to return to after signing in; anything else becomes "/".
pub fn safe_next(next: &str) -> String {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.contains("://");
    if ok {
        next.to_string()
    } else {
        "/".to_string()
    }
}

/// Agency code → display name, for showing grants and homes.
pub async fn agency_names(state: &AppState) -> HashMap<String, String> {
    state
        .platform
        .stores
        .agencies
        .agencies()
        .await
        .map(|list| {
            list.into_iter()
                .map(|a| (a.code.to_string(), a.display_name_zh().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// Field errors for re-rendering a form: `_` holds a message not tied to one field.
#[derive(Debug, Default)]
pub struct FieldErrors(HashMap<String, String>);

impl FieldErrors {
    pub fn new() -> Self {
        FieldErrors::default()
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }
}

pub fn field_errors(e: &DomainError, lang: Language) -> FieldErrors {
    let mut map = HashMap::new();
    match e {
        DomainError::Invalid { field, .. } => {
            map.insert(field.clone(), e.message(lang));
        }
        _ => {
            map.insert("_".to_string(), e.message(lang));
        }
    }
    FieldErrors(map)
}

/// True for errors a form should show next to its fields rather than as an error page.
pub fn is_form_error(e: &DomainError) -> bool {
    matches!(
        e,
        DomainError::Invalid { .. } | DomainError::AlreadyExists { .. } | DomainError::Conflict(_)
    )
}

pub fn no_store(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    chrome: Chrome,
    heading: &'a str,
    message: &'a str,
    code: &'a str,
    request_id: &'a str,
}

#[derive(Template)]
#[template(path = "error_partial.html")]
struct ErrorPartial<'a> {
    message: &'a str,
    code: &'a str,
}

/// The HTML form of an error, framed like any page when the reader is signed in.
pub fn error_page(ctx: &RequestContext, error: &ApiError) -> Response {
    let message = error.message.get(ctx.lang).to_string();
    let rendered = if ctx.is_htmx {
        ErrorPartial {
            message: &message,
            code: error.code,
        }
        .render()
    } else {
        let heading_key = match error.status.as_u16() {
            403 => "error.forbidden",
            404 => "error.not_found",
            409 => "error.conflict",
            400 | 413 | 415 => "error.bad_request",
            429 => "error.slow_down",
            _ if error.status.is_server_error() => "error.internal",
            _ => "error.generic",
        };
        let chrome = match &ctx.identity {
            Identity::Session {
                session,
                user,
                principal,
            } => Page {
                ctx: ctx.clone(),
                caller: Caller::new(principal.clone(), ctx.ip.clone()),
                user: (**user).clone(),
                session: (**session).clone(),
                unread: 0,
            }
            .chrome(heading_key),
            _ => Chrome::anonymous(
                ctx,
                ctx.anon_csrf.clone().unwrap_or_default(),
                i18n::t(ctx.lang, heading_key),
            ),
        };
        ErrorPage {
            heading: i18n::t(ctx.lang, heading_key),
            message: &message,
            code: error.code,
            request_id: &ctx.request_id,
            chrome,
        }
        .render()
    };
    let mut response = match rendered {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "error page failed to render");
            message.into_response()
        }
    };
    *response.status_mut() = error.status;
    response
}
