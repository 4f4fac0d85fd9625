//! A person's own account: preferences and password.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use civitas_core::accounts::User;
use civitas_core::time::{DateStyle, Language};
use serde::Deserialize;

use super::{
    Chrome, FieldErrors, Page, field_errors, is_form_error, redirect_with_flash, render_status,
};
use crate::error::ApiResult;
use crate::extract::UiForm;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    chrome: Chrome,
    user: User,
    agency: String,
    grants: Vec<String>,
    password_changed: String,
    password_changed_now: bool,
    errors: FieldErrors,
}

async fn account_page(
    state: &AppState,
    page: &Page,
    errors: FieldErrors,
    status: StatusCode,
) -> ApiResult<Response> {
    let chrome = page.chrome("account.title");
    let names = super::agency_names(state).await;
    render_status(
        status,
        &AccountPage {
            agency: page
                .user
                .home_agency
                .as_ref()
                .and_then(|c| names.get(c.as_str()).cloned())
                .unwrap_or_else(|| "—".into()),
            grants: page
                .caller
                .principal
                .grants
                .iter()
                .map(|g| chrome.grant(g, &names))
                .collect(),
            password_changed: chrome.datetime(page.user.password_changed_at),
            password_changed_now: false,
            user: page.user.clone(),
            errors,
            chrome,
        },
    )
}

pub async fn show(State(state): State<AppState>, page: Page) -> ApiResult<Response> {
    account_page(&state, &page, FieldErrors::new(), StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct PreferencesForm {
    language: String,
    date_style: String,
}

pub async fn preferences(
    State(state): State<AppState>,
    page: Page,
    UiForm(form): UiForm<PreferencesForm>,
) -> ApiResult<Response> {
    let language = Language::parse(&form.language).unwrap_or(page.user.language);
    let date_style = DateStyle::parse(&form.date_style).unwrap_or(page.user.date_style);
    state
        .platform
        .accounts()
        .set_preferences(&page.caller, language, date_style)
        .await?;
    Ok(redirect_with_flash(
        "/account",
        "flash.saved",
        "",
        state.settings.cookie_secure,
    ))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

pub async fn password(
    State(state): State<AppState>,
    page: Page,
    UiForm(form): UiForm<PasswordForm>,
) -> ApiResult<Response> {
    let result = state
        .platform
        .accounts()
        .change_own_password(
            &page.caller,
            &form.current_password,
            &form.new_password,
            Some(&page.session.id_hash),
        )
        .await;
    match result {
        Ok(()) => Ok(redirect_with_flash(
            "/account",
            "flash.password_changed",
            "",
            state.settings.cookie_secure,
        )),
        Err(e) if is_form_error(&e) => {
            let errors = field_errors(&e, page.ctx.lang);
            account_page(&state, &page, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}
