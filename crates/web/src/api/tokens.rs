//! API tokens.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use civitas_core::DomainError;
use civitas_core::authz::Role;
use civitas_core::text::Text;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::TokenDto;
use crate::auth::ApiCaller;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Another user's tokens (needs manage_any_token); default: the caller's own.
    pub user: Option<String>,
}

#[utoipa::path(get, path = "/tokens", tag = "tokens", params(ListQuery),
    responses((status = 200, body = [TokenDto]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Vec<TokenDto>>> {
    let tokens = state
        .platform
        .tokens()
        .list(&caller, q.user.as_deref())
        .await?;
    Ok(Json(tokens.into_iter().map(TokenDto::from).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenBody {
    /// What the token is for, e.g. "nightly export script".
    pub label: String,
    /// Roles the token carries (a subset of the owner's); default: all of them.
    pub roles: Option<Vec<String>>,
    /// Days until it expires.
    pub expires_in_days: u32,
    /// Another user (needs manage_any_token); default: the caller.
    pub user: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedTokenDto {
    /// The token itself. Shown this once; civitas keeps only its hash.
    pub token: String,
    pub details: TokenDto,
}

#[utoipa::path(post, path = "/tokens", tag = "tokens", request_body = NewTokenBody,
    responses((status = 201, body = CreatedTokenDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiJson(body): ApiJson<NewTokenBody>,
) -> ApiResult<(StatusCode, Json<CreatedTokenDto>)> {
    let roles = body
        .roles
        .map(|list| {
            list.iter()
                .map(|r| {
                    Role::parse(r).ok_or_else(|| {
                        DomainError::invalid(
                            "roles",
                            Text::new(
                                format!("不認得的角色「{r}」"),
                                format!("unknown role '{r}'"),
                            ),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    let (token, details) = state
        .platform
        .tokens()
        .create(
            &caller,
            body.user.as_deref(),
            &body.label,
            roles.as_deref(),
            time::Duration::days(i64::from(body.expires_in_days)),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedTokenDto {
            token,
            details: details.into(),
        }),
    ))
}

#[utoipa::path(delete, path = "/tokens/{id}", tag = "tokens", params(("id" = i64, Path, description = "token id")),
    responses((status = 200, body = TokenDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<TokenDto>> {
    let token = state.platform.tokens().revoke(&caller, id).await?;
    Ok(Json(token.into()))
}
