//! The caller's own notifications: what civitas told them (a dataset falls due, is overdue,
//! is due for review). Nobody can list or mark anyone else's.

use axum::Json;
use axum::extract::State;
use civitas_core::DomainError;
use civitas_core::notify::Notification;
use civitas_core::page::PageRequest;
use civitas_core::text::Text;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::Paged;
use crate::auth::ApiCaller;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiPath, ApiQuery};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationDto {
    pub id: i64,
    /// What it is about: freshness.
    pub kind: String,
    pub dataset_id: Option<i64>,
    pub title_zh: String,
    pub title_en: String,
    pub body_zh: String,
    pub body_en: String,
    /// A path in civitas, e.g. /catalog/datasets/1.
    pub link: Option<String>,
    pub created_at: String,
    /// Absent while unread.
    pub read_at: Option<String>,
}

impl From<Notification> for NotificationDto {
    fn from(n: Notification) -> Self {
        NotificationDto {
            id: n.id,
            kind: n.kind.code().to_string(),
            dataset_id: n.dataset_id,
            title_zh: n.title.zh,
            title_en: n.title.en,
            body_zh: n.body.zh,
            body_en: n.body.en,
            link: n.link,
            created_at: n.created_at.to_rfc3339(),
            read_at: n.read_at.map(|t| t.to_rfc3339()),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// 1 (or true): only unread notifications.
    pub unread: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// `?unread=1`, `?unread=true`, `?unread=0`.
pub fn unread_flag(raw: Option<&str>) -> Result<bool, DomainError> {
    match raw {
        None | Some("" | "0" | "false") => Ok(false),
        Some("1" | "true") => Ok(true),
        Some(_) => Err(DomainError::invalid(
            "unread",
            Text::new("unread 須為 1 或 0", "unread is 1 or 0"),
        )),
    }
}

#[utoipa::path(get, path = "/notifications", tag = "notifications", params(ListQuery),
    responses((status = 200, body = Paged<NotificationDto>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Paged<NotificationDto>>> {
    let unread = unread_flag(q.unread.as_deref())?;
    let page = state
        .platform
        .notifications()
        .list(&caller, unread, PageRequest::new(q.page, q.per_page))
        .await?;
    Ok(Json(Paged::from(page, NotificationDto::from)))
}

#[utoipa::path(post, path = "/notifications/{id}/read", tag = "notifications",
    params(("id" = i64, Path, description = "notification id")),
    responses((status = 200, body = NotificationDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn read(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<NotificationDto>> {
    let n = state
        .platform
        .notifications()
        .mark_read(&caller, id)
        .await?;
    Ok(Json(n.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MarkedDto {
    /// How many were unread until now.
    pub marked: u64,
}

#[utoipa::path(post, path = "/notifications/read-all", tag = "notifications",
    responses((status = 200, body = MarkedDto), (status = 401, body = ErrorBody)))]
pub async fn read_all(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
) -> ApiResult<Json<MarkedDto>> {
    let marked = state
        .platform
        .notifications()
        .mark_all_read(&caller)
        .await?;
    Ok(Json(MarkedDto { marked }))
}
