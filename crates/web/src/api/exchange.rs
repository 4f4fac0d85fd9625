//! The exchange gateway's registry over JSON: services an agency offers through `/r1`, the
//! access grants that answer approved sharing requests, and the message log of every call.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use civitas_core::DomainError;
use civitas_core::agencies::AgencyCode;
use civitas_core::exchange::asic::hashchain;
use civitas_core::exchange::rest::Endpoint;
use civitas_core::exchange::{
    AccessGrant, CredentialInput, ExchangeCredential, GrantInput, LATENCY_BOUNDS_MS, MessageFilter,
    MessageRecord, MessageSide, RegisteredService, ServiceInput, TrafficHour,
};
use civitas_core::page::PageRequest;
use civitas_core::text::Text;
use civitas_core::time::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::Paged;
use crate::auth::ApiCaller;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;

fn bad(field: &str, zh: String, en: String) -> DomainError {
    DomainError::invalid(field, Text::new(zh, en))
}

fn agency(field: &str, text: &str) -> Result<AgencyCode, DomainError> {
    AgencyCode::parse(text.trim()).map_err(|_| {
        bad(
            field,
            format!("「{text}」不是機關代碼"),
            format!("\"{text}\" is not an agency code"),
        )
    })
}

fn time(field: &str, text: &str) -> Result<Timestamp, DomainError> {
    Timestamp::parse_rfc3339(text.trim()).ok_or_else(|| {
        bad(
            field,
            format!("{field} 須為 RFC 3339 時間，例如 2025-03-03T09:00:00+08:00"),
            format!("{field} must be an RFC 3339 time such as 2025-03-03T09:00:00+08:00"),
        )
    })
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EndpointDto {
    /// An HTTP method, or `*` for any.
    pub method: String,
    /// A path glob: `*` within a segment, `**` across segments.
    pub path: String,
}

impl From<&Endpoint> for EndpointDto {
    fn from(e: &Endpoint) -> Self {
        EndpointDto {
            method: e.method.clone(),
            path: e.path.clone(),
        }
    }
}

/// A service offered through the gateway.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExchangeServiceDto {
    pub id: i64,
    /// `INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE`, as called under `/r1/`.
    pub service_id: String,
    pub agency: String,
    pub title: String,
    pub base_url: String,
    pub dataset_id: Option<i64>,
    pub timeout_ms: u32,
    pub tls_verify: bool,
    /// `REST` or `OPENAPI3`.
    pub service_type: String,
    pub endpoints: Vec<EndpointDto>,
    /// Set when the service is disabled: what callers are told.
    pub disabled_notice: Option<String>,
    pub created_at: String,
    pub created_by: String,
    pub updated_at: String,
}

