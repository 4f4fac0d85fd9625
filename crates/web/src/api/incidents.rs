//! Incidents over JSON: the board (by state and deadline), one incident with its timeline,
//! legal clocks, forensics and actions, opening and assessing, timeline events, forensic
//! report uploads (multipart; the file must be what its name says), findings, follow-up
//! actions from planning to verified closure, the recurrence run and the STIX 2.1 export.
//! Every change names the `revision` it was made from; a stale one is refused (`conflict`).

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use civitas_core::DomainError;
use civitas_core::accounts::UserName;
use civitas_core::agencies::AgencyCode;
use civitas_core::cases::query::{ActionFilter, IncidentFilter, IncidentRow};
use civitas_core::cases::{
    Action, ActionInput, ActionStatus, AffectedAsset, Determination, Effect, EvidenceUpload,
    ForensicEngagement, Incident, IncidentCategory, IncidentInput, IncidentStatus, IncidentView,
    PersonInvolved, Priority, RecordId, ReportSection, ReportVersion, RootCause, TimelineKind,
};
use civitas_core::intel::Observable;
use civitas_core::page::PageRequest;
use civitas_core::text::Text;
use civitas_core::time::Timestamp;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::dto::Paged;
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;

fn bad(field: &str, zh: String, en: String) -> DomainError {
    DomainError::invalid(field, Text::new(zh, en))
}

fn record_id(text: &str) -> Result<RecordId, DomainError> {
    RecordId::parse(text)
}

/// A value named by its serde word (`in_progress`, `illegal-intrusion`).
pub(crate) fn word<T: DeserializeOwned>(field: &str, text: &str) -> Result<T, DomainError> {
    serde_json::from_value(Value::String(text.trim().to_string())).map_err(|_| {
        bad(
            field,
            format!("「{text}」不是 {field} 可用的值"),
            format!("\"{text}\" is not a valid {field}"),
        )
    })
}

fn to_value<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
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

fn opt_time(field: &str, text: &Option<String>) -> Result<Option<Timestamp>, DomainError> {
    text.as_deref().map(|t| time(field, t)).transpose()
}

fn agency(field: &str, text: &str) -> Result<AgencyCode, DomainError> {
    AgencyCode::parse(text).map_err(|_| {
        bad(
            field,
            format!("「{text}」不是機關代碼"),
            format!("\"{text}\" is not an agency code"),
        )
    })
}

fn user(field: &str, text: &str) -> Result<UserName, DomainError> {
    UserName::parse(text).map_err(|_| {
        bad(
            field,
            format!("「{text}」不是帳號名稱"),
            format!("\"{text}\" is not a user name"),
        )
    })
}

/// A list of domain values given as JSON (effects, assets, IOCs…).
fn list_of<T: DeserializeOwned>(field: &str, value: Value) -> Result<Vec<T>, DomainError> {
    if value.is_null() {
        return Ok(Vec::new());
    }
    serde_json::from_value(value).map_err(|e| {
        bad(
            field,
            format!("{field} 的格式不正確：{e}"),
            format!("{field} is not in the expected shape: {e}"),
        )
    })
}

// ---------------------------------------------------------------- DTOs

#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentRowDto {
    pub id: String,
    pub title: String,
    pub agency: String,
    pub category: String,
    pub status: String,
    pub determination: String,
    /// The legal level (1–4) once assessed.
    pub level: Option<u8>,
    /// The legal rule set pinned at the aware time.
    pub rule_set: String,
    pub aware_at: String,
    /// The earliest legal deadline still running.
    pub next_due_at: Option<String>,
    pub opened_at: String,
    pub revision: u32,
}

