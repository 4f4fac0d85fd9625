//! Accounts and their roles, for administrators (and auditors, read-only).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use civitas_core::accounts::{NewUserRequest, User, UserFilter, UserProfile};
use civitas_core::agencies::{AgencyCode, AgencyTree};
use civitas_core::authz::{Grant, Permission, Role, Scope};
use civitas_core::error::DomainError;
use civitas_core::page::PageRequest;
use civitas_core::text::Text;
use serde::Deserialize;

use super::{
    Chrome, FieldErrors, Page, field_errors, is_form_error, redirect_with_flash, render,
    render_status,
};
use crate::error::ApiResult;
use crate::extract::{ApiPath, ApiQuery, UiForm};
use crate::state::AppState;

pub struct UserRow {
    pub name: String,
    pub display_name: String,
    pub agency: String,
    pub roles: String,
    pub active: bool,
    pub locked: bool,
    pub last_login: String,
}

#[derive(Template)]
#[template(path = "users/list.html")]
struct ListPage {
    chrome: Chrome,
    users: Vec<UserRow>,
    q: String,
    can_manage: bool,
    page: u32,
    pages: u64,
    total: u64,
    base: String,
}

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    page: Option<u32>,
}

fn agency_options(agencies: &[civitas_core::agencies::Agency]) -> Vec<(String, String)> {
    let tree = AgencyTree::new(agencies);
    tree.walk()
        .into_iter()
        .filter(|n| n.agency.active)
        .map(|n| {
            (
                n.agency.code.to_string(),
                format!("{}{}", "　".repeat(n.depth), n.agency.name_zh),
            )
        })
        .collect()
}

fn role_options(chrome: &Chrome) -> Vec<(&'static str, &'static str)> {
    Role::ALL
        .iter()
        .map(|r| (r.as_str(), chrome.role(*r)))
        .collect()
}

pub async fn list(
    State(state): State<AppState>,
    page: Page,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Response> {
    let text = q.q.unwrap_or_default();
    let request = PageRequest::new(q.page, Some(50));
    let filter = UserFilter {
        text: Some(text.clone()).filter(|t| !t.trim().is_empty()),
        ..Default::default()
    };
    let result = state
        .platform
        .accounts()
        .list_users(&page.caller, filter, request)
        .await?;
    let chrome = page.chrome("user.title");
    let names = super::agency_names(&state).await;
    let now = state.platform.now();
    let mut users = Vec::new();
    for u in &result.items {
        let grants = state.platform.stores.accounts.grants_of(u.id).await?;
        users.push(UserRow {
            name: u.name.to_string(),
            display_name: u.display_name.clone(),
            agency: u
                .home_agency
                .as_ref()
                .and_then(|c| names.get(c.as_str()).cloned())
                .unwrap_or_else(|| "—".into()),
            roles: grants
                .iter()
                .map(|g| chrome.grant(&g.grant, &names))
                .collect::<Vec<_>>()
                .join("、"),
            active: u.active,
            locked: u.locked_until.is_some_and(|t| t > now),
            last_login: chrome.opt_datetime(u.last_login_at),
        });
    }
    let base = format!(
        "/users?{}&",
        serde_urlencoded::to_string([("q", text.as_str())]).unwrap_or_default()
    );
    render(&ListPage {
        can_manage: page.caller.principal.can_somewhere(Permission::ManageUsers),
        users,
        q: text,
        page: result.page,
        pages: result.pages(),
        total: result.total,
        base,
        chrome,
    })
}

#[derive(Deserialize, Default, Clone)]
pub struct NewUserForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    home_agency: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    role_agency: String,
    #[serde(default)]
    password: String,
}

#[derive(Template)]
#[template(path = "users/new.html")]
struct NewPage {
    chrome: Chrome,
    form: NewUserForm,
    errors: FieldErrors,
    agencies: Vec<(String, String)>,
    roles: Vec<(&'static str, &'static str)>,
}

