//! A person's own API tokens: create (shown once), list, revoke.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use civitas_core::authz::Role;
use civitas_core::error::DomainError;
use civitas_core::text::Text;
use serde::Deserialize;

use super::{
    Chrome, FieldErrors, Page, field_errors, is_form_error, no_store, redirect_with_flash,
    render_status,
};
use crate::error::ApiResult;
use crate::extract::ApiPath;
use crate::state::AppState;

pub struct TokenRow {
    pub id: i64,
    pub label: String,
    pub prefix: String,
    pub roles: String,
    pub expires: String,
    pub last_used: String,
    pub state: &'static str,
    pub usable: bool,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    chrome: Chrome,
    tokens: Vec<TokenRow>,
    roles: Vec<(&'static str, &'static str)>,
    new_secret: Option<String>,
    form_label: String,
    errors: FieldErrors,
}

async fn tokens_page(
    state: &AppState,
    page: &Page,
    new_secret: Option<String>,
    form_label: String,
    errors: FieldErrors,
    status: StatusCode,
) -> ApiResult<Response> {
    let chrome = page.chrome("token.title");
    let now = state.platform.now();
    let names = super::agency_names(state).await;
    let tokens = state
        .platform
        .tokens()
        .list(&page.caller, None)
        .await?
        .into_iter()
        .map(|t| TokenRow {
            id: t.id,
            usable: t.is_usable(now),
            state: if t.revoked_at.is_some() {
                chrome.t("token.revoked")
            } else if t.expires_at <= now {
                chrome.t("token.expired")
            } else {
                chrome.t("token.active")
            },
            label: t.label,
            prefix: t.prefix,
            roles: t
                .grants
                .iter()
                .map(|g| chrome.grant(g, &names))
                .collect::<Vec<_>>()
                .join("、"),
            expires: chrome.datetime(t.expires_at),
            last_used: chrome.opt_datetime(t.last_used_at),
        })
        .collect();
    let mut held: Vec<Role> = page.caller.principal.roles();
    held.dedup();
    let roles = held.iter().map(|r| (r.as_str(), chrome.role(*r))).collect();
    let mut response = render_status(
        status,
        &TokensPage {
            chrome,
            tokens,
            roles,
            new_secret,
            form_label,
            errors,
        },
    )?;
    no_store(response.headers_mut());
    Ok(response)
}

pub async fn list(State(state): State<AppState>, page: Page) -> ApiResult<Response> {
    tokens_page(
        &state,
        &page,
        None,
        String::new(),
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    label: String,
    #[serde(default)]
    days: String,
}

pub async fn create(
    State(state): State<AppState>,
    page: Page,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    // `role` repeats once per ticked box, which a plain struct cannot hold: read pairs.
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let form = CreateForm {
        label: pairs
            .iter()
            .find(|(k, _)| k == "label")
            .map(|(_, v)| v.clone())
            .unwrap_or_default(),
        days: pairs
            .iter()
            .find(|(k, _)| k == "days")
            .map(|(_, v)| v.clone())
            .unwrap_or_default(),
    };
    let result = async {
        let roles: Vec<Role> = pairs
            .iter()
            .filter(|(k, _)| k == "role")
            .map(|(_, v)| {
                Role::parse(v).ok_or_else(|| {
                    DomainError::invalid("roles", Text::new("不認得的角色", "unknown role"))
                })
            })
            .collect::<Result<_, _>>()?;
        if roles.is_empty() {
            return Err(DomainError::invalid(
                "roles",
                Text::new("請至少勾選一個角色", "tick at least one role"),
            ));
        }
        let days: i64 = form.days.parse().map_err(|_| {
            DomainError::invalid(
                "expires",
                Text::new("請選擇有效天數", "choose how many days the token lasts"),
            )
        })?;
        state
            .platform
            .tokens()
            .create(
                &page.caller,
                None,
                &form.label,
                Some(&roles),
                time::Duration::days(days),
            )
            .await
    }
    .await;
    match result {
        // Shown once, on this response; never stored in plaintext or put in a cookie.
        Ok((secret, _)) => {
            tokens_page(
                &state,
                &page,
                Some(secret),
                String::new(),
                FieldErrors::new(),
                StatusCode::CREATED,
            )
            .await
        }
        Err(e) if is_form_error(&e) => {
            let errors = field_errors(&e, page.ctx.lang);
            tokens_page(
                &state,
                &page,
                None,
                form.label,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn revoke(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let token = state.platform.tokens().revoke(&page.caller, id).await?;
    Ok(redirect_with_flash(
        "/tokens",
        "flash.token_revoked",
        &token.label,
        state.settings.cookie_secure,
    ))
}
