//! Accounts and role grants.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use civitas_core::DomainError;
use civitas_core::accounts::{NewUserRequest, UserFilter, UserProfile};
use civitas_core::agencies::AgencyCode;
use civitas_core::page::PageRequest;
use civitas_core::text::Text;
use civitas_core::time::{DateStyle, Language};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::dto::{GrantDto, Paged, RoleGrantDto, UserDto, double_option};
use crate::auth::ApiCaller;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Part of a name or display name.
    pub q: Option<String>,
    /// Only users whose home agency is this.
    pub agency: Option<String>,
    pub active: Option<bool>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

#[utoipa::path(get, path = "/users", tag = "users", params(ListQuery),
    responses((status = 200, body = Paged<UserDto>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Paged<UserDto>>> {
    let filter = UserFilter {
        text: q.q,
        home_agencies: q
            .agency
            .as_deref()
            .map(AgencyCode::parse)
            .transpose()?
            .map(|c| vec![c]),
        active: q.active,
    };
    let page = state
        .platform
        .accounts()
        .list_users(&caller, filter, PageRequest::new(q.page, q.per_page))
        .await?;
    let mut items = Vec::with_capacity(page.items.len());
    for user in &page.items {
        items.push(state.platform.stores.accounts.grants_of(user.id).await?);
    }
    let mut grants = items.into_iter();
    Ok(Json(Paged::from(page, |u| {
        UserDto::new(u, &grants.next().unwrap_or_default())
    })))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    pub name: String,
    pub display_name: String,
    pub email: Option<String>,
    pub home_agency: Option<String>,
    pub password: String,
    #[serde(default)]
    pub grants: Vec<GrantDto>,
    /// zh-TW (default) or en.
    pub language: Option<String>,
    /// roc (default) or iso.
    pub date_style: Option<String>,
}

fn language(raw: Option<&str>) -> Result<Language, DomainError> {
    match raw {
        None => Ok(Language::ZhTw),
        Some(l) => Language::parse(l).ok_or_else(|| {
            DomainError::invalid(
                "language",
                Text::new("語言須為 zh-TW 或 en", "language must be zh-TW or en"),
            )
        }),
    }
}

fn date_style(raw: Option<&str>) -> Result<DateStyle, DomainError> {
    match raw {
        None => Ok(DateStyle::Roc),
        Some(s) => DateStyle::parse(s).ok_or_else(|| {
            DomainError::invalid(
                "date_style",
                Text::new("日期格式須為 roc 或 iso", "date_style must be roc or iso"),
            )
        }),
    }
}

#[utoipa::path(post, path = "/users", tag = "users", request_body = NewUserBody,
    responses((status = 201, body = UserDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiJson(body): ApiJson<NewUserBody>,
) -> ApiResult<(StatusCode, Json<UserDto>)> {
    let request = NewUserRequest {
        name: body.name,
        display_name: body.display_name,
        email: body.email,
        home_agency: body.home_agency,
        password: body.password,
        grants: body
            .grants
            .iter()
            .map(GrantDto::parse)
            .collect::<Result<_, _>>()?,
        language: language(body.language.as_deref())?,
        date_style: date_style(body.date_style.as_deref())?,
    };
    let user = state
        .platform
        .accounts()
        .create_user(&caller, request)
        .await?;
    let (user, grants) = state
        .platform
        .accounts()
        .get_user(&caller, user.name.as_str())
        .await?;
    Ok((StatusCode::CREATED, Json(UserDto::new(user, &grants))))
}

#[utoipa::path(get, path = "/users/{name}", tag = "users", params(("name" = String, Path, description = "user name")),
    responses((status = 200, body = UserDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<Json<UserDto>> {
    let (user, grants) = state.platform.accounts().get_user(&caller, &name).await?;
    Ok(Json(UserDto::new(user, &grants)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatchBody {
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub home_agency: Option<Option<String>>,
    pub active: Option<bool>,
    pub language: Option<String>,
    pub date_style: Option<String>,
}

#[utoipa::path(patch, path = "/users/{name}", tag = "users", request_body = UserPatchBody, params(("name" = String, Path, description = "user name")),
    responses((status = 200, body = UserDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(name): ApiPath<String>,
    ApiJson(body): ApiJson<UserPatchBody>,
) -> ApiResult<Json<UserDto>> {
    let (user, _) = state.platform.accounts().get_user(&caller, &name).await?;
    let mut profile = UserProfile::of(&user);
    if let Some(v) = body.display_name {
        profile.display_name = v;
    }
    if let Some(v) = body.email {
        profile.email = v;
    }
    if let Some(v) = body.home_agency {
        profile.home_agency = v.as_deref().map(AgencyCode::parse).transpose()?;
    }
    if let Some(v) = body.active {
        profile.active = v;
    }
    if body.language.is_some() {
        profile.language = language(body.language.as_deref())?;
    }
    if body.date_style.is_some() {
        profile.date_style = date_style(body.date_style.as_deref())?;
    }
    state
        .platform
        .accounts()
        .update_profile(&caller, &name, profile)
        .await?;
    let (user, grants) = state.platform.accounts().get_user(&caller, &name).await?;
    Ok(Json(UserDto::new(user, &grants)))
}

#[utoipa::path(post, path = "/users/{name}/grants", tag = "users", request_body = GrantDto, params(("name" = String, Path, description = "user name")),
    responses((status = 201, body = RoleGrantDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn add_grant(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(name): ApiPath<String>,
    ApiJson(body): ApiJson<GrantDto>,
) -> ApiResult<(StatusCode, Json<RoleGrantDto>)> {
    let grant = state
        .platform
        .accounts()
        .grant(&caller, &name, body.parse()?)
        .await?;
    Ok((StatusCode::CREATED, Json(RoleGrantDto::from(&grant))))
}

#[utoipa::path(delete, path = "/users/{name}/grants/{id}", tag = "users",
    params(("name" = String, Path, description = "user name"), ("id" = i64, Path, description = "grant id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn remove_grant(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath((name, id)): ApiPath<(String, i64)>,
) -> ApiResult<StatusCode> {
    state
        .platform
        .accounts()
        .revoke_grant(&caller, &name, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordBody {
    pub new_password: String,
}

#[utoipa::path(post, path = "/users/{name}/password", tag = "users", request_body = ResetPasswordBody, params(("name" = String, Path, description = "user name")),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn reset_password(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(name): ApiPath<String>,
    ApiJson(body): ApiJson<ResetPasswordBody>,
) -> ApiResult<StatusCode> {
    state
        .platform
        .accounts()
        .reset_password(&caller, &name, &body.new_password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/users/{name}/unlock", tag = "users", params(("name" = String, Path, description = "user name")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn unlock(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<StatusCode> {
    state.platform.accounts().unlock(&caller, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}