impl From<RegisteredService> for ExchangeServiceDto {
    fn from(s: RegisteredService) -> Self {
        ExchangeServiceDto {
            id: s.id,
            service_id: s.service_path(),
            agency: s.agency.to_string(),
            title: s.title,
            base_url: s.base_url,
            dataset_id: s.dataset_id,
            timeout_ms: s.timeout_ms,
            tls_verify: s.tls_verify,
            service_type: s.service_type.as_str().into(),
            endpoints: s.endpoints.iter().map(EndpointDto::from).collect(),
            disabled_notice: s.disabled_notice,
            created_at: s.created_at.to_rfc3339(),
            created_by: s.created_by,
            updated_at: s.updated_at.to_rfc3339(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceBody {
    /// `INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE`, each part percent-encoded; only
    /// `A–Z a–z 0–9 '()+,-.=?` are accepted when registering.
    pub service_id: String,
    /// The agency offering it (the caller needs `manage_exchange` there).
    pub agency: String,
    pub title: String,
    /// The name the owning subsystem is listed under (`listClients`), when it is new.
    #[serde(default)]
    pub subsystem_name: Option<String>,
    /// Where calls go: the provider system's base URL (http or https).
    pub base_url: String,
    /// The civitas dataset the service serves, if it is one.
    #[serde(default)]
    pub dataset_id: Option<i64>,
    /// 1–300000; 30000 when left out.
    #[serde(default)]
    pub timeout_ms: Option<u32>,
    /// Check the provider's TLS certificate (default true).
    #[serde(default)]
    pub tls_verify: Option<bool>,
    /// An OpenAPI 3.0.x or 3.1.x description as JSON text (YAML is not read); its paths and
    /// methods become the service's endpoints, `{param}` as `*`.
    #[serde(default)]
    pub openapi: Option<String>,
}

/// Services of the agencies the caller reads the exchange of (`read_exchange`).
#[utoipa::path(get, path = "/exchange/services", tag = "exchange",
    responses((status = 200, body = Vec<ExchangeServiceDto>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_services(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
) -> ApiResult<Json<Vec<ExchangeServiceDto>>> {
    let services = state.platform.exchange().services(&caller).await?;
    Ok(Json(services.into_iter().map(Into::into).collect()))
}

/// Register a service an agency offers (`manage_exchange` for that agency).
#[utoipa::path(post, path = "/exchange/services", tag = "exchange", request_body = ServiceBody,
    responses((status = 201, body = ExchangeServiceDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn register_service(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiJson(body): ApiJson<ServiceBody>,
) -> ApiResult<(StatusCode, Json<ExchangeServiceDto>)> {
    let input = ServiceInput {
        service_id: body.service_id,
        agency: agency("agency", &body.agency)?,
        title: body.title,
        subsystem_name: body.subsystem_name,
        base_url: body.base_url,
        dataset_id: body.dataset_id,
        timeout_ms: body.timeout_ms,
        tls_verify: body.tls_verify,
        openapi: body.openapi,
    };
    let s = state
        .platform
        .exchange()
        .register_service(&caller, input)
        .await?;
    Ok((StatusCode::CREATED, Json(s.into())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisableBody {
    /// What callers are told (1–500 characters), as `Server.ServerProxy.ServiceDisabled`.
    pub notice: String,
}

/// Disable a service: calls are refused with the notice (`manage_exchange`).
#[utoipa::path(post, path = "/exchange/services/{id}/disable", tag = "exchange",
    params(("id" = i64, Path, description = "service id (the number)")), request_body = DisableBody,
    responses((status = 200, body = ExchangeServiceDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn disable_service(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<DisableBody>,
) -> ApiResult<Json<ExchangeServiceDto>> {
    let s = state
        .platform
        .exchange()
        .set_disabled(&caller, id, Some(body.notice))
        .await?;
    Ok(Json(s.into()))
}

/// Enable a disabled service again (`manage_exchange`).
#[utoipa::path(post, path = "/exchange/services/{id}/enable", tag = "exchange",
    params(("id" = i64, Path, description = "service id (the number)")),
    responses((status = 200, body = ExchangeServiceDto), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn enable_service(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ExchangeServiceDto>> {
    let s = state
        .platform
        .exchange()
        .set_disabled(&caller, id, None)
        .await?;
    Ok(Json(s.into()))
}

/// An access grant.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessGrantDto {
    pub id: i64,
    pub service_id: String,
    pub provider_agency: String,
    /// `null`: the whole service.
    pub endpoint: Option<EndpointDto>,
    /// The client subsystem allowed.
    pub subject: String,
    /// The sharing request this grant answers, and its sharing grant.
    pub request_id: i64,
    pub sharing_grant_id: i64,
    pub requesting_agency: String,
    pub purpose: String,
    pub legal_basis: Option<String>,
    pub approved_by: String,
    pub approved_at: String,
    pub valid_from: String,
    pub valid_until: String,
    pub revoked_at: Option<String>,
    pub revoked_by: Option<String>,
    /// active, not_yet_valid, expired or revoked (the grant or its sharing approval).
    pub state: String,
}

impl AccessGrantDto {
    fn new(g: AccessGrant, now: Timestamp) -> Self {
        AccessGrantDto {
            id: g.id,
            service_id: g.service.to_path().unwrap_or_else(|| g.service.to_string()),
            provider_agency: g.provider_agency.to_string(),
            endpoint: g.endpoint.as_ref().map(EndpointDto::from),
            subject: g.subject.to_path(),
            request_id: g.request_id,
            sharing_grant_id: g.sharing_grant_id,
            requesting_agency: g.requesting_agency.to_string(),
            purpose: g.purpose.clone(),
            legal_basis: g.legal_basis.clone(),
            approved_by: g.approved_by.clone(),
            approved_at: g.approved_at.to_rfc3339(),
            valid_from: g.valid_from.to_rfc3339(),
            valid_until: g.valid_until.to_rfc3339(),
            revoked_at: g.revoked_at.map(|t| t.to_rfc3339()),
            revoked_by: g.revoked_by.clone(),
            state: g.state(now).into(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantBody {
    /// The service's `/r1` id.
    pub service_id: String,
    /// One endpoint the service's description lists; left out: the whole service.
    #[serde(default)]
    pub endpoint: Option<EndpointDto>,
    /// The client subsystem, `INSTANCE/CLASS/MEMBER/SUBSYSTEM`.
    pub subject: String,
    #[serde(default)]
    pub subject_name: Option<String>,
    /// The approved sharing request (of the requesting agency to the service's agency) this
    /// grant answers.
    pub request_id: i64,
    /// RFC 3339; at most the sharing grant's end (the default).
    #[serde(default)]
    pub valid_until: Option<String>,
}

/// Grants of the caller's agencies' services, and grants given to the caller's agencies.
#[utoipa::path(get, path = "/exchange/grants", tag = "exchange",
    responses((status = 200, body = Vec<AccessGrantDto>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_grants(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
) -> ApiResult<Json<Vec<AccessGrantDto>>> {
    let now = state.platform.now();
    let grants = state.platform.exchange().grants(&caller).await?;
    Ok(Json(
        grants
            .into_iter()
            .map(|g| AccessGrantDto::new(g, now))
            .collect(),
    ))
}

/// Grant a client subsystem access, answering an approved sharing request (`manage_exchange`
/// for the service's agency: only the provider's stewards grant).
#[utoipa::path(post, path = "/exchange/grants", tag = "exchange", request_body = GrantBody,
    responses((status = 201, body = AccessGrantDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_grant(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiJson(body): ApiJson<GrantBody>,
) -> ApiResult<(StatusCode, Json<AccessGrantDto>)> {
    let input = GrantInput {
        service_id: body.service_id,
        endpoint: body.endpoint.map(|e| Endpoint::new(e.method, e.path)),
        subject: body.subject,
        subject_name: body.subject_name,
        request_id: body.request_id,
        valid_until: body
            .valid_until
            .as_deref()
            .map(|t| time("valid_until", t))
            .transpose()?,
    };
    let g = state
        .platform
        .exchange()
        .create_grant(&caller, input)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(AccessGrantDto::new(g, state.platform.now())),
    ))
}

/// Revoke an access grant at once (`manage_exchange` for the service's agency).
#[utoipa::path(post, path = "/exchange/grants/{id}/revoke", tag = "exchange",
    params(("id" = i64, Path, description = "grant id")),
    responses((status = 200, body = AccessGrantDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn revoke_grant(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<AccessGrantDto>> {
    let g = state.platform.exchange().revoke_grant(&caller, id).await?;
    Ok(Json(AccessGrantDto::new(g, state.platform.now())))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// The calling subsystem, `INSTANCE/CLASS/MEMBER/SUBSYSTEM`.
    pub client: Option<String>,
    /// The service, `INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE`.
    pub service: Option<String>,
    pub xroad_id: Option<String>,
    pub status: Option<u16>,
    /// Only calls the gateway refused or that failed (an X-Road error type).
    pub errors_only: Option<bool>,
    /// RFC 3339: calls started at or after.
    pub from: Option<String>,
    /// RFC 3339: calls started before.
    pub until: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// One call through the gateway.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageDto {
    pub id: i64,
    pub xroad_id: String,
    pub request_id: String,
    pub client: Option<String>,
    pub service: Option<String>,
    pub agency: Option<String>,
    /// The service endpoint the call fell under, e.g. `GET /cases/*`.
    pub endpoint: Option<String>,
    pub method: String,
    pub path: String,
    pub status: u16,
    /// `X-Road-Request-Hash` (base64 SHA-512 over the header part and body).
    pub request_hash: Option<String>,
    /// The same over the response's header part and body.
    pub response_hash: Option<String>,
    pub started_at: String,
    pub finished_at: String,
    pub duration_us: i64,
    /// e.g. `Server.ServerProxy.AccessDenied`; `null` when the call went through.
    pub error_type: Option<String>,
    /// The sides (`request`, `response`) logged signed: each downloads as an ASiC-E container
    /// from `/exchange/messages/{id}/asice?side=…`.
    pub evidence: Vec<String>,
}

impl From<MessageRecord> for MessageDto {
    fn from(m: MessageRecord) -> Self {
        MessageDto {
            id: m.id,
            xroad_id: m.xroad_id,
            request_id: m.request_id,
            client: m.client,
            service: m.service,
            agency: m.agency.map(|a| a.to_string()),
            endpoint: m.endpoint,
            method: m.method,
            path: m.path,
            status: m.status,
            request_hash: m.request_hash,
            response_hash: m.response_hash,
            started_at: m.started_at.to_rfc3339(),
            finished_at: m.finished_at.to_rfc3339(),
            duration_us: m.duration_us,
            error_type: m.error_type,
            evidence: m.evidence.iter().map(|s| s.as_str().to_string()).collect(),
        }
    }
}

/// The message log, newest first: calls to services of the agencies the caller reads the
/// exchange of (`read_exchange`).
#[utoipa::path(get, path = "/exchange/log", tag = "exchange", params(LogQuery),
    responses((status = 200, body = Paged<MessageDto>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
pub async fn log(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiQuery(q): ApiQuery<LogQuery>,
) -> ApiResult<Json<Paged<MessageDto>>> {
    let filter = MessageFilter {
        agencies: None,
        client: q.client,
        service: q.service,
        xroad_id: q.xroad_id,
        status: q.status,
        errors_only: q.errors_only.unwrap_or(false),
        from: q.from.as_deref().map(|t| time("from", t)).transpose()?,
        until: q.until.as_deref().map(|t| time("until", t)).transpose()?,
    };
    let page = state
        .platform
        .exchange()
        .messages(&caller, filter, PageRequest::new(q.page, q.per_page))
        .await?;
    Ok(Json(Paged::from(page, MessageDto::from)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsicQuery {
    /// `request` or `response` (the default).
    pub side: Option<String>,
}

/// One signed message of a logged call as an ASiC-E container in X-Road's layout, for
/// `civitas exchange verify`, X-Road's own verifier, `xmlsec1` and `openssl ts -verify`
/// (`read_exchange` for the service's agency). 409 while the record waits for its batch
/// time-stamp.
#[utoipa::path(get, path = "/exchange/messages/{id}/asice", tag = "exchange",
    params(("id" = i64, Path, description = "message log id"), AsicQuery),
    responses((status = 200, description = "the container", content_type = "application/vnd.etsi.asic-e+zip", body = Vec<u8>),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn message_asice(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<AsicQuery>,
) -> ApiResult<axum::response::Response> {
    let side = match q.side.as_deref().map(str::trim) {
        None | Some("") | Some("response") => MessageSide::Response,
        Some("request") => MessageSide::Request,
        Some(other) => {
            return Err(DomainError::invalid(
                "side",
                Text::new(
                    format!("side 必須是 request 或 response，收到「{other}」"),
                    format!("side must be request or response, not {other:?}"),
                ),
            )
            .into());
        }
    };
    let (name, bytes) = state
        .platform
        .exchange()
        .message_container(&caller, id, side)
        .await?;
    Ok(super::sharing::file_response(
        bytes,
        civitas_core::exchange::asic::ASIC_E_MIME_TYPE,
        &name,
    ))
}

/// A credential bound to a subsystem: how a caller of `/r1` proves it is that subsystem.
#[derive(Debug, Serialize, ToSchema)]
pub struct CredentialDto {
    pub id: i64,
    /// The subsystem, `INSTANCE/CLASS/MEMBER/SUBSYSTEM`.
    pub client: String,
    pub agency: String,
    /// `certificate` or `token`.
    pub kind: String,
    /// SHA-256 (hex) of the certificate's DER or of the token.
    pub sha256: String,
    pub subject: Option<String>,
    pub not_after: Option<String>,
    pub label: String,
    pub issued_by: String,
    pub issued_at: String,
    pub revoked_at: Option<String>,
    pub revoked_by: Option<String>,
    /// active, expired or revoked.
    pub state: String,
}

impl CredentialDto {
    fn new(c: ExchangeCredential, now: Timestamp) -> Self {
        CredentialDto {
            id: c.id,
            client: c.client.to_path(),
            agency: c.agency.to_string(),
            kind: c.kind.as_str().into(),
            sha256: c.fingerprint.clone(),
            subject: c.subject.clone(),
            not_after: c.not_after.map(|t| t.to_rfc3339()),
            label: c.label.clone(),
            issued_by: c.issued_by.clone(),
            issued_at: c.issued_at.to_rfc3339(),
            revoked_at: c.revoked_at.map(|t| t.to_rfc3339()),
            revoked_by: c.revoked_by.clone(),
            state: c.state(now).into(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CredentialBody {
    /// The subsystem, `INSTANCE/CLASS/MEMBER/SUBSYSTEM`.
    pub client: String,
    /// The agency the subsystem belongs to; needed when it is not registered yet (it is
    /// then added, mapped to this agency).
    #[serde(default)]
    pub agency: Option<String>,
    /// The name the subsystem is listed under (`listClients`), when it is new.
    #[serde(default)]
    pub subsystem_name: Option<String>,
    /// `token` (a new token, shown once) or `certificate` (bind `certificate_pem`).
    pub kind: String,
    /// Who holds it (which system), 1–200 characters.
    pub label: String,
    /// For `certificate`: the client certificate, PEM. It must chain to the exchange
    /// listener's `client_ca_file` to get past the handshake.
    #[serde(default)]
    pub certificate_pem: Option<String>,
}

/// A credential just issued; `token` is set once, for a token, and never shown again.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedCredentialDto {
    pub credential: CredentialDto,
    /// Present it in `X-Civitas-Exchange-Token` on the plain listener.
    pub token: Option<String>,
}

/// Credentials of the subsystems of agencies the caller reads the exchange of.
#[utoipa::path(get, path = "/exchange/credentials", tag = "exchange",
    responses((status = 200, body = Vec<CredentialDto>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_credentials(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
) -> ApiResult<Json<Vec<CredentialDto>>> {
    let now = state.platform.now();
    let list = state.platform.exchange().credentials(&caller).await?;
    Ok(Json(
        list.into_iter()
            .map(|c| CredentialDto::new(c, now))
            .collect(),
    ))
}

/// Issue a token for, or bind a client certificate to, a registered subsystem
/// (`manage_exchange` for its agency).
#[utoipa::path(post, path = "/exchange/credentials", tag = "exchange", request_body = CredentialBody,
    responses((status = 201, body = IssuedCredentialDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn issue_credential(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiJson(body): ApiJson<CredentialBody>,
) -> ApiResult<(StatusCode, Json<IssuedCredentialDto>)> {
    let x = state.platform.exchange();
    let input = CredentialInput {
        client: body.client,
        agency: body
            .agency
            .as_deref()
            .filter(|a| !a.trim().is_empty())
            .map(|a| agency("agency", a))
            .transpose()?,
        subsystem_name: body.subsystem_name,
        label: body.label,
    };
    let (credential, token) = match body.kind.trim() {
        "token" => {
            let issued = x.issue_token(&caller, &input).await?;
            (issued.credential, Some(issued.token))
        }
        "certificate" => {
            use rustls::pki_types::CertificateDer;
            use rustls::pki_types::pem::PemObject;
            let pem = body.certificate_pem.as_deref().unwrap_or_default();
            let der = CertificateDer::from_pem_slice(pem.as_bytes()).map_err(|_| {
                bad(
                    "certificate_pem",
                    "請貼上 PEM 格式的用戶端憑證（-----BEGIN CERTIFICATE-----）".into(),
                    "paste the client certificate as PEM (-----BEGIN CERTIFICATE-----)".into(),
                )
            })?;
            let c = x.bind_certificate(&caller, &input, der.as_ref()).await?;
            (c, None)
        }
        other => {
            return Err(bad(
                "kind",
                format!("「{other}」不是憑證種類：請用 token 或 certificate"),
                format!("\"{other}\" is not a credential kind: use token or certificate"),
            )
            .into());
        }
    };
    Ok((
        StatusCode::CREATED,
        Json(IssuedCredentialDto {
            credential: CredentialDto::new(credential, state.platform.now()),
            token,
        }),
    ))
}

/// Revoke a credential at once: calls presenting it are refused (`manage_exchange` for its
/// subsystem's agency).
#[utoipa::path(post, path = "/exchange/credentials/{id}/revoke", tag = "exchange",
    params(("id" = i64, Path, description = "credential id")),
    responses((status = 200, body = CredentialDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn revoke_credential(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<CredentialDto>> {
    let c = state
        .platform
        .exchange()
        .revoke_credential(&caller, id)
        .await?;
    Ok(Json(CredentialDto::new(c, state.platform.now())))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrafficQuery {
    /// Start of the period, RFC 3339 (default: 7 days before `until`); rounded down to the hour.
    pub from: Option<String>,
    /// End of the period, RFC 3339, exclusive (default: the end of the current hour).
    pub until: Option<String>,
}

/// One service's calls in one UTC hour.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TrafficHourDto {
    /// Start of the hour.
    pub hour: String,
    pub calls: u64,
    /// Calls answered 4xx (refused: not granted, bad request, …).
    pub client_errors: u64,
    /// Calls answered 5xx (the service failed or timed out).
    pub server_errors: u64,
    pub mean_ms: Option<f64>,
    /// Upper bound (ms) of the latency bucket holding the median; null above the last bound
    /// or without calls.
    pub p50_ms: Option<u64>,
    pub p95_ms: Option<u64>,
    /// Calls per latency bucket, bounded by `latency_bounds_ms` and one bucket above them.
    pub latency_buckets: Vec<u64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ServiceTrafficDto {
    pub service_id: String,
    pub from: String,
    pub until: String,
    pub latency_bounds_ms: Vec<u64>,
    /// Hours with calls, oldest first (hours without calls are absent).
    pub hours: Vec<TrafficHourDto>,
}

/// A service's traffic by hour (calls, errors, latency histogram), read from the hourly
/// rollup kept when each call is logged (`read_exchange` for the service's agency). At most
/// 93 days at a time.
#[utoipa::path(get, path = "/exchange/services/{id}/traffic", tag = "exchange",
    params(("id" = i64, Path, description = "service id (the number)"), TrafficQuery),
    responses((status = 200, body = ServiceTrafficDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn service_traffic(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<TrafficQuery>,
) -> ApiResult<Json<ServiceTrafficDto>> {
    let until = match q.until.as_deref() {
        Some(t) => time("until", t)?,
        None => {
            // The end of the current hour, so the calls of this hour count.
            let now = state.platform.now();
            now.sub(time::Duration::milliseconds(
                now.as_millis().rem_euclid(3_600_000),
            ))
            .add(time::Duration::hours(1))
        }
    };
    let from = match q.from.as_deref() {
        Some(t) => time("from", t)?,
        None => until.sub(time::Duration::days(7)),
    };
    let from = from.sub(time::Duration::milliseconds(
        from.as_millis().rem_euclid(3_600_000),
    ));
    if until <= from || until.since(from) > time::Duration::days(93) {
        return Err(bad(
            "from",
            "期間須在 93 天以內，且 from 早於 until".to_string(),
            "the period must be at most 93 days, with from before until".to_string(),
        )
        .into());
    }
    let (service, hours) = state
        .platform
        .exchange()
        .service_traffic(&caller, id, from, until)
        .await?;
    let quantile = |h: &TrafficHour, q: f64| h.latency_quantile_ms(q).flatten();
    Ok(Json(ServiceTrafficDto {
        service_id: service.service_path(),
        from: from.to_rfc3339(),
        until: until.to_rfc3339(),
        latency_bounds_ms: LATENCY_BOUNDS_MS.to_vec(),
        hours: hours
            .iter()
            .map(|h| TrafficHourDto {
                hour: h.hour.to_rfc3339(),
                calls: h.calls,
                client_errors: h.client_errors,
                server_errors: h.server_errors,
                mean_ms: h.mean_ms(),
                p50_ms: quantile(h, 0.5),
                p95_ms: quantile(h, 0.95),
                latency_buckets: h.latency.to_vec(),
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TransferQuery {
    /// Give the calls after this log id (the `next_after` of the previous page; 0 to start).
    pub after: Option<i64>,
    /// At most this many (1–1000, default 500).
    pub limit: Option<usize>,
}

/// One call in the transfer-record feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransferRecordDto {
    #[serde(flatten)]
    pub message: MessageDto,
    /// SHA-512 (base64) of the signed request's `signatures.xml`, when it was signed.
    pub request_signature_hash: Option<String>,
    pub response_signature_hash: Option<String>,
    /// Every signed message of the call holds its batch time-stamp.
    pub timestamped: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TransferFeedDto {
    pub records: Vec<TransferRecordDto>,
    /// Ask again with `after` set to this to continue; equal to the `after` asked when there
    /// is nothing new.
    pub next_after: i64,
}

/// The transfer-record feed (ids, client, service, endpoint, times, hashes, status), oldest
/// first from a cursor, for pushing to T-Road's management platform once its interface is
/// published (`read_exchange`; an agency reader gets the calls to its own services).
#[utoipa::path(get, path = "/exchange/transfer-records", tag = "exchange", params(TransferQuery),
    responses((status = 200, body = TransferFeedDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn transfer_records(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiQuery(q): ApiQuery<TransferQuery>,
) -> ApiResult<Json<TransferFeedDto>> {
    let after = q.after.unwrap_or(0).max(0);
    let records = state
        .platform
        .exchange()
        .transfer_records(&caller, after, q.limit.unwrap_or(500))
        .await?;
    let b64 = |h: Option<Vec<u8>>| h.map(|h| hashchain::encode_b64(&h));
    Ok(Json(TransferFeedDto {
        next_after: records.last().map_or(after, |r| r.message.id),
        records: records
            .into_iter()
            .map(|r| TransferRecordDto {
                message: r.message.into(),
                request_signature_hash: b64(r.request_signature_hash),
                response_signature_hash: b64(r.response_signature_hash),
                timestamped: r.timestamped,
            })
            .collect(),
    }))
}

/// One trust service (a TSA or the OCSP responder).
#[derive(Debug, Serialize, ToSchema)]
pub struct TrustServiceDto {
    pub url: String,
    /// It answered last time with something that passed every check.
    pub ok: bool,
    pub last_success: Option<String>,
    pub last_failure: Option<String>,
    /// The last failure's reason, until the next success.
    pub error: Option<String>,
}

impl From<&civitas_core::exchange::trust::ServiceHealth> for TrustServiceDto {
    fn from(h: &civitas_core::exchange::trust::ServiceHealth) -> Self {
        TrustServiceDto {
            url: h.url.clone(),
            ok: h.ok(),
            last_success: h.last_success.map(|t| t.to_rfc3339()),
            last_failure: h.last_failure.map(|t| t.to_rfc3339()),
            error: h.error.clone(),
        }
    }
}

/// The OCSP status of the gateway's own certificate.
#[derive(Debug, Serialize, ToSchema)]
pub struct OcspHealthDto {
    #[serde(flatten)]
    pub service: TrustServiceDto,
    /// The certificate checked (subject).
    pub subject: String,
    /// `good`, `revoked` or `unknown`; absent before the first good answer.
    pub status: Option<String>,
    pub this_update: Option<String>,
    pub next_update: Option<String>,
    pub freshness_secs: i64,
    /// The last answer is older than the freshness allows (or there is none).
    pub stale: bool,
}

/// Time-stamping and OCSP health of the exchange gateway.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrustHealthDto {
    /// False when `[exchange.trust]` is not configured (nothing below is checked).
    pub configured: bool,
    /// The TSAs in the order they are tried.
    pub tsas: Vec<TrustServiceDto>,
    pub last_timestamp: Option<String>,
    /// Time-stamping has failed with every TSA since then.
    pub timestamp_failing_since: Option<String>,
    pub acceptable_timestamp_failure_secs: Option<i64>,
    /// `/r1` refuses new calls (`Server.ServerProxy.LoggingFailed.TimestamperFailed`).
    pub refusing: bool,
    pub ocsp: Option<OcspHealthDto>,
    /// The members' signing keys and their certificates' OCSP status; a member whose
    /// certificate is not `good` and fresh cannot sign, and its calls are refused.
    pub signers: Vec<SignerHealthDto>,
}

/// One member signing key.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignerHealthDto {
    /// `INSTANCE/CLASS/CODE`.
    pub member: String,
    pub subject: String,
    pub not_after: String,
    /// `good`, `revoked` or `unknown`; absent before the first answer.
    pub status: Option<String>,
    pub this_update: Option<String>,
    pub stale: bool,
    pub error: Option<String>,
    /// Messages can be signed now.
    pub ok: bool,
}

impl From<Option<civitas_core::exchange::trust::TrustHealth>> for TrustHealthDto {
    fn from(h: Option<civitas_core::exchange::trust::TrustHealth>) -> Self {
        let Some(h) = h else {
            return TrustHealthDto {
                configured: false,
                tsas: Vec::new(),
                last_timestamp: None,
                timestamp_failing_since: None,
                acceptable_timestamp_failure_secs: None,
                refusing: false,
                ocsp: None,
                signers: Vec::new(),
            };
        };
        TrustHealthDto {
            configured: true,
            tsas: h.tsas.iter().map(Into::into).collect(),
            last_timestamp: h.last_timestamp.map(|t| t.to_rfc3339()),
            timestamp_failing_since: h.timestamp_failing_since.map(|t| t.to_rfc3339()),
            acceptable_timestamp_failure_secs: Some(h.acceptable_timestamp_failure_secs),
            refusing: h.refusing,
            ocsp: h.ocsp.map(|o| OcspHealthDto {
                service: (&o.service).into(),
                subject: o.subject.clone(),
                status: o.status.map(|s| s.as_str().to_string()),
                this_update: o.this_update.map(|t| t.to_rfc3339()),
                next_update: o.next_update.map(|t| t.to_rfc3339()),
                freshness_secs: o.freshness_secs,
                stale: o.stale,
            }),
            signers: h
                .signers
                .iter()
                .map(|k| SignerHealthDto {
                    member: k.member.clone(),
                    subject: k.subject.clone(),
                    not_after: k.not_after.to_rfc3339(),
                    status: k.status.map(|s| s.as_str().to_string()),
                    this_update: k.this_update.map(|t| t.to_rfc3339()),
                    stale: k.stale,
                    error: k.error.clone(),
                    ok: k.ok(),
                })
                .collect(),
        }
    }
}

/// The gateway's trust services: each TSA and the OCSP responder, when each last worked or
/// failed and why, and whether `/r1` refuses calls because time-stamping has failed too long
/// (`read_exchange` anywhere).
#[utoipa::path(get, path = "/exchange/health", tag = "exchange",
    responses((status = 200, body = TrustHealthDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn trust_health(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
) -> ApiResult<Json<TrustHealthDto>> {
    if !caller
        .principal
        .can_somewhere(civitas_core::authz::Permission::ReadExchange)
    {
        return Err(DomainError::Forbidden {
            needed: civitas_core::authz::Permission::ReadExchange
                .as_str()
                .into(),
        }
        .into());
    }
    Ok(Json(state.trust().map(|t| t.health()).into()))
}
