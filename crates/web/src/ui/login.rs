//! Signing in and out, and choosing the language.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use civitas_core::error::DomainError;
use civitas_core::time::Language;
use serde::Deserialize;

use super::{Chrome, Page, redirect_with_flash, render_status, safe_next};
use crate::auth::{
    CSRF_COOKIE, Identity, LANG_COOKIE, RequestContext, SESSION_COOKIE, clear_cookie, set_cookie,
};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiQuery, UiForm};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    error: Option<String>,
    next: String,
    name: String,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// The anonymous CSRF token: reuse the cookie's, or mint one and set it.
fn anon_csrf(ctx: &RequestContext) -> ApiResult<(String, bool)> {
    match &ctx.anon_csrf {
        Some(token) if token.len() == 64 => Ok((token.clone(), false)),
        _ => Ok((civitas_core::random::secret_hex()?, true)),
    }
}

fn login_page(
    state: &AppState,
    ctx: &RequestContext,
    status: StatusCode,
    error: Option<String>,
    next: &str,
    name: &str,
) -> ApiResult<Response> {
    let (csrf, fresh) = anon_csrf(ctx)?;
    let title = crate::i18n::t(ctx.lang, "login.title");
    let page = LoginPage {
        chrome: Chrome::anonymous(ctx, csrf.clone(), title),
        error,
        next: safe_next(next),
        name: name.to_string(),
    };
    let mut response = render_status(status, &page)?;
    if fresh {
        set_cookie(
            response.headers_mut(),
            CSRF_COOKIE,
            &csrf,
            state.settings.cookie_secure,
            None,
        );
    }
    super::no_store(response.headers_mut());
    Ok(response)
}

pub async fn form(
    State(state): State<AppState>,
    ctx: RequestContext,
    ApiQuery(q): ApiQuery<NextQuery>,
) -> ApiResult<Response> {
    let next = q.next.unwrap_or_else(|| "/".into());
    if matches!(ctx.identity, Identity::Session { .. }) {
        return Ok(Redirect::to(&safe_next(&next)).into_response());
    }
    login_page(&state, &ctx, StatusCode::OK, None, &next, "")
}

#[derive(Deserialize)]
pub struct LoginForm {
    name: String,
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    UiForm(form): UiForm<LoginForm>,
) -> ApiResult<Response> {
    let now = state.platform.now();
    let ip = ctx.ip.clone().unwrap_or_default();
    if let Err(wait) = state.throttle.check(&ip, now) {
        return Err(ApiError::too_many_requests(wait));
    }
    match state
        .platform
        .accounts()
        .login(&form.name, &form.password, ctx.ip.clone())
        .await
    {
        Ok(success) => {
            // A new session every time: never reuse an identifier from before sign-in.
            if let Identity::Session { session, .. } = &ctx.identity {
                let _ = state
                    .platform
                    .stores
                    .sessions
                    .end_session(&session.id_hash, None)
                    .await;
            }
            let mut response = Redirect::to(&safe_next(&form.next)).into_response();
            set_cookie(
                response.headers_mut(),
                SESSION_COOKIE,
                &success.session_secret,
                state.settings.cookie_secure,
                None,
            );
            Ok(response)
        }
        Err(
            e @ (DomainError::BadCredentials
            | DomainError::AccountLocked { .. }
            | DomainError::AccountDisabled),
        ) => {
            state.throttle.record_failure(&ip, now);
            let status = ApiError::from(DomainError::BadCredentials).status;
            let status = match e {
                DomainError::AccountLocked { .. } => StatusCode::LOCKED,
                DomainError::AccountDisabled => StatusCode::FORBIDDEN,
                _ => status,
            };
            login_page(
                &state,
                &ctx,
                status,
                Some(e.message(ctx.lang)),
                &form.next,
                &form.name,
            )
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn logout(State(state): State<AppState>, page: Page) -> ApiResult<Response> {
    state
        .platform
        .accounts()
        .logout(&page.caller, &page.session)
        .await?;
    let mut response = redirect_with_flash(
        "/login",
        "flash.signed_out",
        "",
        state.settings.cookie_secure,
    );
    clear_cookie(
        response.headers_mut(),
        SESSION_COOKIE,
        state.settings.cookie_secure,
    );
    Ok(response)
}

#[derive(Deserialize)]
pub struct LanguageForm {
    language: String,
    #[serde(default)]
    next: String,
}

pub async fn switch_language(
    State(state): State<AppState>,
    ctx: RequestContext,
    UiForm(form): UiForm<LanguageForm>,
) -> ApiResult<Response> {
    let language = Language::parse(&form.language).unwrap_or(Language::ZhTw);
    let mut response = Redirect::to(&safe_next(&form.next)).into_response();
    match &ctx.identity {
        Identity::Session {
            user, principal, ..
        } => {
            let caller = civitas_core::Caller::new(principal.clone(), ctx.ip.clone());
            state
                .platform
                .accounts()
                .set_preferences(&caller, language, user.date_style)
                .await?;
        }
        _ => set_cookie(
            response.headers_mut(),
            LANG_COOKIE,
            language.as_str(),
            state.settings.cookie_secure,
            Some(365 * 24 * 3600),
        ),
    }
    Ok(response)
}
