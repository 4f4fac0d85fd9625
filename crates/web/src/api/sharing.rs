//! Sharing over JSON: requests and decisions, grants and their data keys, the data API,
//! uploads and downloads of a dataset's file, and use counts.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use civitas_core::Caller;
use civitas_core::agencies::AgencyCode;
use civitas_core::ports::RequestFilter;
use civitas_core::sharing::{
    AccessLogEntry, AccessRequest, DataPage, Decision, NewAccessRequest, SharingGrant, SharingKey,
    UploadOutcome, UsageRow,
};
use civitas_core::text::Text;
use civitas_core::time::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{ApiCaller, Identity, RequestContext};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiBytes, ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestBody {
    pub dataset_id: i64,
    /// The agency asking; default: the caller's home agency.
    pub requesting_agency: Option<String>,
    /// What the data is for.
    pub purpose: String,
    /// 法律依據: required for datasets containing personal data.
    pub legal_basis: Option<String>,
    /// Field names needed; empty or absent means all.
    #[serde(default)]
    pub fields: Vec<String>,
    /// `YYYY-MM-DD`.
    pub period_from: Option<String>,
    pub period_to: Option<String>,
    /// Days of access asked for (default 365).
    pub days: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct RequestDto {
    pub id: i64,
    pub dataset_id: i64,
    pub dataset_title: String,
    pub requesting_agency: String,
    pub providing_agency: String,
    pub requester: String,
    pub purpose: String,
    pub legal_basis: Option<String>,
    pub fields: Vec<String>,
    pub period_from: Option<String>,
    pub period_to: Option<String>,
    pub days: u32,
    /// pending, awaiting_second_approval, approved, partly_approved, refused, withdrawn.
    pub status: String,
    pub created_at: String,
    pub first_approver: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub reason: Option<String>,
    pub granted_fields: Vec<String>,
}

impl From<AccessRequest> for RequestDto {
    fn from(r: AccessRequest) -> Self {
        RequestDto {
            id: r.id,
            dataset_id: r.request.dataset_id,
            dataset_title: r.dataset_title,
            requesting_agency: r.request.requesting_agency.to_string(),
            providing_agency: r.providing_agency.to_string(),
            requester: r.requester,
            purpose: r.request.purpose,
            legal_basis: r.request.legal_basis,
            fields: r.request.fields,
            period_from: r.request.period_from,
            period_to: r.request.period_to,
            days: r.request.days,
            status: r.status.code().into(),
            created_at: r.created_at.to_rfc3339(),
            first_approver: r.first_approver,
            decided_by: r.decided_by,
            decided_at: r.decided_at.map(|t| t.to_rfc3339()),
            reason: r.reason,
            granted_fields: r.granted_fields,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct GrantDto {
    pub id: i64,
    pub request_id: i64,
    pub dataset_id: i64,
    pub dataset_title: String,
    pub providing_agency: String,
    pub grantee_agency: String,
    /// Fields the grantee may read; empty means all.
    pub fields: Vec<String>,
    pub valid_from: String,
    pub valid_until: String,
    pub approved_by: String,
    pub second_approved_by: Option<String>,
    pub revoked_at: Option<String>,
    pub active: bool,
}

impl GrantDto {
    pub fn new(g: SharingGrant, now: Timestamp) -> Self {
        GrantDto {
            active: g.is_active(now),
            id: g.id,
            request_id: g.request_id,
            dataset_id: g.dataset_id,
            dataset_title: g.dataset_title,
            providing_agency: g.providing_agency.to_string(),
            grantee_agency: g.grantee_agency.to_string(),
            fields: g.fields,
            valid_from: g.valid_from.to_rfc3339(),
            valid_until: g.valid_until.to_rfc3339(),
            approved_by: g.approved_by,
            second_approved_by: g.second_approved_by,
            revoked_at: g.revoked_at.map(|t| t.to_rfc3339()),
        }
    }
}

fn requesting_agency(caller: &Caller, given: Option<&str>) -> ApiResult<AgencyCode> {
    match given.map(str::trim).filter(|s| !s.is_empty()) {
        Some(code) => AgencyCode::parse(code).map_err(Into::into),
        None => caller.principal.home_agency.clone().ok_or_else(|| {
            civitas_core::DomainError::invalid(
                "requesting_agency",
                Text::new(
                    "請指定申請機關（您的帳號沒有所屬機關）",
                    "say which agency is asking (your account has no home agency)",
                ),
            )
            .into()
        }),
    }
}

/// File a sharing request for another agency's dataset.
#[utoipa::path(post, path = "/sharing/requests", tag = "sharing", request_body = RequestBody,
    responses((status = 201, body = RequestDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_request(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiJson(body): ApiJson<RequestBody>,
) -> ApiResult<(axum::http::StatusCode, Json<RequestDto>)> {
    let request = NewAccessRequest {
        dataset_id: body.dataset_id,
        requesting_agency: requesting_agency(&caller, body.requesting_agency.as_deref())?,
        purpose: body.purpose,
        legal_basis: body.legal_basis,
        fields: body.fields,
        period_from: body.period_from,
        period_to: body.period_to,
        days: body.days.unwrap_or(365),
    };
    let r = state.platform.sharing().request(&caller, request).await?;
    Ok((axum::http::StatusCode::CREATED, Json(r.into())))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestsQuery {
    /// `1`: only those waiting for a decision.
    pub open: Option<String>,
    /// Only requests for this dataset.
    pub dataset_id: Option<i64>,
}

/// Requests filed by or addressed to agencies the caller may see, newest first.
#[utoipa::path(get, path = "/sharing/requests", tag = "sharing", params(RequestsQuery),
    responses((status = 200, body = [RequestDto]), (status = 403, body = ErrorBody)))]
pub async fn list_requests(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiQuery(q): ApiQuery<RequestsQuery>,
) -> ApiResult<Json<Vec<RequestDto>>> {
    let filter = RequestFilter {
        dataset_id: q.dataset_id,
        open_only: q.open.as_deref() == Some("1"),
        ..RequestFilter::default()
    };
    let list = state.platform.sharing().requests(&caller, &filter).await?;
    Ok(Json(list.into_iter().map(RequestDto::from).collect()))
}

#[utoipa::path(get, path = "/sharing/requests/{id}", tag = "sharing", params(("id" = i64, Path, description = "request id")),
    responses((status = 200, body = RequestDto), (status = 404, body = ErrorBody)))]
pub async fn get_request(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<RequestDto>> {
    Ok(Json(
        state
            .platform
            .sharing()
            .get_request(&caller, id)
            .await?
            .into(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct DecisionDto {
    pub request: RequestDto,
    /// The grant the decision created (none for a refusal or a first of two approvals).
    pub grant: Option<GrantDto>,
}

/// The providing agency decides: `{"decision": "approve", "days": 90}`,
/// `{"decision": "approve_in_part", "fields": [...], "days": 90, "reason": "..."}` or
/// `{"decision": "refuse", "reason": "..."}`. Personal data needs two different approvers.
#[utoipa::path(post, path = "/sharing/requests/{id}/decision", tag = "sharing", params(("id" = i64, Path, description = "request id")),
    request_body(content = Object, description = "the decision"),
    responses((status = 200, body = DecisionDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn decide(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(decision): ApiJson<Decision>,
) -> ApiResult<Json<DecisionDto>> {
    let (request, grant) = state
        .platform
        .sharing()
        .decide(&caller, id, decision)
        .await?;
    let now = state.platform.now();
    Ok(Json(DecisionDto {
        request: request.into(),
        grant: grant.map(|g| GrantDto::new(g, now)),
    }))
}

#[utoipa::path(post, path = "/sharing/requests/{id}/withdraw", tag = "sharing", params(("id" = i64, Path, description = "request id")),
    responses((status = 200, body = RequestDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn withdraw(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<RequestDto>> {
    Ok(Json(
        state.platform.sharing().withdraw(&caller, id).await?.into(),
    ))
}

/// Grants given or received by agencies the caller may see.
#[utoipa::path(get, path = "/sharing/grants", tag = "sharing",
    responses((status = 200, body = [GrantDto]), (status = 403, body = ErrorBody)))]
pub async fn list_grants(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
) -> ApiResult<Json<Vec<GrantDto>>> {
    let now = state.platform.now();
    let list = state.platform.sharing().grants(&caller).await?;
    Ok(Json(
        list.into_iter().map(|g| GrantDto::new(g, now)).collect(),
    ))
}

#[utoipa::path(get, path = "/sharing/grants/{id}", tag = "sharing", params(("id" = i64, Path, description = "grant id")),
    responses((status = 200, body = GrantDto), (status = 404, body = ErrorBody)))]
pub async fn get_grant(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<GrantDto>> {
    let g = state.platform.sharing().get_grant(&caller, id).await?;
    Ok(Json(GrantDto::new(g, state.platform.now())))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    pub reason: String,
}

/// The providing agency ends a grant early; its data keys stop working at once.
#[utoipa::path(post, path = "/sharing/grants/{id}/revoke", tag = "sharing", params(("id" = i64, Path, description = "grant id")),
    request_body = ReasonBody,
    responses((status = 200, body = GrantDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_grant(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ReasonBody>,
) -> ApiResult<Json<GrantDto>> {
    let g = state
        .platform
        .sharing()
        .revoke_grant(&caller, id, &body.reason)
        .await?;
    Ok(Json(GrantDto::new(g, state.platform.now())))
}

#[derive(Serialize, ToSchema)]
pub struct KeyDto {
    pub id: i64,
    pub grant_id: i64,
    pub owner: String,
    pub label: String,
    pub prefix: String,
    pub created_at: String,
    pub expires_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
    /// Shown once, when the key is made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl KeyDto {
    fn new(k: SharingKey, secret: Option<String>) -> Self {
        KeyDto {
            id: k.id,
            grant_id: k.grant_id,
            owner: k.user_name,
            label: k.label,
            prefix: k.prefix,
            created_at: k.created_at.to_rfc3339(),
            expires_at: k.expires_at.to_rfc3339(),
            last_used_at: k.last_used_at.map(|t| t.to_rfc3339()),
            revoked_at: k.revoked_at.map(|t| t.to_rfc3339()),
            secret,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyBody {
    /// What uses the key, e.g. the system's name.
    pub label: String,
}

/// A data key for a program of the grantee agency: `Authorization: Bearer civg_…` on
/// `/datasets/{id}/data` and `/datasets/{id}/file` reads this grant's data and nothing else.
#[utoipa::path(post, path = "/sharing/grants/{id}/keys", tag = "sharing", params(("id" = i64, Path, description = "grant id")),
    request_body = KeyBody,
    responses((status = 201, body = KeyDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_key(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<KeyBody>,
) -> ApiResult<(axum::http::StatusCode, Json<KeyDto>)> {
    let (secret, key) = state
        .platform
        .sharing()
        .issue_key(&caller, id, &body.label)
        .await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(KeyDto::new(key, Some(secret))),
    ))
}

#[utoipa::path(get, path = "/sharing/grants/{id}/keys", tag = "sharing", params(("id" = i64, Path, description = "grant id")),
    responses((status = 200, body = [KeyDto]), (status = 404, body = ErrorBody)))]
pub async fn list_keys(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<KeyDto>>> {
    let keys = state.platform.sharing().keys(&caller, id).await?;
    Ok(Json(
        keys.into_iter().map(|k| KeyDto::new(k, None)).collect(),
    ))
}

#[utoipa::path(post, path = "/sharing/grants/{id}/keys/{key}/revoke", tag = "sharing",
    params(("id" = i64, Path, description = "grant id"), ("key" = i64, Path, description = "key id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn revoke_key(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath((id, key)): ApiPath<(i64, i64)>,
) -> ApiResult<axum::http::StatusCode> {
    state
        .platform
        .sharing()
        .revoke_key(&caller, id, key)
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Who reads data, and under which grant: a signed-in person or token, a data key limited
/// to its grant, or nobody (open data only).
pub fn data_reader(ctx: &RequestContext) -> (Option<Caller>, Option<i64>) {
    match &ctx.identity {
        Identity::DataKey { key, caller } => (Some((**caller).clone()), Some(key.grant_id)),
        _ => (ctx.caller(), None),
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DataQuery {
    /// Rows to skip (default 0).
    pub offset: Option<u64>,
    /// Rows to return (default 100, at most 1000).
    pub limit: Option<u64>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DataDto {
    pub dataset_id: i64,
    pub columns: Vec<String>,
    /// Each row as `{column: value}`.
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<serde_json::Map<String, serde_json::Value>>,
    pub total: u64,
    pub offset: u64,
    pub limit: u64,
    /// The offset of the next page, when there is one.
    pub next_offset: Option<u64>,
    /// The grant the rows were read under (none for open data or the provider itself).
    pub grant_id: Option<i64>,
    pub source_sha256: String,
}

impl From<DataPage> for DataDto {
    fn from(p: DataPage) -> Self {
        let next = p.offset + p.rows.len() as u64;
        DataDto {
            rows: p
                .rows
                .iter()
                .map(|r| {
                    p.columns
                        .iter()
                        .zip(r)
                        .map(|(c, v)| (c.clone(), serde_json::Value::String(v.clone())))
                        .collect()
                })
                .collect(),
            next_offset: (next < p.total).then_some(next),
            dataset_id: p.dataset_id,
            columns: p.columns,
            total: p.total,
            offset: p.offset,
            limit: p.limit,
            grant_id: p.grant_id,
            source_sha256: p.source_sha256,
        }
    }
}

/// The dataset's rows from its uploaded CSV: open data for anyone; other data for its own
/// agency, for the whole city when shared city-wide, or under an active grant (only the
/// granted fields). A data key reads its own grant only. Every read is logged.
#[utoipa::path(get, path = "/datasets/{id}/data", tag = "sharing", params(("id" = i64, Path, description = "dataset id"), DataQuery),
    security((), ("bearer" = [])),
    responses((status = 200, body = DataDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody, description = "`no_grant`: no active grant"),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "no file uploaded")))]
pub async fn data(
    State(state): State<AppState>,
    ctx: RequestContext,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<DataQuery>,
) -> ApiResult<Response> {
    let (caller, only_grant) = data_reader(&ctx);
    let page = state
        .platform
        .sharing()
        .read_rows(
            caller.as_ref(),
            id,
            q.offset.unwrap_or(0),
            q.limit.unwrap_or(100),
            only_grant,
        )
        .await?;
    match q.format.as_deref() {
        None | Some("json") => Ok(Json(DataDto::from(page)).into_response()),
        Some("csv") => {
            let table = civitas_core::sharing::CsvTable {
                columns: page.columns,
                rows: page.rows,
            };
            crate::ui::csv_response(table.to_csv()?, &format!("dataset-{id}.csv"))
        }
        Some(other) => Err(civitas_core::DomainError::invalid(
            "format",
            Text::new(
                format!("格式須為 json 或 csv，而不是「{other}」"),
                format!("format must be json or csv, not '{other}'"),
            ),
        )
        .into()),
    }
}

/// The dataset's uploaded file (only the granted fields, as CSV, under a grant that limits
/// fields). Same access rules as the data API; every download is logged.
#[utoipa::path(get, path = "/datasets/{id}/file", tag = "sharing", params(("id" = i64, Path, description = "dataset id")),
    security((), ("bearer" = [])),
    responses((status = 200, content_type = "application/octet-stream", body = String), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn download(
    State(state): State<AppState>,
    ctx: RequestContext,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let (caller, only_grant) = data_reader(&ctx);
    let (name, media, bytes) = state
        .platform
        .sharing()
        .download(caller.as_ref(), id, only_grant)
        .await?;
    Ok(file_response(bytes, &media, &name))
}

pub fn file_response(bytes: Vec<u8>, media: &str, name: &str) -> Response {
    let mut r = bytes.into_response();
    let headers = r.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(media)
            .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream")),
    );
    // RFC 6266 / 5987: an ASCII fallback and the UTF-8 name.
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b".-_".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    )) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The file's name, e.g. `parking.csv` (its extension names the format).
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct UploadDto {
    pub sha256: String,
    pub byte_size: u64,
    /// False when the same content was already the dataset's file (not a data update).
    pub changed: bool,
    pub rows: Option<u64>,
}

impl From<UploadOutcome> for UploadDto {
    fn from(u: UploadOutcome) -> Self {
        UploadDto {
            sha256: u.sha256,
            byte_size: u.byte_size,
            changed: u.changed,
            rows: u.rows,
        }
    }
}

/// Upload the dataset's file (the body is the file). New content counts as a data update
/// for freshness; the same content again changes nothing.
#[utoipa::path(post, path = "/datasets/{id}/file", tag = "sharing", params(("id" = i64, Path, description = "dataset id"), UploadQuery),
    request_body(content = String, content_type = "application/octet-stream", description = "the file"),
    responses((status = 200, body = UploadDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<UploadQuery>,
    headers: axum::http::HeaderMap,
    ApiBytes(body): ApiBytes,
) -> ApiResult<Json<UploadDto>> {
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_string();
    let outcome = state
        .platform
        .sharing()
        .upload(&caller, id, &q.name, &media, &body)
        .await?;
    Ok(Json(outcome.into()))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsageQuery {
    /// The period, in days back from today (default 365).
    pub days: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct UsageDto {
    pub dataset_id: i64,
    pub views: u64,
    pub downloads: u64,
    pub api_calls: u64,
    pub rows: u64,
    /// Distinct agencies other than the provider that read it.
    pub consuming_agencies: u64,
    pub last_used: Option<String>,
}

impl From<UsageRow> for UsageDto {
    fn from(u: UsageRow) -> Self {
        UsageDto {
            dataset_id: u.dataset_id,
            views: u.views,
            downloads: u.downloads,
            api_calls: u.api_calls,
            rows: u.rows,
            consuming_agencies: u.consuming_agencies,
            last_used: u.last_used.map(|t| t.to_rfc3339()),
        }
    }
}

fn since(state: &AppState, days: Option<i64>) -> Timestamp {
    state
        .platform
        .now()
        .sub(time::Duration::days(days.unwrap_or(365).clamp(1, 3660)))
}

/// Use of every dataset that was used in the period.
#[utoipa::path(get, path = "/usage", tag = "sharing", params(UsageQuery),
    responses((status = 200, body = [UsageDto]), (status = 403, body = ErrorBody)))]
pub async fn usage(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiQuery(q): ApiQuery<UsageQuery>,
) -> ApiResult<Json<Vec<UsageDto>>> {
    let rows = state
        .platform
        .sharing()
        .usage(&caller, since(&state, q.days))
        .await?;
    Ok(Json(rows.into_iter().map(UsageDto::from).collect()))
}

#[utoipa::path(get, path = "/datasets/{id}/usage", tag = "sharing", params(("id" = i64, Path, description = "dataset id"), UsageQuery),
    responses((status = 200, body = UsageDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn dataset_usage(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<UsageQuery>,
) -> ApiResult<Json<UsageDto>> {
    let row = state
        .platform
        .sharing()
        .dataset_usage(&caller, id, since(&state, q.days))
        .await?;
    Ok(Json(row.into()))
}

#[derive(Serialize, ToSchema)]
pub struct AccessDto {
    pub at: String,
    pub user: String,
    pub agency: Option<String>,
    /// view, download or api.
    pub kind: String,
    pub rows: u64,
    pub grant_id: Option<i64>,
}

impl From<AccessLogEntry> for AccessDto {
    fn from(e: AccessLogEntry) -> Self {
        AccessDto {
            at: e.at.to_rfc3339(),
            user: e.user_name,
            agency: e.agency,
            kind: e.kind,
            rows: e.rows,
            grant_id: e.grant_id,
        }
    }
}

/// Who read the dataset, newest first: for the providing agency's stewards and auditors.
#[utoipa::path(get, path = "/datasets/{id}/access-log", tag = "sharing", params(("id" = i64, Path, description = "dataset id")),
    responses((status = 200, body = [AccessDto]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn access_log(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<AccessDto>>> {
    let log = state
        .platform
        .sharing()
        .access_log(&caller, id, 200)
        .await?;
    Ok(Json(log.into_iter().map(AccessDto::from).collect()))
}