impl From<IncidentRow> for IncidentRowDto {
    fn from(r: IncidentRow) -> Self {
        IncidentRowDto {
            id: r.id.to_string(),
            title: r.title,
            agency: r.agency.to_string(),
            category: to_value(&r.category).as_str().unwrap_or("").into(),
            status: to_value(&r.status).as_str().unwrap_or("").into(),
            determination: to_value(&r.determination).as_str().unwrap_or("").into(),
            level: r.level,
            rule_set: r.rule_set,
            aware_at: r.aware_at.to_rfc3339(),
            next_due_at: r.next_due_at.map(|t| t.to_rfc3339()),
            opened_at: r.opened_at.to_rfc3339(),
            revision: r.revision,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentDto {
    pub id: String,
    /// Send it back with the next change.
    pub revision: u32,
    pub status: String,
    pub level: Option<u8>,
    pub rule_set: String,
    /// The whole record: agency, assets, people, timeline, level assessments with reasons.
    #[schema(value_type = Object)]
    pub incident: Value,
}

impl From<Incident> for IncidentDto {
    fn from(i: Incident) -> Self {
        IncidentDto {
            id: i.id.to_string(),
            revision: i.revision,
            status: to_value(&i.status).as_str().unwrap_or("").into(),
            level: i.level().map(|l| l.get()),
            rule_set: i.rule_set.clone(),
            incident: to_value(&i),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentDetailDto {
    pub id: String,
    pub revision: u32,
    #[schema(value_type = Object)]
    pub incident: Value,
    /// Each legal obligation now: due time, state (on_track, due_soon, overdue, met, missed…),
    /// its legal source and a bilingual explanation.
    #[schema(value_type = Object)]
    pub clocks: Value,
    /// The deadlines as stored at each change, with the rule set used.
    #[schema(value_type = Object)]
    pub deadline_history: Value,
    /// A level change that still has to be notified again (續報).
    pub needs_renotification: bool,
    #[schema(value_type = Object)]
    pub engagements: Value,
    #[schema(value_type = Object)]
    pub actions: Value,
    #[schema(value_type = Object)]
    pub evidence: Value,
}

impl From<IncidentView> for IncidentDetailDto {
    fn from(v: IncidentView) -> Self {
        IncidentDetailDto {
            id: v.incident.id.to_string(),
            revision: v.incident.revision,
            incident: to_value(&v.incident),
            clocks: to_value(&v.clocks),
            deadline_history: to_value(&v.deadline_history),
            needs_renotification: v.needs_renotification,
            engagements: to_value(&v.engagements),
            actions: to_value(&v.actions),
            evidence: to_value(&v.evidence),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EngagementDto {
    pub id: String,
    pub incident: String,
    pub revision: u32,
    pub status: String,
    /// Vendor, scope, dates, report versions (with SHA-256 and missing sections) and findings.
    #[schema(value_type = Object)]
    pub engagement: Value,
}

impl From<ForensicEngagement> for EngagementDto {
    fn from(e: ForensicEngagement) -> Self {
        EngagementDto {
            id: e.id.to_string(),
            incident: e.incident.to_string(),
            revision: e.revision,
            status: to_value(&e.status).as_str().unwrap_or("").into(),
            engagement: to_value(&e),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportVersionDto {
    pub version: u32,
    pub sha256: String,
    pub file_name: String,
    pub size: u64,
    pub received_at: String,
    /// The required sections the report lacks.
    pub missing_sections: Vec<String>,
}

impl From<ReportVersion> for ReportVersionDto {
    fn from(r: ReportVersion) -> Self {
        ReportVersionDto {
            missing_sections: r
                .missing_sections()
                .iter()
                .map(|s| to_value(s).as_str().unwrap_or("").to_string())
                .collect(),
            version: r.version,
            sha256: r.sha256,
            file_name: r.file_name,
            size: r.size,
            received_at: r.received_at.to_rfc3339(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActionDto {
    pub id: String,
    pub incident: String,
    pub revision: u32,
    pub status: String,
    pub owner_agency: String,
    pub owner: String,
    pub due_at: String,
    pub priority: String,
    /// Recommendation, closure criteria, evidence (name, SHA-256), extensions, status history,
    /// verifier and recurrence checks.
    #[schema(value_type = Object)]
    pub action: Value,
}

impl From<Action> for ActionDto {
    fn from(a: Action) -> Self {
        ActionDto {
            id: a.id.to_string(),
            incident: a.incident.to_string(),
            revision: a.revision,
            status: to_value(&a.status).as_str().unwrap_or("").into(),
            owner_agency: a.owner_agency.to_string(),
            owner: a.owner.to_string(),
            due_at: a.due_at.to_rfc3339(),
            priority: to_value(&a.priority).as_str().unwrap_or("").into(),
            action: to_value(&a),
        }
    }
}

// ---------------------------------------------------------------- incidents

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IncidentQuery {
    /// new, triage, contained, recovered, reported or closed.
    pub state: Option<String>,
    pub agency: Option<String>,
    /// `true`: only incidents not yet closed.
    pub open: Option<bool>,
    /// Only incidents whose next running deadline falls before this time (RFC 3339).
    pub due_before: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// The incident board: by next running legal deadline (soonest first), then newest. Scoped to
/// the agencies the caller's `read_incidents` grants cover.
#[utoipa::path(get, path = "/incidents", tag = "incidents", params(IncidentQuery),
    responses((status = 200, body = Paged<IncidentRowDto>), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiQuery(q): ApiQuery<IncidentQuery>,
) -> ApiResult<Json<Paged<IncidentRowDto>>> {
    let filter = IncidentFilter {
        visible: None,
        agency: q
            .agency
            .as_deref()
            .map(|a| agency("agency", a))
            .transpose()?,
        status: q
            .state
            .as_deref()
            .map(|s| word::<IncidentStatus>("state", s))
            .transpose()?,
        open: q.open.unwrap_or(false),
        due_before: opt_time("due_before", &q.due_before)?,
    };
    let page = state
        .platform
        .cases()
        .list(&caller, &filter, PageRequest::new(q.page, q.per_page))
        .await?;
    Ok(Json(Paged::from(page, IncidentRowDto::from)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct IncidentBody {
    pub title: String,
    /// The affected agency's code.
    pub agency: String,
    /// illegal-intrusion, denial-of-service, web-defacement, malicious-web-content, phishing,
    /// data-leak, malware, equipment-fault, other.
    pub category: String,
    /// The alert notifications it is opened from (ids from GET /alerts' notification_id).
    #[serde(default)]
    pub notifications: Vec<i64>,
    /// How it became known, when opened by hand.
    pub how_learned: Option<String>,
    /// `[{name, class: general|core|critical_infrastructure, host}]`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub assets: Value,
    pub occurred_at: Option<String>,
    /// 知悉時間: the legal clocks run from here.
    pub aware_at: String,
    /// `[{name, account, organisation, role}]`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub people: Value,
    #[serde(default)]
    pub description: String,
}

/// Open an incident from alert notifications or by hand (`manage_incidents` for its agency).
#[utoipa::path(post, path = "/incidents", tag = "incidents", request_body = IncidentBody,
    responses((status = 201, body = IncidentDto), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiJson(body): ApiJson<IncidentBody>,
) -> ApiResult<(StatusCode, Json<IncidentDto>)> {
    let input = IncidentInput {
        title: body.title,
        agency: agency("agency", &body.agency)?,
        category: word::<IncidentCategory>("category", &body.category)?,
        notifications: body.notifications,
        how_learned: body.how_learned,
        assets: list_of::<AffectedAsset>("assets", body.assets)?,
        occurred_at: opt_time("occurred_at", &body.occurred_at)?,
        aware_at: time("aware_at", &body.aware_at)?,
        people: list_of::<PersonInvolved>("people", body.people)?,
        description: body.description,
    };
    let incident = state.platform.cases().create(&caller, input).await?;
    Ok((StatusCode::CREATED, Json(incident.into())))
}

/// One incident: timeline, level history with reasons, legal clocks now and as stored,
/// forensic engagements, actions and evidence.
#[utoipa::path(get, path = "/incidents/{id}", tag = "incidents", params(("id" = String, Path, description = "e.g. INC-2025-0001")),
    responses((status = 200, body = IncidentDetailDto), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<IncidentDetailDto>> {
    let view = state
        .platform
        .cases()
        .get(&caller, &record_id(&id)?)
        .await?;
    Ok(Json(view.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AssessBody {
    pub revision: u32,
    /// `[{asset, class, sensitivity, impact}]` as the level decision table takes them.
    #[schema(value_type = Object)]
    pub effects: Value,
    /// Required for a re-assessment.
    pub why: Option<String>,
}

/// Assess or re-assess the legal level; the decision's reasons and the history are kept.
#[utoipa::path(post, path = "/incidents/{id}/assess", tag = "incidents", params(("id" = String, Path, description = "incident id")),
    request_body = AssessBody,
    responses((status = 200, body = IncidentDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn assess(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<AssessBody>,
) -> ApiResult<Json<IncidentDto>> {
    let effects = list_of::<Effect>("effects", body.effects)?;
    let incident = state
        .platform
        .cases()
        .assess(&caller, &record_id(&id)?, body.revision, effects, body.why)
        .await?;
    Ok(Json(incident.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EventBody {
    pub revision: u32,
    /// occurred, notified, level_reviewed, contained, recovered, report_submitted,
    /// improvement_plan_submitted.
    pub kind: String,
    /// When it happened (RFC 3339); not in the future, not before the aware time.
    pub at: String,
    pub note: Option<String>,
}

/// Record a moment on the incident's timeline; containment, recovery and the report move
/// its status forward.
#[utoipa::path(post, path = "/incidents/{id}/events", tag = "incidents", params(("id" = String, Path, description = "incident id")),
    request_body = EventBody,
    responses((status = 200, body = IncidentDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn add_event(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<EventBody>,
) -> ApiResult<Json<IncidentDto>> {
    let kind = word::<TimelineKind>("kind", &body.kind)?;
    let at = time("at", &body.at)?;
    let incident = state
        .platform
        .cases()
        .record_event(
            &caller,
            &record_id(&id)?,
            body.revision,
            kind,
            at,
            body.note,
        )
        .await?;
    Ok(Json(incident.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DetermineBody {
    pub revision: u32,
    /// suspected, confirmed, false_positive, benign_true_positive.
    pub determination: String,
    pub why: String,
}

#[utoipa::path(post, path = "/incidents/{id}/determination", tag = "incidents", params(("id" = String, Path, description = "incident id")),
    request_body = DetermineBody,
    responses((status = 200, body = IncidentDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn determine(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<DetermineBody>,
) -> ApiResult<Json<IncidentDto>> {
    let determination = word::<Determination>("determination", &body.determination)?;
    let incident = state
        .platform
        .cases()
        .determine(
            &caller,
            &record_id(&id)?,
            body.revision,
            determination,
            &body.why,
        )
        .await?;
    Ok(Json(incident.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CloseBody {
    pub revision: u32,
    pub summary: String,
}

/// Close the incident: a confirmed one after its report, a false or benign positive at once.
#[utoipa::path(post, path = "/incidents/{id}/close", tag = "incidents", params(("id" = String, Path, description = "incident id")),
    request_body = CloseBody,
    responses((status = 200, body = IncidentDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn close(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<CloseBody>,
) -> ApiResult<Json<IncidentDto>> {
    let incident = state
        .platform
        .cases()
        .close(&caller, &record_id(&id)?, body.revision, &body.summary)
        .await?;
    Ok(Json(incident.into()))
}

/// The incident and its actions as a STIX 2.1 bundle: `incident` with the Incident Core
/// extension, one `task` per action, the city's `identity`.
#[utoipa::path(get, path = "/incidents/{id}/stix", tag = "incidents", params(("id" = String, Path, description = "incident id")),
    responses((status = 200, body = Object, content_type = "application/stix+json;version=2.1"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn stix(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let bundle = state
        .platform
        .cases()
        .export_stix(&caller, &record_id(&id)?)
        .await?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "application/stix+json;version=2.1",
        )],
        Json(bundle),
    )
        .into_response())
}

// ---------------------------------------------------------------- forensics

#[derive(Debug, Deserialize, ToSchema)]
pub struct ForensicRequestBody {
    pub vendor: String,
    /// Which hosts, which period, what to answer.
    pub scope: String,
    pub starts_on: String,
    pub report_due: String,
}

/// Commission a forensic investigation of the incident from a vendor.
#[utoipa::path(post, path = "/incidents/{id}/forensics", tag = "incidents", params(("id" = String, Path, description = "incident id")),
    request_body = ForensicRequestBody,
    responses((status = 201, body = EngagementDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn request_forensics(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ForensicRequestBody>,
) -> ApiResult<(StatusCode, Json<EngagementDto>)> {
    let engagement = state
        .platform
        .cases()
        .request_forensics(
            &caller,
            &record_id(&id)?,
            &body.vendor,
            &body.scope,
            time("starts_on", &body.starts_on)?,
            time("report_due", &body.report_due)?,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(engagement.into())))
}

/// The fields of a multipart form, each text field once and the files in order.
pub(crate) struct Form {
    pub(crate) texts: Vec<(String, String)>,
    /// (field's file name, bytes, content type, the `sha256` field sent just before it)
    pub(crate) files: Vec<(String, Vec<u8>, String, Option<String>)>,
}

impl Form {
    pub(crate) fn text(&self, name: &str) -> Option<&str> {
        self.texts
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn revision(&self) -> Result<u32, DomainError> {
        self.text("revision")
            .and_then(|r| r.trim().parse().ok())
            .ok_or_else(|| {
                bad(
                    "revision",
                    "請附上您看到的版本（revision）".into(),
                    "send the revision you saw".into(),
                )
            })
    }
}

/// The multipart form of a request whose caller has already been checked.
pub(crate) async fn multipart_of(
    request: axum::extract::Request,
    state: &AppState,
) -> ApiResult<Multipart> {
    <Multipart as axum::extract::FromRequest<AppState>>::from_request(request, state)
        .await
        .map_err(|e| {
            ApiError::new(
                "invalid_input",
                Text::new("請以檔案上傳表單送出", "send the file with the upload form"),
            )
            .with_detail(serde_json::json!({ "reason": e.body_text() }))
        })
}

pub(crate) async fn read_form(mut multipart: Multipart, limit: usize) -> ApiResult<Form> {
    let unreadable = |reason: String| {
        ApiError::new(
            "invalid_input",
            Text::new("上傳內容無法解讀", "the upload could not be read"),
        )
        .with_detail(serde_json::json!({ "reason": reason }))
    };
    let mut form = Form {
        texts: Vec::new(),
        files: Vec::new(),
    };
    let mut pending_hash: Option<String> = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| unreadable(e.body_text()))?
    {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            let file_name = field.file_name().unwrap_or("upload").to_string();
            let media = field
                .content_type()
                .unwrap_or("application/octet-stream")
                .to_string();
            let bytes = field.bytes().await.map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::payload_too_large(Some(limit))
                } else {
                    unreadable(e.body_text())
                }
            })?;
            form.files
                .push((file_name, bytes.to_vec(), media, pending_hash.take()));
        } else {
            let text = field.text().await.map_err(|e| unreadable(e.body_text()))?;
            if name == "sha256" {
                pending_hash = Some(text.trim().to_string()).filter(|h| !h.is_empty());
            } else {
                form.texts.push((name, text));
            }
        }
    }
    Ok(form)
}

/// Upload a forensic report as a new version (multipart: `revision`, `sections` comma-separated,
/// optional `sha256`, then `file`). A file whose content is not the PDF or DOCX its name says,
/// or whose SHA-256 is not the one claimed, is refused; versions are never overwritten.
#[utoipa::path(post, path = "/forensics/{id}/reports", tag = "incidents", params(("id" = String, Path, description = "engagement id, e.g. FX-2025-0001")),
    request_body(content = String, content_type = "multipart/form-data", description = "revision, sections, sha256, file"),
    responses((status = 201, body = ReportVersionDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 413, body = ErrorBody)))]
pub async fn upload_report(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<String>,
    request: axum::extract::Request,
) -> ApiResult<(StatusCode, Json<ReportVersionDto>)> {
    let id = record_id(&id)?;
    let cases = state.platform.cases();
    // Who first: a caller who may not upload is refused before the body is read.
    cases.authorize_engagement_change(&caller, &id).await?;
    let multipart = multipart_of(request, &state).await?;
    let form = read_form(multipart, state.settings.max_upload_bytes).await?;
    let revision = form.revision()?;
    let sections = form
        .text("sections")
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| word::<ReportSection>("sections", s))
        .collect::<Result<BTreeSet<_>, _>>()?;
    let claimed = form.text("sha256").map(str::to_string);
    let Some((file_name, bytes, _, hash_before)) = form.files.into_iter().next() else {
        return Err(DomainError::invalid(
            "file",
            Text::new("請選擇要上傳的報告檔", "choose the report file to upload"),
        )
        .into());
    };
    let claimed = hash_before.or(claimed);
    let version = cases
        .upload_report(
            &caller,
            &id,
            revision,
            &file_name,
            bytes,
            claimed.as_deref(),
            sections,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(version.into())))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RevisionBody {
    pub revision: u32,
}

/// Accept the latest report (it must have all seven required sections).
#[utoipa::path(post, path = "/forensics/{id}/accept", tag = "incidents", params(("id" = String, Path, description = "engagement id")),
    request_body = RevisionBody,
    responses((status = 200, body = EngagementDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn accept_report(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<RevisionBody>,
) -> ApiResult<Json<EngagementDto>> {
    let engagement = state
        .platform
        .cases()
        .accept_report(&caller, &record_id(&id)?, body.revision)
        .await?;
    Ok(Json(engagement.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct FindingBody {
    pub revision: u32,
    /// unpatched_vulnerability, weak_or_default_credentials, phishing, misconfiguration, …
    pub root_cause: String,
    pub detail: String,
    /// `[{kind: {kind: ipv4|ipv6|domain|url|email}, value}]`, fed to threat-intel matching.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub iocs: Value,
    #[serde(default)]
    pub affected_hosts: Vec<String>,
    #[serde(default)]
    pub recommendations: Vec<String>,
}

/// Record a finding of the latest report: root cause, IOCs, affected hosts, recommendations.
#[utoipa::path(post, path = "/forensics/{id}/findings", tag = "incidents", params(("id" = String, Path, description = "engagement id")),
    request_body = FindingBody,
    responses((status = 201, body = EngagementDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn add_finding(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<FindingBody>,
) -> ApiResult<(StatusCode, Json<EngagementDto>)> {
    let root_cause = word::<RootCause>("root_cause", &body.root_cause)?;
    let iocs = list_of::<Observable>("iocs", body.iocs)?;
    let engagement = state
        .platform
        .cases()
        .add_finding(
            &caller,
            &record_id(&id)?,
            body.revision,
            root_cause,
            body.detail,
            iocs,
            body.affected_hosts,
            body.recommendations,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(engagement.into())))
}

// ---------------------------------------------------------------- actions

#[derive(Debug, Deserialize, ToSchema)]
pub struct ActionBody {
    /// The finding it follows from, e.g. FX-2025-0001-F1.
    pub finding: Option<String>,
    pub recommendation: String,
    pub owner_agency: String,
    /// The owner's user name.
    pub owner: String,
    /// In the future (RFC 3339).
    pub due_at: String,
    /// high, medium or low.
    pub priority: String,
    /// What the verifier will check.
    pub closure_criteria: String,
}

/// Turn a recommendation into a follow-up action with an owner, due date, priority and
/// closure criteria.
#[utoipa::path(post, path = "/incidents/{id}/actions", tag = "incidents", params(("id" = String, Path, description = "incident id")),
    request_body = ActionBody,
    responses((status = 201, body = ActionDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create_action(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ActionBody>,
) -> ApiResult<(StatusCode, Json<ActionDto>)> {
    let input = ActionInput {
        finding: body.finding.as_deref().map(record_id).transpose()?,
        recommendation: body.recommendation,
        owner_agency: agency("owner_agency", &body.owner_agency)?,
        owner: user("owner", &body.owner)?,
        due_at: time("due_at", &body.due_at)?,
        priority: word::<Priority>("priority", &body.priority)?,
        closure_criteria: body.closure_criteria,
    };
    let action = state
        .platform
        .cases()
        .plan_action(&caller, &record_id(&id)?, input)
        .await?;
    Ok((StatusCode::CREATED, Json(action.into())))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActionQuery {
    /// An owner's user name (`me` for the caller: "my actions").
    pub owner: Option<String>,
    /// planned, in_progress, done_pending_verification (the verifier's queue), sent_back, verified.
    pub status: Option<String>,
    pub incident: Option<String>,
}

/// Follow-up actions by due date, scoped to the owning agencies the caller reads.
#[utoipa::path(get, path = "/actions", tag = "incidents", params(ActionQuery),
    responses((status = 200, body = Vec<ActionDto>), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_actions(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiQuery(q): ApiQuery<ActionQuery>,
) -> ApiResult<Json<Vec<ActionDto>>> {
    let owner = match q.owner.as_deref() {
        Some("me") => Some(user("owner", &caller.principal.user_name)?),
        Some(name) => Some(user("owner", name)?),
        None => None,
    };
    let filter = ActionFilter {
        visible: None,
        owner,
        status: q
            .status
            .as_deref()
            .map(|s| word::<ActionStatus>("status", s))
            .transpose()?,
        incident: q.incident.as_deref().map(record_id).transpose()?,
    };
    let actions = state.platform.cases().actions(&caller, &filter).await?;
    Ok(Json(actions.into_iter().map(ActionDto::from).collect()))
}

#[utoipa::path(get, path = "/actions/{id}", tag = "incidents", params(("id" = String, Path, description = "e.g. ACT-2025-0001")),
    responses((status = 200, body = ActionDto), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_action(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ActionDto>> {
    let action = state
        .platform
        .cases()
        .action(&caller, &record_id(&id)?)
        .await?;
    Ok(Json(action.into()))
}

/// The owner records what was done (multipart: `revision`, optional `note` to submit for
/// verification, and evidence as `sha256` + `file` pairs; each file's SHA-256 must be the one
/// sent before it).
#[utoipa::path(post, path = "/actions/{id}/work", tag = "incidents", params(("id" = String, Path, description = "action id")),
    request_body(content = String, content_type = "multipart/form-data", description = "revision, note, sha256 + file pairs"),
    responses((status = 200, body = ActionDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 413, body = ErrorBody)))]
pub async fn record_work(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<String>,
    request: axum::extract::Request,
) -> ApiResult<Json<ActionDto>> {
    let id = record_id(&id)?;
    let cases = state.platform.cases();
    cases.authorize_work(&caller, &id).await?;
    let multipart = multipart_of(request, &state).await?;
    let form = read_form(multipart, state.settings.max_upload_bytes).await?;
    let revision = form.revision()?;
    let note = form
        .text("note")
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string);
    let evidence = form
        .files
        .into_iter()
        .map(|(name, bytes, media_type, claimed)| EvidenceUpload {
            name,
            bytes,
            claimed_sha256: claimed,
            media_type,
        })
        .collect();
    let action = cases
        .record_work(&caller, &id, revision, evidence, note)
        .await?;
    Ok(Json(action.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct VerdictBody {
    pub revision: u32,
    /// What was checked (verify) or what is missing (send back).
    pub note: String,
}

/// Accept the owner's work: only a verifier who is not the owner (`verify_actions`) can, and
/// only this closes an action.
#[utoipa::path(post, path = "/actions/{id}/verify", tag = "incidents", params(("id" = String, Path, description = "action id")),
    request_body = VerdictBody,
    responses((status = 200, body = ActionDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn verify(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<VerdictBody>,
) -> ApiResult<Json<ActionDto>> {
    let action = state
        .platform
        .cases()
        .verify(&caller, &record_id(&id)?, body.revision, &body.note)
        .await?;
    Ok(Json(action.into()))
}

/// Send the owner's work back, saying what is missing.
#[utoipa::path(post, path = "/actions/{id}/send-back", tag = "incidents", params(("id" = String, Path, description = "action id")),
    request_body = VerdictBody,
    responses((status = 200, body = ActionDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn send_back(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<VerdictBody>,
) -> ApiResult<Json<ActionDto>> {
    let action = state
        .platform
        .cases()
        .send_back(&caller, &record_id(&id)?, body.revision, &body.note)
        .await?;
    Ok(Json(action.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ExtendBody {
    pub revision: u32,
    /// The new due date, later than the current one.
    pub to: String,
    pub reason: String,
    /// Who asked for it; the caller approves and must be someone else.
    pub requested_by: String,
}

/// Extend the due date with a reason; the caller approves a request made by someone else.
#[utoipa::path(post, path = "/actions/{id}/extend", tag = "incidents", params(("id" = String, Path, description = "action id")),
    request_body = ExtendBody,
    responses((status = 200, body = ActionDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn extend(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ExtendBody>,
) -> ApiResult<Json<ActionDto>> {
    let action = state
        .platform
        .cases()
        .extend(
            &caller,
            &record_id(&id)?,
            body.revision,
            time("to", &body.to)?,
            &body.reason,
            &user("requested_by", &body.requested_by)?,
        )
        .await?;
    Ok(Json(action.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecurrenceDto {
    pub action: String,
    /// not_due, clean or reopen.
    pub decision: String,
    #[schema(value_type = Object)]
    pub detail: Value,
}

/// Run the 30- and 90-day recurrence checks that are due (`manage_incidents` city-wide): an
/// action whose indicators or root cause came back is reopened with the evidence.
#[utoipa::path(post, path = "/actions/recurrence-check", tag = "incidents",
    responses((status = 200, body = Vec<RecurrenceDto>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn recurrence_check(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
) -> ApiResult<Json<Vec<RecurrenceDto>>> {
    let outcomes = state
        .platform
        .cases()
        .run_recurrence_checks(&caller)
        .await?;
    Ok(Json(
        outcomes
            .into_iter()
            .map(|o| {
                let detail = to_value(&o.decision);
                RecurrenceDto {
                    action: o.action.to_string(),
                    decision: detail
                        .get("decision")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    detail,
                }
            })
            .collect(),
    ))
}
