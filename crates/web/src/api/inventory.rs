//! The inventory over JSON: demand for other agencies' data, its matches and gaps, the
//! agency × agency matrix; the platform register, yearly costs, source mapping and the
//! benefit report.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use civitas_core::agencies::AgencyCode;
use civitas_core::inventory::{
    BenefitRow, DataPlatform, Demand, DemandFilter, DemandInput, DemandStatus, PlatformCost,
    PlatformInput, PlatformStatus, SourceMapping, Suggestion, UnusedDataset, Urgency,
};
use civitas_core::text::Text;
use civitas_core::{Caller, DomainError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::ApiCaller;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DemandBody {
    /// The agency that needs the data; default: the caller's home agency.
    pub needing_agency: Option<String>,
    /// What data is needed.
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Fields wanted.
    #[serde(default)]
    pub fields: Vec<String>,
    /// What it is for.
    pub purpose: String,
    /// 法律依據.
    pub legal_basis: Option<String>,
    /// high, medium or low (default medium).
    pub urgency: Option<String>,
    /// The agency that probably holds it.
    pub likely_holder: Option<String>,
    /// Words to look for in the catalogue; default: the title's words.
    #[serde(default)]
    pub search_words: String,
}

#[derive(Serialize, ToSchema)]
pub struct MatchDto {
    pub dataset_id: i64,
    pub dataset_title: String,
    pub providing_agency: String,
    pub confirmed_by: String,
    pub confirmed_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct DemandDto {
    pub id: i64,
    pub needing_agency: String,
    pub title: String,
    pub description: String,
    pub fields: Vec<String>,
    pub purpose: String,
    pub legal_basis: Option<String>,
    /// high, medium, low.
    pub urgency: String,
    pub likely_holder: Option<String>,
    pub search_words: String,
    /// open, matched, met, withdrawn.
    pub status: String,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub matches: Vec<MatchDto>,
}

impl From<Demand> for DemandDto {
    fn from(d: Demand) -> Self {
        DemandDto {
            id: d.id,
            needing_agency: d.input.needing_agency.to_string(),
            title: d.input.title,
            description: d.input.description,
            fields: d.input.fields,
            purpose: d.input.purpose,
            legal_basis: d.input.legal_basis,
            urgency: d.input.urgency.code().into(),
            likely_holder: d.input.likely_holder.map(|c| c.to_string()),
            search_words: d.input.search_words,
            status: d.status.code().into(),
            created_by: d.created_by,
            created_at: d.created_at.to_rfc3339(),
            updated_at: d.updated_at.to_rfc3339(),
            matches: d
                .matches
                .into_iter()
                .map(|m| MatchDto {
                    dataset_id: m.dataset_id,
                    dataset_title: m.dataset_title,
                    providing_agency: m.providing_agency.to_string(),
                    confirmed_by: m.confirmed_by,
                    confirmed_at: m.confirmed_at.to_rfc3339(),
                })
                .collect(),
        }
    }
}

fn agency(field: &str, code: &str) -> Result<AgencyCode, DomainError> {
    AgencyCode::parse(code.trim()).map_err(|_| {
        DomainError::invalid(
            field,
            Text::new(
                format!("機關代碼「{code}」格式不正確"),
                format!("'{code}' is not an agency code"),
            ),
        )
    })
}

/// Turn a request body into the domain's input (shared with the UI forms).
pub fn demand_input(
    caller: &Caller,
    needing: Option<&str>,
    body: DemandBody,
) -> Result<DemandInput, DomainError> {
    let needing_agency = match needing.map(str::trim).filter(|s| !s.is_empty()) {
        Some(code) => agency("needing_agency", code)?,
        None => caller.principal.home_agency.clone().ok_or_else(|| {
            DomainError::invalid(
                "needing_agency",
                Text::new(
                    "請指定需求機關（您的帳號沒有所屬機關）",
                    "say which agency needs the data (your account has no home agency)",
                ),
            )
        })?,
    };
    let urgency = match body.urgency.as_deref().map(str::trim) {
        None | Some("") => Urgency::Medium,
        Some(u) => Urgency::parse(u).ok_or_else(|| {
            DomainError::invalid(
                "urgency",
                Text::new(
                    "急迫程度須為 high、medium 或 low",
                    "urgency is high, medium or low",
                ),
            )
        })?,
    };
    let likely_holder = match body.likely_holder.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(c) => Some(agency("likely_holder", c)?),
    };
    Ok(DemandInput {
        needing_agency,
        title: body.title,
        description: body.description,
        fields: body.fields,
        purpose: body.purpose,
        legal_basis: body.legal_basis,
        urgency,
        likely_holder,
        search_words: body.search_words,
    })
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DemandsQuery {
    /// Only this needing agency's demand.
    pub agency: Option<String>,
    /// open, matched, met or withdrawn.
    pub status: Option<String>,
}

pub fn status_param(raw: Option<&str>) -> ApiResult<Option<DemandStatus>> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => DemandStatus::parse(s).map(Some).ok_or_else(|| {
            DomainError::invalid(
                "status",
                Text::new(
                    "狀態須為 open、matched、met 或 withdrawn",
                    "status is open, matched, met or withdrawn",
                ),
            )
            .into()
        }),
    }
}

