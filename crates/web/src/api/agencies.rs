//! The organisation tree.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use civitas_core::DomainError;
use civitas_core::agencies::{AgencyCode, AgencyImportFormat, AgencyInput, AgencyKind};
use civitas_core::text::Text;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::dto::{AgencyDto, ImportRunDto, double_option, rejected_dtos};
use crate::auth::ApiCaller;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiBytes, ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;

fn code(raw: &str) -> Result<AgencyCode, DomainError> {
    AgencyCode::parse(raw).map_err(|_| DomainError::not_found("agency", raw))
}

fn kind(raw: &str) -> Result<AgencyKind, DomainError> {
    AgencyKind::parse(raw).ok_or_else(|| {
        DomainError::invalid(
            "kind",
            Text::new(
                format!("機關類型「{raw}」不正確；可用 city_government、bureau、subordinate、district、enterprise"),
                format!("kind '{raw}' is not one of city_government, bureau, subordinate, district, enterprise"),
            ),
        )
    })
}

#[utoipa::path(get, path = "/agencies", tag = "agencies",
    responses((status = 200, body = [AgencyDto]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
) -> ApiResult<Json<Vec<AgencyDto>>> {
    let agencies = state.platform.agencies().list(&caller).await?;
    Ok(Json(agencies.into_iter().map(AgencyDto::from).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAgencyBody {
    pub code: String,
    pub name_zh: String,
    pub name_en: Option<String>,
    pub short_name_zh: Option<String>,
    pub parent: Option<String>,
    pub kind: String,
}

#[utoipa::path(post, path = "/agencies", tag = "agencies", request_body = NewAgencyBody,
    responses((status = 201, body = AgencyDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiJson(body): ApiJson<NewAgencyBody>,
) -> ApiResult<(StatusCode, Json<AgencyDto>)> {
    let input = AgencyInput {
        code: AgencyCode::parse(&body.code)?,
        name_zh: body.name_zh,
        name_en: body.name_en,
        short_name_zh: body.short_name_zh,
        parent: body.parent.as_deref().map(AgencyCode::parse).transpose()?,
        kind: kind(&body.kind)?,
    };
    let agency = state.platform.agencies().create(&caller, input).await?;
    Ok((StatusCode::CREATED, Json(agency.into())))
}

#[utoipa::path(get, path = "/agencies/{code}", tag = "agencies", params(("code" = String, Path, description = "agency code")),
    responses((status = 200, body = AgencyDto), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(raw): ApiPath<String>,
) -> ApiResult<Json<AgencyDto>> {
    let agency = state.platform.agencies().get(&caller, &code(&raw)?).await?;
    Ok(Json(agency.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgencyPatchBody {
    pub name_zh: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub name_en: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub short_name_zh: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub parent: Option<Option<String>>,
    pub kind: Option<String>,
}

#[utoipa::path(patch, path = "/agencies/{code}", tag = "agencies", request_body = AgencyPatchBody, params(("code" = String, Path, description = "agency code")),
    responses((status = 200, body = AgencyDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(raw): ApiPath<String>,
    ApiJson(body): ApiJson<AgencyPatchBody>,
) -> ApiResult<Json<AgencyDto>> {
    let code = code(&raw)?;
    let current = state.platform.agencies().get(&caller, &code).await?;
    let mut input = current.record().input;
    if let Some(v) = body.name_zh {
        input.name_zh = v;
    }
    if let Some(v) = body.name_en {
        input.name_en = v;
    }
    if let Some(v) = body.short_name_zh {
        input.short_name_zh = v;
    }
    if let Some(v) = body.parent {
        input.parent = v.as_deref().map(AgencyCode::parse).transpose()?;
    }
    if let Some(v) = body.kind {
        input.kind = kind(&v)?;
    }
    let agency = state
        .platform
        .agencies()
        .update(&caller, &code, input)
        .await?;
    Ok(Json(agency.into()))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct RetireBody {
    /// The agency that took over its work, if any.
    pub successor: Option<String>,
}

#[utoipa::path(post, path = "/agencies/{code}/retire", tag = "agencies", request_body = RetireBody, params(("code" = String, Path, description = "agency code")),
    responses((status = 200, body = AgencyDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn retire(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(raw): ApiPath<String>,
    ApiJson(body): ApiJson<RetireBody>,
) -> ApiResult<Json<AgencyDto>> {
    let successor = body
        .successor
        .as_deref()
        .map(AgencyCode::parse)
        .transpose()?;
    let agency = state
        .platform
        .agencies()
        .retire(&caller, &code(&raw)?, successor)
        .await?;
    Ok(Json(agency.into()))
}

#[utoipa::path(post, path = "/agencies/{code}/reactivate", tag = "agencies", params(("code" = String, Path, description = "agency code")),
    responses((status = 200, body = AgencyDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn reactivate(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(raw): ApiPath<String>,
) -> ApiResult<Json<AgencyDto>> {
    let agency = state
        .platform
        .agencies()
        .reactivate(&caller, &code(&raw)?)
        .await?;
    Ok(Json(agency.into()))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// civitas-csv (code,name_zh,name_en,short_name_zh,parent_code,kind) or taoyuan-supply-list.
    pub format: Option<String>,
    /// A name for where the records came from, kept with the run.
    pub source: Option<String>,
}

#[utoipa::path(post, path = "/agencies/import", tag = "agencies", params(ImportQuery),
    request_body(content = String, content_type = "text/csv", description = "the file, UTF-8"),
    responses((status = 200, body = ImportRunDto, description = "received = created + updated + unchanged + duplicates + rejected"),
              (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiQuery(q): ApiQuery<ImportQuery>,
    ApiBytes(body): ApiBytes,
) -> ApiResult<Json<ImportRunDto>> {
    let format = match q.format.as_deref() {
        None => AgencyImportFormat::CivitasCsv,
        Some(f) => AgencyImportFormat::parse(f).ok_or_else(|| {
            DomainError::invalid(
                "format",
                Text::new(
                    "格式須為 civitas-csv 或 taoyuan-supply-list",
                    "format must be civitas-csv or taoyuan-supply-list",
                ),
            )
        })?,
    };
    let source = q.source.unwrap_or_else(|| "api upload".into());
    let (id, report) = state
        .platform
        .agencies()
        .import(&caller, &body, format, &source)
        .await?;
    let run = state.platform.imports().get(&caller, id).await?;
    let mut dto = ImportRunDto::new(run, true);
    dto.rejected_records = Some(rejected_dtos(&report));
    Ok(Json(dto))
}