async fn new_page(
    state: &AppState,
    page: &Page,
    form: NewUserForm,
    errors: FieldErrors,
    status: StatusCode,
) -> ApiResult<Response> {
    let chrome = page.chrome("user.new");
    let agencies = agency_options(&state.platform.agencies().list(&page.caller).await?);
    let roles = role_options(&chrome);
    let mut form = form;
    form.password.clear(); // never echo a password back
    render_status(
        status,
        &NewPage {
            chrome,
            form,
            errors,
            agencies,
            roles,
        },
    )
}

pub async fn new_form(State(state): State<AppState>, page: Page) -> ApiResult<Response> {
    page.require_somewhere(Permission::ManageUsers)?;
    new_page(
        &state,
        &page,
        NewUserForm::default(),
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

fn scope_of(raw: &str) -> Result<Scope, DomainError> {
    match raw.trim() {
        "" => Ok(Scope::City),
        code => Ok(Scope::Agency(AgencyCode::parse(code).map_err(|_| {
            DomainError::invalid(
                "grants",
                Text::new(
                    "請選擇角色適用的機關",
                    "choose the agency the role applies to",
                ),
            )
        })?)),
    }
}

fn grant_of(role: &str, agency: &str) -> Result<Option<Grant>, DomainError> {
    if role.trim().is_empty() {
        return Ok(None);
    }
    let role = Role::parse(role.trim()).ok_or_else(|| {
        DomainError::invalid(
            "grants",
            Text::new("請選擇有效的角色", "choose a valid role"),
        )
    })?;
    Ok(Some(Grant {
        role,
        scope: scope_of(agency)?,
    }))
}

pub async fn create(
    State(state): State<AppState>,
    page: Page,
    UiForm(form): UiForm<NewUserForm>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ManageUsers)?;
    let result = async {
        let grants = grant_of(&form.role, &form.role_agency)?
            .into_iter()
            .collect();
        let request = NewUserRequest {
            name: form.name.clone(),
            display_name: form.display_name.clone(),
            email: Some(form.email.clone()),
            home_agency: Some(form.home_agency.clone()),
            password: form.password.clone(),
            grants,
            language: civitas_core::time::Language::ZhTw,
            date_style: civitas_core::time::DateStyle::Roc,
        };
        state
            .platform
            .accounts()
            .create_user(&page.caller, request)
            .await
    }
    .await;
    match result {
        Ok(user) => Ok(redirect_with_flash(
            &format!("/users/{}", user.name),
            "flash.user_created",
            user.name.as_str(),
            state.settings.cookie_secure,
        )),
        Err(e) if is_form_error(&e) => {
            let errors = field_errors(&e, page.ctx.lang);
            new_page(
                &state,
                &page,
                form,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub struct GrantRow {
    pub id: i64,
    pub role: &'static str,
    pub scope: String,
    pub granted: String,
}

#[derive(Template)]
#[template(path = "users/detail.html")]
struct DetailPage {
    chrome: Chrome,
    user: User,
    agency: String,
    home_agency: String,
    last_login: String,
    locked: bool,
    locked_until: String,
    password_changed: String,
    created: String,
    grants: Vec<GrantRow>,
    can_manage: bool,
    agencies: Vec<(String, String)>,
    roles: Vec<(&'static str, &'static str)>,
    errors: FieldErrors,
}

async fn detail_page(
    state: &AppState,
    page: &Page,
    name: &str,
    errors: FieldErrors,
    status: StatusCode,
) -> ApiResult<Response> {
    let (user, grants) = state
        .platform
        .accounts()
        .get_user(&page.caller, name)
        .await?;
    let chrome = page.chrome("user.title");
    let names = super::agency_names(state).await;
    let target = state
        .platform
        .agencies()
        .target(user.home_agency.as_ref())
        .await?;
    let now = state.platform.now();
    let locked = user.locked_until.is_some_and(|t| t > now);
    let agencies = agency_options(&state.platform.agencies().list(&page.caller).await?);
    let roles = role_options(&chrome);
    render_status(
        status,
        &DetailPage {
            agency: user
                .home_agency
                .as_ref()
                .and_then(|c| names.get(c.as_str()).cloned())
                .unwrap_or_else(|| "—".into()),
            home_agency: user
                .home_agency
                .as_ref()
                .map(|c| c.to_string())
                .unwrap_or_default(),
            last_login: chrome.opt_datetime(user.last_login_at),
            locked,
            locked_until: chrome.opt_datetime(user.locked_until),
            password_changed: chrome.datetime(user.password_changed_at),
            created: chrome.datetime(user.created_at),
            grants: grants
                .iter()
                .map(|g| GrantRow {
                    id: g.id,
                    role: chrome.role(g.grant.role),
                    scope: match &g.grant.scope {
                        Scope::City => chrome.t("user.city_wide").to_string(),
                        Scope::Agency(c) => names
                            .get(c.as_str())
                            .cloned()
                            .unwrap_or_else(|| c.to_string()),
                    },
                    granted: format!("{} · {}", chrome.datetime(g.granted_at), g.granted_by),
                })
                .collect(),
            can_manage: page.can(Permission::ManageUsers, &target),
            agencies,
            roles,
            errors,
            user,
            chrome,
        },
    )
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<Response> {
    detail_page(&state, &page, &name, FieldErrors::new(), StatusCode::OK).await
}

/// Run a change; on a form error show the user page again with the message.
async fn after_change(
    state: &AppState,
    page: &Page,
    name: &str,
    result: Result<(), DomainError>,
    flash: &str,
) -> ApiResult<Response> {
    match result {
        Ok(()) => Ok(redirect_with_flash(
            &format!("/users/{name}"),
            flash,
            name,
            state.settings.cookie_secure,
        )),
        Err(e) if is_form_error(&e) => {
            let errors = field_errors(&e, page.ctx.lang);
            detail_page(state, page, name, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    home_agency: String,
    active: Option<String>,
}

pub async fn update(
    State(state): State<AppState>,
    page: Page,
    ApiPath(name): ApiPath<String>,
    UiForm(form): UiForm<ProfileForm>,
) -> ApiResult<Response> {
    let (user, _) = state
        .platform
        .accounts()
        .get_user(&page.caller, &name)
        .await?;
    let result = async {
        let home_agency = match form.home_agency.trim() {
            "" => None,
            c => Some(AgencyCode::parse(c)?),
        };
        let profile = UserProfile {
            display_name: form.display_name.clone(),
            email: Some(form.email.clone()),
            home_agency,
            active: form.active.is_some(),
            language: user.language,
            date_style: user.date_style,
        };
        state
            .platform
            .accounts()
            .update_profile(&page.caller, &name, profile)
            .await
            .map(|_| ())
    }
    .await;
    after_change(&state, &page, &name, result, "flash.saved").await
}

#[derive(Deserialize)]
pub struct GrantForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    role_agency: String,
}

pub async fn grant(
    State(state): State<AppState>,
    page: Page,
    ApiPath(name): ApiPath<String>,
    UiForm(form): UiForm<GrantForm>,
) -> ApiResult<Response> {
    let result = async {
        let grant = grant_of(&form.role, &form.role_agency)?.ok_or_else(|| {
            DomainError::invalid("grants", Text::new("請選擇角色", "choose a role"))
        })?;
        state
            .platform
            .accounts()
            .grant(&page.caller, &name, grant)
            .await
            .map(|_| ())
    }
    .await;
    after_change(&state, &page, &name, result, "flash.role_added").await
}

pub async fn revoke(
    State(state): State<AppState>,
    page: Page,
    ApiPath((name, id)): ApiPath<(String, i64)>,
) -> ApiResult<Response> {
    let result = state
        .platform
        .accounts()
        .revoke_grant(&page.caller, &name, id)
        .await;
    after_change(&state, &page, &name, result, "flash.role_removed").await
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    new_password: String,
}

pub async fn reset_password(
    State(state): State<AppState>,
    page: Page,
    ApiPath(name): ApiPath<String>,
    UiForm(form): UiForm<ResetForm>,
) -> ApiResult<Response> {
    let result = state
        .platform
        .accounts()
        .reset_password(&page.caller, &name, &form.new_password)
        .await;
    after_change(&state, &page, &name, result, "flash.password_reset").await
}

pub async fn unlock(
    State(state): State<AppState>,
    page: Page,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<Response> {
    let result = state.platform.accounts().unlock(&page.caller, &name).await;
    after_change(&state, &page, &name, result, "flash.unlocked").await
}
