//! The caller's own account.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use civitas_core::text::Text;
use civitas_core::time::{DateStyle, Language};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::{GrantDto, UserDto};
use crate::auth::{ApiCaller, Identity};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct MeDto {
    pub user: UserDto,
    /// session or token.
    pub via: String,
    pub token_id: Option<i64>,
    /// What this call may do: for a token, the token's roles its owner still holds.
    pub effective_grants: Vec<GrantDto>,
}

#[utoipa::path(get, path = "/me", tag = "me",
    responses((status = 200, body = MeDto), (status = 401, body = ErrorBody)))]
pub async fn whoami(
    State(state): State<AppState>,
    ApiCaller { caller, ctx }: ApiCaller,
) -> ApiResult<Json<MeDto>> {
    let name = caller.principal.user_name.clone();
    let (user, grants) = state.platform.accounts().get_user(&caller, &name).await?;
    Ok(Json(MeDto {
        user: UserDto::new(user, &grants),
        via: match ctx.identity {
            Identity::Token { .. } => "token".into(),
            _ => "session".into(),
        },
        token_id: caller.principal.token_id,
        effective_grants: caller.principal.grants.iter().map(GrantDto::from).collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesBody {
    /// zh-TW or en.
    pub language: String,
    /// roc or iso.
    pub date_style: String,
}

#[utoipa::path(put, path = "/me/preferences", tag = "me", request_body = PreferencesBody,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn set_preferences(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiJson(body): ApiJson<PreferencesBody>,
) -> ApiResult<StatusCode> {
    let language = Language::parse(&body.language).ok_or_else(|| {
        ApiError::from(civitas_core::DomainError::invalid(
            "language",
            Text::new("語言須為 zh-TW 或 en", "language must be zh-TW or en"),
        ))
    })?;
    let date_style = DateStyle::parse(&body.date_style).ok_or_else(|| {
        ApiError::from(civitas_core::DomainError::invalid(
            "date_style",
            Text::new("日期格式須為 roc 或 iso", "date_style must be roc or iso"),
        ))
    })?;
    state
        .platform
        .accounts()
        .set_preferences(&caller, language, date_style)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OwnPasswordBody {
    pub current_password: String,
    pub new_password: String,
}

#[utoipa::path(post, path = "/me/password", tag = "me", request_body = OwnPasswordBody,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    ApiCaller { caller, ctx }: ApiCaller,
    ApiJson(body): ApiJson<OwnPasswordBody>,
) -> ApiResult<StatusCode> {
    let keep = match &ctx.identity {
        Identity::Session { session, .. } => Some(session.id_hash.clone()),
        _ => None,
    };
    state
        .platform
        .accounts()
        .change_own_password(
            &caller,
            &body.current_password,
            &body.new_password,
            keep.as_deref(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
