//! The catalogue over JSON: search with facets, dataset records, versions, reviews, imports.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use civitas_core::DomainError;
use civitas_core::catalog::{CatalogFormat, Dataset, DatasetRecord, DatasetStatus, SearchResult};
use civitas_core::text::Text;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::{ImportRunDto, rejected_dtos};
use crate::auth::ApiCaller;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiBytes, ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documents the query; it is read from the raw query string (facets repeat)
pub struct SearchParams {
    /// Words in Chinese or English; two-character Chinese words work (停車, 公車); 台 = 臺.
    pub q: Option<String>,
    /// `1`: search field names only.
    pub fields: Option<String>,
    /// Facet filters; repeat a name for several values (any of them).
    pub agency: Option<String>,
    pub category: Option<String>,
    pub format: Option<String>,
    /// continuous, hourly, daily, weekly, monthly, quarterly, half_yearly, yearly, multi_year, irregular, never, missing, unknown.
    pub frequency: Option<String>,
    /// fresh, due_soon, overdue, delinquent, unreachable, review_due, not_applicable, unknown.
    pub freshness: Option<String>,
    /// open, city, restricted, personal_data.
    pub access: Option<String>,
    pub license: Option<String>,
    pub kind: Option<String>,
    /// relevance (default), title, updated.
    pub sort: Option<String>,
    /// `1`: include datasets withdrawn at their source.
    pub withdrawn: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// Search results with facet counts: `{hits, total, page, facets: [[facet, [{value, count}]]]}`.
#[derive(Serialize, ToSchema)]
pub struct SearchDto {
    #[schema(value_type = Object)]
    #[serde(flatten)]
    pub result: SearchResult,
}

#[utoipa::path(get, path = "/datasets", tag = "catalog", params(SearchParams),
    responses((status = 200, body = SearchDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<SearchDto>> {
    let (mut query, _) = crate::ui::parse_search(raw.as_deref());
    if let Some(per_page) = raw
        .as_deref()
        .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "per_page"))
        .and_then(|(_, v)| v.parse().ok())
    {
        query.page = civitas_core::page::PageRequest::new(Some(query.page.page), Some(per_page));
    }
    let result = state.platform.catalog().search(&caller, &query).await?;
    Ok(Json(SearchDto { result }))
}

#[derive(Serialize, ToSchema)]
pub struct DatasetDto {
    pub id: i64,
    pub source: String,
    pub source_key: String,
    /// active or withdrawn.
    pub status: String,
    pub version: i64,
    pub series: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub seen_at: String,
    /// The last real data update civitas knows of (never a metadata edit).
    pub data_updated_at: Option<String>,
    pub reviewed_at: Option<String>,
    #[schema(value_type = Object)]
    pub freshness: Option<civitas_core::catalog::FreshnessSnapshot>,
    /// The description: Taiwan's 38-field metadata standard ⊕ DCAT-AP 3.
    #[schema(value_type = Object)]
    pub record: DatasetRecord,
}

impl From<Dataset> for DatasetDto {
    fn from(d: Dataset) -> Self {
        DatasetDto {
            id: d.id,
            source: d.key.source,
            source_key: d.key.key,
            status: match d.status {
                DatasetStatus::Active => "active".into(),
                DatasetStatus::Withdrawn { .. } => "withdrawn".into(),
            },
            version: d.version,
            series: d.series,
            created_at: d.created_at.to_rfc3339(),
            updated_at: d.updated_at.to_rfc3339(),
            seen_at: d.seen_at.to_rfc3339(),
            data_updated_at: d.data_updated_at.map(|t| t.to_rfc3339()),
            reviewed_at: d.reviewed_at.map(|t| t.to_rfc3339()),
            freshness: d.freshness,
            record: d.record,
        }
    }
}

#[utoipa::path(get, path = "/datasets/{id}", tag = "catalog", params(("id" = i64, Path, description = "dataset id")),
    responses((status = 200, body = DatasetDto), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<DatasetDto>> {
    Ok(Json(
        state.platform.catalog().get(&caller, id).await?.into(),
    ))
}

#[utoipa::path(post, path = "/datasets", tag = "catalog",
    request_body(content = Object, description = "a full description (a DatasetDto's `record`); an empty `identifier` is derived from the agency and title"),
    responses((status = 201, body = DatasetDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiJson(record): ApiJson<DatasetRecord>,
) -> ApiResult<(StatusCode, Json<DatasetDto>)> {
    let d = state.platform.catalog().create(&caller, record).await?;
    Ok((StatusCode::CREATED, Json(d.into())))
}

#[utoipa::path(put, path = "/datasets/{id}", tag = "catalog", params(("id" = i64, Path, description = "dataset id")),
    request_body(content = Object, description = "the full description (a DatasetDto's `record`)"),
    responses((status = 200, body = DatasetDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(record): ApiJson<DatasetRecord>,
) -> ApiResult<Json<DatasetDto>> {
    Ok(Json(
        state
            .platform
            .catalog()
            .update(&caller, id, record)
            .await?
            .into(),
    ))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    /// Why nothing new was published, e.g. "no change this period".
    #[serde(default)]
    pub note: String,
}

#[utoipa::path(post, path = "/datasets/{id}/review", tag = "catalog", request_body = ReviewBody, params(("id" = i64, Path, description = "dataset id")),
    responses((status = 200, body = DatasetDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn review(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ReviewBody>,
) -> ApiResult<Json<DatasetDto>> {
    Ok(Json(
        state
            .platform
            .catalog()
            .mark_reviewed(&caller, id, &body.note)
            .await?
            .into(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct VersionDto {
    pub version: i64,
    pub at: String,
    pub actor: String,
    /// `{field: [before, after]}`.
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
}

#[utoipa::path(get, path = "/datasets/{id}/versions", tag = "catalog", params(("id" = i64, Path, description = "dataset id")),
    responses((status = 200, body = [VersionDto]), (status = 404, body = ErrorBody)))]
pub async fn versions(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<VersionDto>>> {
    state.platform.catalog().get(&caller, id).await?;
    let list = state.platform.catalog().versions(&caller, id).await?;
    Ok(Json(
        list.into_iter()
            .map(|v| VersionDto {
                version: v.version,
                at: v.at.to_rfc3339(),
                actor: v.actor,
                changes: v.changes,
            })
            .collect(),
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// taoyuan-supply-list, ckan-package-search, ckan-package-show, datagovtw-jsonl,
    /// datagovtw-csv, datagovtw-json, dcat-jsonld (the platform's), or civitas-sheet (an agency's
    /// own dataset sheet: CSV, XLSX or ODS; stewards may upload rows for the agencies they manage).
    pub format: String,
    /// A name for where the records came from, kept with the run.
    pub source: Option<String>,
}

#[utoipa::path(post, path = "/catalog/import", tag = "catalog", params(ImportQuery),
    request_body(content = String, content_type = "text/csv", description = "the file (CSV in UTF-8 or Big5; XLSX or ODS for civitas-sheet)"),
    responses((status = 200, body = ImportRunDto, description = "received = created + updated + unchanged + duplicates + rejected"),
              (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiQuery(q): ApiQuery<ImportQuery>,
    ApiBytes(body): ApiBytes,
) -> ApiResult<Json<ImportRunDto>> {
    let format = CatalogFormat::parse(&q.format).ok_or_else(|| {
        DomainError::invalid(
            "format",
            Text::new(
                format!("格式須為下列之一：{}", CatalogFormat::codes()),
                format!("format must be one of: {}", CatalogFormat::codes()),
            ),
        )
    })?;
    let source = q.source.unwrap_or_else(|| "api upload".into());
    let (id, report) = state
        .platform
        .catalog()
        .import(&caller, &body, format, &source)
        .await?;
    let run = state.platform.imports().get(&caller, id).await?;
    let mut dto = ImportRunDto::new(run, true);
    dto.rejected_records = Some(rejected_dtos(&report));
    Ok(Json(dto))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DcatQuery {
    /// `turtle` (default) or `jsonld`.
    pub format: Option<String>,
}

/// The catalogue as DCAT-AP 3; the same documents are public at `/catalog.ttl` and
/// `/catalog.jsonld` (open datasets only there).
#[utoipa::path(get, path = "/catalog/dcat", tag = "catalog", params(DcatQuery),
    responses((status = 200, content_type = "text/turtle", body = String, description = "DCAT-AP 3 (Turtle or JSON-LD)"),
              (status = 403, body = ErrorBody)))]
pub async fn dcat(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiQuery(q): ApiQuery<DcatQuery>,
) -> ApiResult<axum::response::Response> {
    let turtle = !matches!(q.format.as_deref(), Some("jsonld") | Some("json-ld"));
    let body = state
        .platform
        .catalog()
        .dcat(Some(&caller), &state.settings.public_base, turtle)
        .await?;
    Ok(rdf_response(body, turtle))
}

pub fn rdf_response(body: String, turtle: bool) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    use axum::response::IntoResponse;
    let mut r = body.into_response();
    let kind = if turtle {
        "text/turtle; charset=utf-8"
    } else {
        "application/ld+json"
    };
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    r
}

/// The public DCAT documents for harvesters (open datasets; staff signed in see all).
pub async fn public_dcat(
    State(state): State<AppState>,
    ctx: crate::auth::RequestContext,
    uri: axum::http::Uri,
) -> ApiResult<axum::response::Response> {
    let turtle = uri.path().ends_with(".ttl");
    // Anyone gets the open catalogue; staff who may read the catalogue get all of it.
    let caller = ctx.caller().filter(|c| {
        c.principal
            .can_somewhere(civitas_core::authz::Permission::ReadCatalog)
    });
    let body = state
        .platform
        .catalog()
        .dcat(caller.as_ref(), &state.settings.public_base, turtle)
        .await?;
    Ok(rdf_response(body, turtle))
}
