//! The exchange gateway for people who are not engineers: the services each agency offers
//! through `/r1` (with forms to register, disable and enable them), the access grants that
//! answer approved sharing requests (with revocation), and a searchable message log.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use civitas_core::agencies::AgencyCode;
use civitas_core::authz::Permission;
use civitas_core::exchange::rest::Endpoint;
use civitas_core::exchange::{
    AccessGrant, GrantInput, MessageFilter, RegisteredService, ServiceInput,
};
use civitas_core::page::PageRequest;
use civitas_core::time::{TAIPEI, Timestamp};
use serde::{Deserialize, Serialize};

use super::{
    Chrome, FieldErrors, Page, agency_names, field_errors, is_form_error, redirect_with_flash,
    render, render_status,
};
use crate::error::ApiResult;
use crate::extract::{ApiPath, ApiQuery, UiForm};
use crate::state::AppState;

type Pairs = Vec<(String, String)>;

fn value<'a>(pairs: &'a Pairs, key: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

fn non_empty(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

/// The five parts of an X-Road service id, named for a reader.
pub struct IdPart {
    pub label: &'static str,
    pub value: String,
}

pub struct ServiceRow {
    pub id: i64,
    pub path: String,
    pub parts: Vec<IdPart>,
    pub title: String,
    pub agency: String,
    pub base_url: String,
    pub timeout_s: String,
    pub tls_verify: bool,
    pub openapi: bool,
    pub endpoints: Vec<String>,
    pub disabled_notice: Option<String>,
    pub updated: String,
    pub can_manage: bool,
}

#[derive(Template)]
#[template(path = "exchange/services.html")]
struct ServicesPage {
    chrome: Chrome,
    services: Vec<ServiceRow>,
    /// Agencies the reader may register services for: (code, name).
    manage_agencies: Vec<(String, String)>,
    form: Pairs,
    errors: FieldErrors,
}

impl ServicesPage {
    fn v(&self, key: &str) -> &str {
        value(&self.form, key)
    }
}

fn id_parts(s: &RegisteredService, chrome: &Chrome) -> Vec<IdPart> {
    let path = s.service_path();
    let labels = [
        "exchange.id_instance",
        "exchange.id_class",
        "exchange.id_member",
        "exchange.id_subsystem",
        "exchange.id_service",
    ];
    path.split('/')
        .zip(labels)
        .map(|(v, l)| IdPart {
            label: chrome.t(l),
            value: v.to_string(),
        })
        .collect()
}

/// Agencies where the reader holds `manage_exchange`.
async fn managed(state: &AppState, page: &Page) -> ApiResult<Vec<AgencyCode>> {
    let mut out = Vec::new();
    if !page
        .caller
        .principal
        .can_somewhere(Permission::ManageExchange)
    {
        return Ok(out);
    }
    for a in state.platform.stores.agencies.agencies().await? {
        let target = state.platform.agencies().target(Some(&a.code)).await?;
        if page.can(Permission::ManageExchange, &target) {
            out.push(a.code);
        }
    }
    Ok(out)
}

async fn services_page(
    state: &AppState,
    page: &Page,
    form: Pairs,
    errors: FieldErrors,
) -> ApiResult<ServicesPage> {
    page.require_somewhere(Permission::ReadExchange)?;
    let services = state.platform.exchange().services(&page.caller).await?;
    let names = agency_names(state).await;
    let mine = managed(state, page).await?;
    let chrome = page.chrome("exchange.title");
    let rows = services
        .into_iter()
        .map(|s| ServiceRow {
            id: s.id,
            path: s.service_path(),
            parts: id_parts(&s, &chrome),
            agency: names
                .get(s.agency.as_str())
                .cloned()
                .unwrap_or_else(|| s.agency.to_string()),
            base_url: s.base_url.clone(),
            timeout_s: format!("{:.1}", f64::from(s.timeout_ms) / 1000.0),
            tls_verify: s.tls_verify,
            openapi: s.openapi.is_some(),
            endpoints: s
                .endpoints
                .iter()
                .map(|e| format!("{} {}", e.method, e.path))
                .collect(),
            updated: chrome.datetime(s.updated_at),
            can_manage: mine.contains(&s.agency),
            disabled_notice: s.disabled_notice,
            title: s.title,
        })
        .collect();
    let manage_agencies = mine
        .iter()
        .map(|c| {
            (
                c.to_string(),
                names
                    .get(c.as_str())
                    .cloned()
                    .unwrap_or_else(|| c.to_string()),
            )
        })
        .collect();
    Ok(ServicesPage {
        chrome,
        services: rows,
        manage_agencies,
        form,
        errors,
    })
}

pub async fn services(State(state): State<AppState>, page: Page) -> ApiResult<Response> {
    let p = services_page(&state, &page, Vec::new(), FieldErrors::new()).await?;
    render(&p)
}

/// Register a service from the form; the OpenAPI description is pasted or uploaded as text.
pub async fn register(
    State(state): State<AppState>,
    page: Page,
    UiForm(pairs): UiForm<Pairs>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ManageExchange)?;
    let agency = match AgencyCode::parse(value(&pairs, "agency").trim()) {
        Ok(a) => a,
        Err(_) => {
            let e = civitas_core::DomainError::invalid(
                "agency",
                civitas_core::text::Text::new(
                    "請選擇提供服務的機關",
                    "choose the agency offering the service",
                ),
            );
            let p = services_page(&state, &page, pairs, field_errors(&e, page.ctx.lang)).await?;
            return render_status(StatusCode::BAD_REQUEST, &p);
        }
    };
    let timeout_ms = match non_empty(value(&pairs, "timeout_s")) {
        None => None,
        Some(t) => match t.parse::<f64>() {
            Ok(s) if s > 0.0 && s <= 300.0 => Some((s * 1000.0).round() as u32),
            _ => {
                let e = civitas_core::DomainError::invalid(
                    "timeout_s",
                    civitas_core::text::Text::new(
                        "逾時請填 0 到 300 之間的秒數，例如 30",
                        "write the timeout in seconds between 0 and 300, e.g. 30",
                    ),
                );
                let p =
                    services_page(&state, &page, pairs, field_errors(&e, page.ctx.lang)).await?;
                return render_status(StatusCode::BAD_REQUEST, &p);
            }
        },
    };
    let input = ServiceInput {
        service_id: value(&pairs, "service_id").trim().to_string(),
        agency,
        title: value(&pairs, "title").trim().to_string(),
        subsystem_name: non_empty(value(&pairs, "subsystem_name")),
        base_url: value(&pairs, "base_url").trim().to_string(),
        dataset_id: None,
        timeout_ms,
        tls_verify: Some(value(&pairs, "tls_verify") == "on"),
        openapi: non_empty(value(&pairs, "openapi")),
    };
    match state
        .platform
        .exchange()
        .register_service(&page.caller, input)
        .await
    {
        Ok(s) => Ok(redirect_with_flash(
            "/exchange",
            "flash.exchange_registered",
            &s.title,
            state.settings.cookie_secure,
        )),
        Err(e) if is_form_error(&e) => {
            let errors = field_errors(&e, page.ctx.lang);
            let p = services_page(&state, &page, pairs, errors).await?;
            render_status(StatusCode::BAD_REQUEST, &p)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn disable(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<i64>,
    UiForm(pairs): UiForm<Pairs>,
) -> ApiResult<Response> {
    set_disabled(state, page, id, Some(value(&pairs, "notice").to_string())).await
}

pub async fn enable(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    set_disabled(state, page, id, None).await
}

async fn set_disabled(
    state: AppState,
    page: Page,
    id: i64,
    notice: Option<String>,
) -> ApiResult<Response> {
    let disabling = notice.is_some();
    match state
        .platform
        .exchange()
        .set_disabled(&page.caller, id, notice)
        .await
    {
        Ok(s) => Ok(redirect_with_flash(
            "/exchange",
            if disabling {
                "flash.exchange_disabled"
            } else {
                "flash.exchange_enabled"
            },
            &s.title,
            state.settings.cookie_secure,
        )),
        Err(e) if is_form_error(&e) => {
            let errors = field_errors(&e, page.ctx.lang);
            let p = services_page(&state, &page, Vec::new(), errors).await?;
            render_status(StatusCode::BAD_REQUEST, &p)
        }
        Err(e) => Err(e.into()),
    }
}

pub struct GrantRow {
    pub id: i64,
    pub service: String,
    pub provider: String,
    pub endpoint: String,
    pub subject: String,
    pub request_id: i64,
    pub requester: String,
    pub purpose: String,
    pub legal_basis: String,
    pub approved: String,
    pub valid: String,
    pub state: &'static str,
    pub state_key: &'static str,
    pub revoked: Option<String>,
    pub can_revoke: bool,
}

#[derive(Template)]
#[template(path = "exchange/grants.html")]
struct GrantsPage {
    chrome: Chrome,
    grants: Vec<GrantRow>,
    /// Approved, still valid sharing approvals of the reader's agencies: (request id, label).
    approvals: Vec<(String, String)>,
    /// Services the reader may grant: (service id, label).
    services: Vec<(String, String)>,
    /// Endpoints of those services: (`METHOD path`, label).
    endpoints: Vec<(String, String)>,
    form: Pairs,
    errors: FieldErrors,
}

impl GrantsPage {
    fn v(&self, key: &str) -> &str {
        value(&self.form, key)
    }
}

fn grant_row(
    g: AccessGrant,
    now: Timestamp,
    chrome: &Chrome,
    names: &std::collections::HashMap<String, String>,
    mine: &[AgencyCode],
) -> GrantRow {
    let name = |c: &AgencyCode| {
        names
            .get(c.as_str())
            .cloned()
            .unwrap_or_else(|| c.to_string())
    };
    let state = g.state(now);
    let until = if g.approval_valid_until < g.valid_until {
        g.approval_valid_until
    } else {
        g.valid_until
    };
    GrantRow {
        id: g.id,
        service: g.service.to_path().unwrap_or_else(|| g.service.to_string()),
        provider: name(&g.provider_agency),
        endpoint: match &g.endpoint {
            Some(e) => format!("{} {}", e.method, e.path),
            None => chrome.t("exchange.whole_service").to_string(),
        },
        subject: g.subject.to_path(),
        request_id: g.request_id,
        requester: name(&g.requesting_agency),
        purpose: g.purpose.clone(),
        legal_basis: g.legal_basis.clone().unwrap_or_else(|| "—".into()),
        approved: format!("{} {}", chrome.date(g.approved_at), g.approved_by),
        valid: format!("{} – {}", chrome.date(g.valid_from), chrome.date(until)),
        state,
        state_key: match state {
            "active" => "exchange.state_active",
            "not_yet_valid" => "exchange.state_not_yet_valid",
            "expired" => "exchange.state_expired",
            _ => "exchange.state_revoked",
        },
        revoked: g.revoked_at.or(g.approval_revoked_at).map(|at| {
            format!(
                "{} {}",
                chrome.datetime(at),
                g.revoked_by.clone().unwrap_or_default()
            )
        }),
        can_revoke: state != "revoked" && mine.contains(&g.provider_agency),
    }
}

async fn grants_page(
    state: &AppState,
    page: &Page,
    form: Pairs,
    errors: FieldErrors,
) -> ApiResult<GrantsPage> {
    page.require_somewhere(Permission::ReadExchange)?;
    let list = state.platform.exchange().grants(&page.caller).await?;
    let names = agency_names(state).await;
    let mine = managed(state, page).await?;
    let now = state.platform.now();
    let chrome = page.chrome("exchange.grants_title");
    let grants = list
        .into_iter()
        .map(|g| grant_row(g, now, &chrome, &names, &mine))
        .collect();
    let (mut approvals, mut services, mut endpoints) = (Vec::new(), Vec::new(), Vec::new());
    if !mine.is_empty() {
        for g in state.platform.sharing().grants(&page.caller).await? {
            if g.is_active(now) && mine.contains(&g.providing_agency) {
                let grantee = names
                    .get(g.grantee_agency.as_str())
                    .cloned()
                    .unwrap_or_else(|| g.grantee_agency.to_string());
                approvals.push((
                    g.request_id.to_string(),
                    format!(
                        "#{} {} → {}（{} {}）",
                        g.request_id,
                        g.dataset_title,
                        grantee,
                        chrome.t("exchange.until"),
                        chrome.date(g.valid_until)
                    ),
                ));
            }
        }
        for s in state.platform.exchange().services(&page.caller).await? {
            if mine.contains(&s.agency) {
                let path = s.service_path();
                for e in &s.endpoints {
                    let ep = format!("{} {}", e.method, e.path);
                    endpoints.push((ep.clone(), format!("{} · {ep}", s.title)));
                }
                services.push((path.clone(), format!("{} ({path})", s.title)));
            }
        }
    }
    Ok(GrantsPage {
        chrome,
        grants,
        approvals,
        services,
        endpoints,
        form,
        errors,
    })
}

pub async fn grants(State(state): State<AppState>, page: Page) -> ApiResult<Response> {
    let p = grants_page(&state, &page, Vec::new(), FieldErrors::new()).await?;
    render(&p)
}

/// Grant a client subsystem access, answering one of the approvals listed on the page.
pub async fn create_grant(
    State(state): State<AppState>,
    page: Page,
    UiForm(pairs): UiForm<Pairs>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ManageExchange)?;
    let invalid = |field: &str, zh: &str, en: &str| {
        civitas_core::DomainError::invalid(
            field,
            civitas_core::text::Text::new(zh.to_string(), en.to_string()),
        )
    };
    let result = async {
        let request_id = value(&pairs, "request_id")
            .trim()
            .parse::<i64>()
            .map_err(|_| {
                invalid(
                    "request_id",
                    "請選擇這項授權所依據的已核准分享申請",
                    "choose the approved sharing request this grant answers",
                )
            })?;
        let endpoint = match non_empty(value(&pairs, "endpoint")) {
            None => None,
            Some(e) => {
                let (method, path) = e.split_once(' ').ok_or_else(|| {
                    invalid(
                        "endpoint",
                        "端點請寫成「方法 路徑」，例如 GET /cases/*",
                        "write the endpoint as \"METHOD path\", e.g. GET /cases/*",
                    )
                })?;
                Some(Endpoint::new(method.trim(), path.trim()))
            }
        };
        let valid_until = match non_empty(value(&pairs, "valid_until")) {
            None => None,
            Some(d) => Some(
                taipei_midnight(&d)
                    .map(|t| t.add(time::Duration::days(1)))
                    .ok_or_else(|| {
                        invalid(
                            "valid_until",
                            "到期日請選擇日期",
                            "choose a date for the end",
                        )
                    })?,
            ),
        };
        let input = GrantInput {
            service_id: value(&pairs, "service_id").trim().to_string(),
            endpoint,
            subject: value(&pairs, "subject").trim().to_string(),
            subject_name: non_empty(value(&pairs, "subject_name")),
            request_id,
            valid_until,
        };
        state
            .platform
            .exchange()
            .create_grant(&page.caller, input)
            .await
    }
    .await;
    match result {
        Ok(g) => Ok(redirect_with_flash(
            "/exchange/grants",
            "flash.exchange_granted",
            &g.subject.to_path(),
            state.settings.cookie_secure,
        )),
        Err(e) if is_form_error(&e) => {
            let errors = field_errors(&e, page.ctx.lang);
            let p = grants_page(&state, &page, pairs, errors).await?;
            render_status(StatusCode::BAD_REQUEST, &p)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn revoke_grant(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let g = state
        .platform
        .exchange()
        .revoke_grant(&page.caller, id)
        .await?;
    Ok(redirect_with_flash(
        "/exchange/grants",
        "flash.exchange_grant_revoked",
        &g.id.to_string(),
        state.settings.cookie_secure,
    ))
}

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct LogForm {
    #[serde(default)]
    pub client: String,
    #[serde(default)]
    pub service: String,
    #[serde(default)]
    pub xroad_id: String,
    /// `ok`, `failed` or an HTTP status number.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default, skip_serializing)]
    pub page: Option<u32>,
}

fn taipei_midnight(date: &str) -> Option<Timestamp> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = time::Date::parse(date.trim(), &format).ok()?;
    Some(Timestamp::from_offset(day.midnight().assume_offset(TAIPEI)))
}

pub struct MessageRow {
    pub id: i64,
    pub xroad_id: String,
    pub request_id: String,
    pub client: String,
    pub service: String,
    pub call: String,
    pub endpoint: String,
    pub status: u16,
    pub failed: bool,
    pub error_type: String,
    pub error_key: &'static str,
    pub started: String,
    pub finished: String,
    pub duration_ms: String,
    pub request_hash: String,
    pub response_hash: String,
    /// Sides logged signed (`request`, `response`): each downloads as ASiC-E.
    pub evidence: Vec<&'static str>,
}

#[derive(Template)]
#[template(path = "exchange/log.html")]
struct LogPage {
    chrome: Chrome,
    f: LogForm,
    rows: Vec<MessageRow>,
    page: u32,
    pages: u64,
    total: u64,
    base: String,
}

/// What an X-Road error type means, in plain words.
fn error_key(error_type: &str) -> &'static str {
    if error_type.contains("AccessDenied") {
        "exchange.err_access_denied"
    } else if error_type.contains("ServiceDisabled") {
        "exchange.err_disabled"
    } else if error_type.contains("UnknownService") {
        "exchange.err_unknown_service"
    } else if error_type.contains("Timeout") || error_type.contains("timeout") {
        "exchange.err_timeout"
    } else if error_type.starts_with("Client") {
        "exchange.err_client"
    } else {
        "exchange.err_server"
    }
}

pub async fn log(
    State(state): State<AppState>,
    page: Page,
    ApiQuery(f): ApiQuery<LogForm>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ReadExchange)?;
    let status = f.status.trim();
    let filter = MessageFilter {
        agencies: None,
        client: non_empty(&f.client),
        service: non_empty(&f.service),
        xroad_id: non_empty(&f.xroad_id),
        status: status.parse::<u16>().ok(),
        errors_only: status == "failed",
        from: taipei_midnight(&f.from),
        until: taipei_midnight(&f.to).map(|t| t.add(time::Duration::days(1))),
    };
    let result = state
        .platform
        .exchange()
        .messages(&page.caller, filter, PageRequest::new(f.page, Some(50)))
        .await?;
    let chrome = page.chrome("exchange.log_title");
    let pages = result.pages();
    let rows = result
        .items
        .into_iter()
        .map(|m| MessageRow {
            id: m.id,
            client: m.client.unwrap_or_else(|| "—".into()),
            service: m.service.unwrap_or_else(|| "—".into()),
            call: format!("{} {}", m.method, m.path),
            endpoint: m.endpoint.unwrap_or_else(|| "—".into()),
            status: m.status,
            failed: m.error_type.is_some(),
            error_key: m.error_type.as_deref().map(error_key).unwrap_or(""),
            error_type: m.error_type.unwrap_or_default(),
            started: chrome.datetime(m.started_at),
            finished: chrome.datetime(m.finished_at),
            duration_ms: format!("{:.1}", m.duration_us as f64 / 1000.0),
            request_hash: m.request_hash.unwrap_or_else(|| "—".into()),
            response_hash: m.response_hash.unwrap_or_else(|| "—".into()),
            evidence: m.evidence.iter().map(|s| s.as_str()).collect(),
            xroad_id: m.xroad_id,
            request_id: m.request_id,
        })
        .collect();
    let query = serde_urlencoded::to_string(&f).unwrap_or_default();
    render(&LogPage {
        chrome,
        base: format!("/exchange/log?{query}&"),
        page: result.page,
        total: result.total,
        pages,
        rows,
        f,
    })
}

pub struct ReadinessService {
    pub title: String,
    pub path: String,
    pub disabled: bool,
    pub active_grants: usize,
    pub calls_ok: u64,
    pub calls_failed: u64,
}

pub struct ReadinessAgency {
    pub name: String,
    pub services: Vec<ReadinessService>,
    /// i18n key of the plain next step.
    pub next_key: &'static str,
    pub registered: bool,
    pub granted: bool,
    pub used: bool,
}

/// One trust service on the health panel.
pub struct TrustRow {
    /// i18n key of what it is (`exchange.trust_tsa`, `exchange.trust_ocsp`).
    pub kind_key: &'static str,
    pub url: String,
    pub ok: bool,
    pub last_success: String,
    pub last_failure: String,
    pub error: Option<String>,
    /// Extra facts (OCSP status and thisUpdate), already in words.
    pub detail: Option<String>,
    /// i18n key of what an operator should do when it is red.
    pub action_key: &'static str,
}

/// The trust services' panel: green or red per service, and the fail-closed state.
pub struct TrustPanel {
    pub rows: Vec<TrustRow>,
    pub refusing: bool,
    pub failing_since: Option<String>,
    pub acceptable_hours: String,
}

/// The i18n key of an OCSP status.
fn ocsp_status_key(status: Option<civitas_core::exchange::trust::OcspStatus>) -> &'static str {
    match status {
        Some(civitas_core::exchange::trust::OcspStatus::Good) => "exchange.ocsp_good",
        Some(civitas_core::exchange::trust::OcspStatus::Revoked) => "exchange.ocsp_revoked",
        Some(civitas_core::exchange::trust::OcspStatus::Unknown) => "exchange.ocsp_unknown",
        None => "exchange.ocsp_none",
    }
}

fn trust_panel(state: &AppState, chrome: &Chrome) -> Option<TrustPanel> {
    let h = state.trust()?.health();
    let mut rows: Vec<TrustRow> = h
        .tsas
        .iter()
        .map(|t| TrustRow {
            kind_key: "exchange.trust_tsa",
            url: t.url.clone(),
            ok: t.ok(),
            last_success: chrome.opt_datetime(t.last_success),
            last_failure: chrome.opt_datetime(t.last_failure),
            error: t.error.clone(),
            detail: None,
            action_key: "exchange.trust_tsa_action",
        })
        .collect();
    if let Some(o) = &h.ocsp {
        let status_key = ocsp_status_key(o.status);
        let mut detail = format!("{}：{}", o.subject, chrome.t(status_key));
        if let Some(t) = o.this_update {
            detail.push_str(&format!(
                " · {} {}",
                chrome.t("exchange.ocsp_this_update"),
                chrome.datetime(t)
            ));
        }
        if o.stale {
            detail.push_str(&format!(" · {}", chrome.t("exchange.ocsp_stale")));
        }
        rows.push(TrustRow {
            kind_key: "exchange.trust_ocsp",
            url: o.service.url.clone(),
            ok: o.ok(),
            last_success: chrome.opt_datetime(o.service.last_success),
            last_failure: chrome.opt_datetime(o.service.last_failure),
            error: o.service.error.clone(),
            detail: Some(detail),
            action_key: if o.status == Some(civitas_core::exchange::trust::OcspStatus::Revoked) {
                "exchange.trust_revoked_action"
            } else {
                "exchange.trust_ocsp_action"
            },
        });
    }
    for k in &h.signers {
        let status_key = ocsp_status_key(k.status);
        let mut detail = format!(
            "{}：{} · {} {}",
            k.subject,
            chrome.t(status_key),
            chrome.t("exchange.signer_valid_until"),
            chrome.datetime(k.not_after)
        );
        if let Some(t) = k.this_update {
            detail.push_str(&format!(
                " · {} {}",
                chrome.t("exchange.ocsp_this_update"),
                chrome.datetime(t)
            ));
        }
        if k.stale {
            detail.push_str(&format!(" · {}", chrome.t("exchange.ocsp_stale")));
        }
        rows.push(TrustRow {
            kind_key: "exchange.trust_signer",
            url: k.member.clone(),
            ok: k.ok(),
            last_success: chrome.opt_datetime(k.this_update),
            last_failure: String::new(),
            error: k.error.clone(),
            detail: Some(detail),
            action_key: "exchange.trust_signer_action",
        });
    }
    Some(TrustPanel {
        rows,
        refusing: h.refusing,
        failing_since: h.timestamp_failing_since.map(|t| chrome.datetime(t)),
        acceptable_hours: format!("{:.1}", h.acceptable_timestamp_failure_secs as f64 / 3600.0),
    })
}

#[derive(Template)]
#[template(path = "exchange/readiness.html")]
struct ReadinessPage {
    chrome: Chrome,
    agencies: Vec<ReadinessAgency>,
    trust: Option<TrustPanel>,
}

/// Per agency: which services are registered, which hold an active grant, which were called
/// successfully in the last 30 days, and what to do next.
pub async fn readiness(State(state): State<AppState>, page: Page) -> ApiResult<Response> {
    page.require_somewhere(Permission::ReadExchange)?;
    let exchange = state.platform.exchange();
    let services = exchange.services(&page.caller).await?;
    let grants = exchange.grants(&page.caller).await?;
    let names = agency_names(&state).await;
    let now = state.platform.now();
    let since = now.add(time::Duration::days(-30));
    let mut order: Vec<AgencyCode> = managed(&state, &page).await?;
    for s in &services {
        if !order.contains(&s.agency) {
            order.push(s.agency.clone());
        }
    }
    let mut agencies = Vec::new();
    for code in order {
        let mut rows = Vec::new();
        for s in services.iter().filter(|s| s.agency == code) {
            let path = s.service_path();
            let count = |errors_only: bool| MessageFilter {
                agencies: None,
                client: None,
                service: Some(path.clone()),
                xroad_id: None,
                status: None,
                errors_only,
                from: Some(since),
                until: None,
            };
            let one = PageRequest::new(Some(1), Some(1));
            let all = exchange
                .messages(&page.caller, count(false), one)
                .await?
                .total;
            let failed = exchange
                .messages(&page.caller, count(true), one)
                .await?
                .total;
            rows.push(ReadinessService {
                title: s.title.clone(),
                disabled: s.disabled_notice.is_some(),
                active_grants: grants
                    .iter()
                    .filter(|g| g.service_row == s.id && g.is_active(now))
                    .count(),
                calls_ok: all.saturating_sub(failed),
                calls_failed: failed,
                path,
            });
        }
        let registered = !rows.is_empty();
        let granted = rows.iter().any(|r| r.active_grants > 0);
        let used = rows.iter().any(|r| r.calls_ok > 0);
        agencies.push(ReadinessAgency {
            name: names
                .get(code.as_str())
                .cloned()
                .unwrap_or_else(|| code.to_string()),
            next_key: if !registered {
                "exchange.next_register"
            } else if !granted {
                "exchange.next_grant"
            } else if !used {
                "exchange.next_use"
            } else {
                "exchange.next_done"
            },
            services: rows,
            registered,
            granted,
            used,
        });
    }
    let chrome = page.chrome("exchange.readiness_title");
    let trust = trust_panel(&state, &chrome);
    render(&ReadinessPage {
        chrome,
        agencies,
        trust,
    })
}

/// `/exchange/log/{id}/{request|response}.asice`: a logged message's ASiC-E container.
pub async fn container(
    State(state): State<AppState>,
    page: Page,
    axum::extract::Path((id, file)): axum::extract::Path<(i64, String)>,
) -> ApiResult<Response> {
    let side = match file.as_str() {
        "request.asice" => civitas_core::exchange::MessageSide::Request,
        "response.asice" => civitas_core::exchange::MessageSide::Response,
        _ => {
            return Err(civitas_core::DomainError::NotFound {
                what: "signed message",
                key: format!("{id}/{file}"),
            }
            .into());
        }
    };
    let (name, bytes) = state
        .platform
        .exchange()
        .message_container(&page.caller, id, side)
        .await?;
    Ok(crate::api::file_response(
        bytes,
        civitas_core::exchange::asic::ASIC_E_MIME_TYPE,
        &name,
    ))
}