/// Every agency's demand for other agencies' data (whoever reads the catalogue).
#[utoipa::path(get, path = "/demands", tag = "inventory", params(DemandsQuery),
    responses((status = 200, body = [DemandDto]), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_demands(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiQuery(q): ApiQuery<DemandsQuery>,
) -> ApiResult<Json<Vec<DemandDto>>> {
    let filter = DemandFilter {
        needing_agencies: match q.agency.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(c) => Some(vec![agency("agency", c)?]),
            None => None,
        },
        status: status_param(q.status.as_deref())?,
    };
    let list = state.platform.inventory().demands(&caller, &filter).await?;
    Ok(Json(list.into_iter().map(DemandDto::from).collect()))
}

/// Record data the needing agency needs (its stewards only).
#[utoipa::path(post, path = "/demands", tag = "inventory", request_body = DemandBody,
    responses((status = 201, body = DemandDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_demand(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiJson(body): ApiJson<DemandBody>,
) -> ApiResult<(StatusCode, Json<DemandDto>)> {
    let needing = body.needing_agency.clone();
    let input = demand_input(&caller, needing.as_deref(), body)?;
    let d = state
        .platform
        .inventory()
        .create_demand(&caller, input)
        .await?;
    Ok((StatusCode::CREATED, Json(d.into())))
}

#[utoipa::path(get, path = "/demands/{id}", tag = "inventory", params(("id" = i64, Path, description = "demand id")),
    responses((status = 200, body = DemandDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_demand(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<DemandDto>> {
    Ok(Json(
        state.platform.inventory().demand(&caller, id).await?.into(),
    ))
}

/// Replace a demand's description (stewards of the needing agency).
#[utoipa::path(put, path = "/demands/{id}", tag = "inventory", params(("id" = i64, Path, description = "demand id")),
    request_body = DemandBody,
    responses((status = 200, body = DemandDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn update_demand(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<DemandBody>,
) -> ApiResult<Json<DemandDto>> {
    let current = state.platform.inventory().editable(&caller, id).await?;
    let needing = body
        .needing_agency
        .clone()
        .unwrap_or_else(|| current.input.needing_agency.to_string());
    let input = demand_input(&caller, Some(&needing), body)?;
    Ok(Json(
        state
            .platform
            .inventory()
            .update_demand(&caller, id, input)
            .await?
            .into(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    /// met, withdrawn or open (reopen). A demand becomes matched by confirming a dataset.
    pub status: String,
}

#[utoipa::path(post, path = "/demands/{id}/status", tag = "inventory", params(("id" = i64, Path, description = "demand id")),
    request_body = StatusBody,
    responses((status = 200, body = DemandDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn set_status(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<StatusBody>,
) -> ApiResult<Json<DemandDto>> {
    let status = status_param(Some(&body.status))?
        .ok_or_else(|| DomainError::invalid("status", Text::new("請指定狀態", "give a status")))?;
    Ok(Json(
        state
            .platform
            .inventory()
            .set_status(&caller, id, status)
            .await?
            .into(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct SuggestionDto {
    pub dataset_id: i64,
    pub title: String,
    pub agency: String,
    /// How many of the demand's words found it.
    pub words_hit: usize,
    /// open, city, restricted or personal_data.
    pub access: String,
}

impl From<Suggestion> for SuggestionDto {
    fn from(s: Suggestion) -> Self {
        SuggestionDto {
            dataset_id: s.dataset_id,
            title: s.title,
            agency: s.agency,
            words_hit: s.words_hit,
            access: s.access,
        }
    }
}

/// Datasets the catalogue search finds for a demand (other agencies' only).
#[utoipa::path(get, path = "/demands/{id}/suggestions", tag = "inventory", params(("id" = i64, Path, description = "demand id")),
    responses((status = 200, body = [SuggestionDto]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn suggestions(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<SuggestionDto>>> {
    let list = state.platform.inventory().suggestions(&caller, id).await?;
    Ok(Json(list.into_iter().map(SuggestionDto::from).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchBody {
    pub dataset_id: i64,
}

/// Confirm that a dataset holds what the demand asks for.
#[utoipa::path(post, path = "/demands/{id}/matches", tag = "inventory", params(("id" = i64, Path, description = "demand id")),
    request_body = MatchBody,
    responses((status = 200, body = DemandDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn confirm_match(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<MatchBody>,
) -> ApiResult<Json<DemandDto>> {
    Ok(Json(
        state
            .platform
            .inventory()
            .confirm_match(&caller, id, body.dataset_id)
            .await?
            .into(),
    ))
}

#[utoipa::path(delete, path = "/demands/{id}/matches/{dataset_id}", tag = "inventory",
    params(("id" = i64, Path, description = "demand id"), ("dataset_id" = i64, Path, description = "dataset id")),
    responses((status = 200, body = DemandDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove_match(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath((id, dataset_id)): ApiPath<(i64, i64)>,
) -> ApiResult<Json<DemandDto>> {
    Ok(Json(
        state
            .platform
            .inventory()
            .remove_match(&caller, id, dataset_id)
            .await?
            .into(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct CellDto {
    pub needing_agency: String,
    /// Absent when nobody knows who holds it.
    pub holding_agency: Option<String>,
    /// Still needed (open or matched).
    pub demands: u64,
    pub matched: u64,
    pub met: u64,
    /// Open with nothing found in the catalogue.
    pub gaps: u64,
}

#[derive(Serialize, ToSchema)]
pub struct MatrixDto {
    pub cells: Vec<CellDto>,
    /// Ids of the demands that are gaps.
    pub gaps: Vec<i64>,
}

/// Which agency needs what from whom, city-wide.
#[utoipa::path(get, path = "/inventory/matrix", tag = "inventory",
    responses((status = 200, body = MatrixDto), (status = 403, body = ErrorBody)))]
pub async fn matrix(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
) -> ApiResult<Json<MatrixDto>> {
    let o = state.platform.inventory().overview(&caller).await?;
    let mut gaps: Vec<i64> = o.gap_ids.into_iter().collect();
    gaps.sort_unstable();
    Ok(Json(MatrixDto {
        cells: o
            .cells
            .into_iter()
            .map(|c| CellDto {
                needing_agency: c.needing.to_string(),
                holding_agency: c.holder.map(|h| h.to_string()),
                demands: c.demands,
                matched: c.matched,
                met: c.met,
                gaps: c.gaps,
            })
            .collect(),
        gaps,
    }))
}

// ---- platforms ----

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlatformBody {
    pub name_zh: String,
    pub name_en: Option<String>,
    /// The operating agency's code.
    pub operator: String,
    /// ROC year it went into service (104 for 2015).
    pub since_year: Option<i32>,
    /// active or retired.
    pub status: String,
    /// ROC year it was retired.
    pub retired_year: Option<i32>,
    pub note: Option<String>,
}

pub fn platform_input(body: PlatformBody) -> ApiResult<PlatformInput> {
    Ok(PlatformInput {
        name_zh: body.name_zh,
        name_en: body.name_en,
        operator: agency("operator", &body.operator)?,
        since_year: body.since_year,
        status: PlatformStatus::parse(body.status.trim()).ok_or_else(|| {
            DomainError::invalid(
                "status",
                Text::new("狀態須為 active 或 retired", "status is active or retired"),
            )
        })?,
        retired_year: body.retired_year,
        note: body.note,
    })
}

#[derive(Serialize, ToSchema)]
pub struct CostDto {
    pub roc_year: i32,
    /// NT$.
    pub amount: i64,
    pub note: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PlatformDto {
    pub id: i64,
    pub name_zh: String,
    pub name_en: Option<String>,
    pub operator: String,
    pub since_year: Option<i32>,
    /// active or retired.
    pub status: String,
    pub retired_year: Option<i32>,
    pub note: Option<String>,
    /// Years with a cost entered; a year not listed is unknown (未填), not zero.
    pub costs: Vec<CostDto>,
}

fn platform_dto(p: DataPlatform, costs: &[PlatformCost]) -> PlatformDto {
    PlatformDto {
        costs: costs
            .iter()
            .filter(|c| c.platform_id == p.id)
            .map(|c| CostDto {
                roc_year: c.roc_year,
                amount: c.amount,
                note: c.note.clone(),
            })
            .collect(),
        id: p.id,
        name_zh: p.input.name_zh,
        name_en: p.input.name_en,
        operator: p.input.operator.to_string(),
        since_year: p.input.since_year,
        status: p.input.status.code().into(),
        retired_year: p.input.retired_year,
        note: p.input.note,
    }
}

/// The city's platforms with their yearly costs.
#[utoipa::path(get, path = "/platforms", tag = "inventory",
    responses((status = 200, body = [PlatformDto]), (status = 403, body = ErrorBody)))]
pub async fn list_platforms(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
) -> ApiResult<Json<Vec<PlatformDto>>> {
    let inv = state.platform.inventory();
    let costs = inv.costs(&caller).await?;
    let list = inv.platforms(&caller).await?;
    Ok(Json(
        list.into_iter().map(|p| platform_dto(p, &costs)).collect(),
    ))
}

/// Register a platform (administrators, city-wide).
#[utoipa::path(post, path = "/platforms", tag = "inventory", request_body = PlatformBody,
    responses((status = 201, body = PlatformDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn create_platform(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiJson(body): ApiJson<PlatformBody>,
) -> ApiResult<(StatusCode, Json<PlatformDto>)> {
    let p = state
        .platform
        .inventory()
        .create_platform(&caller, platform_input(body)?)
        .await?;
    Ok((StatusCode::CREATED, Json(platform_dto(p, &[]))))
}

#[utoipa::path(put, path = "/platforms/{id}", tag = "inventory", params(("id" = i64, Path, description = "platform id")),
    request_body = PlatformBody,
    responses((status = 200, body = PlatformDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn update_platform(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<PlatformBody>,
) -> ApiResult<Json<PlatformDto>> {
    let inv = state.platform.inventory();
    let p = inv
        .update_platform(&caller, id, platform_input(body)?)
        .await?;
    let costs = inv.costs(&caller).await?;
    Ok(Json(platform_dto(p, &costs)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CostBody {
    /// NT$, whole dollars.
    pub amount: i64,
    pub note: Option<String>,
}

/// Enter what a platform cost in an ROC year.
#[utoipa::path(put, path = "/platforms/{id}/costs/{year}", tag = "inventory",
    params(("id" = i64, Path, description = "platform id"), ("year" = i32, Path, description = "ROC year, e.g. 113")),
    request_body = CostBody,
    responses((status = 200, body = CostDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn set_cost(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath((id, year)): ApiPath<(i64, i32)>,
    ApiJson(body): ApiJson<CostBody>,
) -> ApiResult<Json<CostDto>> {
    let c = state
        .platform
        .inventory()
        .set_cost(&caller, id, year, body.amount, body.note)
        .await?;
    Ok(Json(CostDto {
        roc_year: c.roc_year,
        amount: c.amount,
        note: c.note,
    }))
}

/// Remove a year's cost: it becomes unknown again (未填).
#[utoipa::path(delete, path = "/platforms/{id}/costs/{year}", tag = "inventory",
    params(("id" = i64, Path, description = "platform id"), ("year" = i32, Path, description = "ROC year")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove_cost(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath((id, year)): ApiPath<(i64, i32)>,
) -> ApiResult<StatusCode> {
    state
        .platform
        .inventory()
        .remove_cost(&caller, id, year)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct SourceDto {
    /// The harvest source name datasets carry.
    pub source: String,
    /// The platform its datasets come from; absent: none.
    pub platform_id: Option<i64>,
    /// Active datasets from it (ignored when sent).
    #[serde(default)]
    pub datasets: u64,
}

impl From<SourceMapping> for SourceDto {
    fn from(s: SourceMapping) -> Self {
        SourceDto {
            source: s.source,
            platform_id: s.platform_id,
            datasets: s.datasets,
        }
    }
}

/// Harvest sources and the platform each maps to.
#[utoipa::path(get, path = "/platforms/sources", tag = "inventory",
    responses((status = 200, body = [SourceDto]), (status = 403, body = ErrorBody)))]
pub async fn list_sources(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
) -> ApiResult<Json<Vec<SourceDto>>> {
    let list = state.platform.inventory().sources(&caller).await?;
    Ok(Json(list.into_iter().map(SourceDto::from).collect()))
}

/// Map a harvest source to a platform (or to none).
#[utoipa::path(put, path = "/platforms/sources", tag = "inventory", request_body = SourceDto,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn map_source(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiJson(body): ApiJson<SourceDto>,
) -> ApiResult<StatusCode> {
    state
        .platform
        .inventory()
        .map_source(&caller, &body.source, body.platform_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BenefitQuery {
    /// Datasets nobody used in this many months (default 12).
    pub months: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct BenefitRowDto {
    pub platform_id: i64,
    pub roc_year: i32,
    pub datasets: u64,
    pub used_datasets: u64,
    /// Views + downloads + API calls.
    pub uses: u64,
    /// Distinct people and data keys.
    pub active_users: u64,
    pub consuming_agencies: u64,
    /// NT$; absent when not entered.
    pub cost: Option<i64>,
    pub cost_per_active_user: Option<f64>,
    pub cost_per_use: Option<f64>,
}

impl From<BenefitRow> for BenefitRowDto {
    fn from(r: BenefitRow) -> Self {
        BenefitRowDto {
            platform_id: r.platform_id,
            roc_year: r.roc_year,
            datasets: r.datasets,
            used_datasets: r.used_datasets,
            uses: r.uses,
            active_users: r.users,
            consuming_agencies: r.agencies,
            cost: r.cost,
            cost_per_active_user: r.cost_per_user,
            cost_per_use: r.cost_per_use,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UnusedDto {
    pub platform_id: Option<i64>,
    pub dataset_id: i64,
    pub title: String,
    pub agency: String,
}

impl From<UnusedDataset> for UnusedDto {
    fn from(u: UnusedDataset) -> Self {
        UnusedDto {
            platform_id: u.platform_id,
            dataset_id: u.dataset_id,
            title: u.title,
            agency: u.agency,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct BenefitDto {
    /// The sum of every cost entered (NT$).
    pub total_cost: i64,
    pub rows: Vec<BenefitRowDto>,
    pub unused_months: i64,
    pub unused: Vec<UnusedDto>,
}

/// Cost and use per platform and ROC year; datasets nobody used.
#[utoipa::path(get, path = "/platforms/benefit", tag = "inventory", params(BenefitQuery),
    responses((status = 200, body = BenefitDto), (status = 403, body = ErrorBody)))]
pub async fn benefit(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiQuery(q): ApiQuery<BenefitQuery>,
) -> ApiResult<Json<BenefitDto>> {
    let r = state
        .platform
        .inventory()
        .benefit(&caller, q.months.unwrap_or(12))
        .await?;
    Ok(Json(BenefitDto {
        total_cost: r.total_cost,
        rows: r.rows.into_iter().map(BenefitRowDto::from).collect(),
        unused_months: r.unused_months,
        unused: r.unused.into_iter().map(UnusedDto::from).collect(),
    }))
}
