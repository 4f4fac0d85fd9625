//! Import runs.

use axum::Json;
use axum::extract::State;
use civitas_core::page::PageRequest;
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::{ImportRunDto, Paged};
use crate::auth::ApiCaller;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiPath, ApiQuery};
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// e.g. agencies.
    pub kind: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

#[utoipa::path(get, path = "/imports", tag = "imports", params(ListQuery),
    responses((status = 200, body = Paged<ImportRunDto>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Paged<ImportRunDto>>> {
    let page = state
        .platform
        .imports()
        .list(
            &caller,
            q.kind.as_deref(),
            PageRequest::new(q.page, q.per_page),
        )
        .await?;
    Ok(Json(Paged::from(page, |r| ImportRunDto::new(r, false))))
}

#[utoipa::path(get, path = "/imports/{id}", tag = "imports", params(("id" = i64, Path, description = "import run id")),
    responses((status = 200, body = ImportRunDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ImportRunDto>> {
    let run = state.platform.imports().get(&caller, id).await?;
    Ok(Json(ImportRunDto::new(run, true)))
}
