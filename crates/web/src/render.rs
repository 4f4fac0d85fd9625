//! The one place an error becomes a response: JSON `{code, message, detail}` for the API,
//! a page (or an htmx fragment, or a redirect to sign in) for people, in their language.

use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use civitas_core::time::Language;

use crate::auth::{RequestContext, clear_cookie};
use crate::error::ApiError;
use crate::state::AppState;
use crate::ui::{FLASH_COOKIE, error_page};

pub fn finish(state: &AppState, ctx: &RequestContext, response: Response) -> Response {
    let Some(mut error) = response.extensions().get::<ApiError>().cloned() else {
        let mut response = response;
        // A page that showed the flash message has used it up.
        if ctx.flash.is_some() && response.status().is_success() && !ctx.is_api {
            clear_cookie(
                response.headers_mut(),
                FLASH_COOKIE,
                state.settings.cookie_secure,
            );
        }
        return response;
    };
    metrics::counter!("civitas_http_errors_total", "code" => error.code).increment(1);
    if error.status.is_server_error() {
        error.detail = Some(serde_json::json!({ "request_id": ctx.request_id }));
    }
    let mut out = if ctx.is_api {
        json(&error, ctx.lang)
    } else if error.code == "unauthenticated" {
        to_sign_in(ctx)
    } else {
        error_page(ctx, &error)
    };
    if let Some(seconds) = error
        .detail
        .as_ref()
        .and_then(|d| d.get("retry_after_seconds"))
        .and_then(|v| v.as_u64())
        && let Ok(v) = HeaderValue::from_str(&seconds.to_string())
    {
        out.headers_mut().insert(header::RETRY_AFTER, v);
    }
    if matches!(error.code, "unauthenticated" | "invalid_token") && ctx.is_api {
        out.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    out.extensions_mut().insert(error);
    out
}

fn json(error: &ApiError, lang: Language) -> Response {
    (error.status, axum::Json(error.body(lang))).into_response()
}

fn to_sign_in(ctx: &RequestContext) -> Response {
    let next = if ctx.method == Method::GET {
        ctx.path.as_str()
    } else {
        "/"
    };
    let target = format!(
        "/login?next={}",
        serde_urlencoded::to_string([("n", next)])
            .map(|s| s.trim_start_matches("n=").to_string())
            .unwrap_or_default()
    );
    if ctx.is_htmx {
        let mut r = StatusCode::UNAUTHORIZED.into_response();
        if let Ok(v) = HeaderValue::from_str(&target) {
            r.headers_mut().insert("hx-redirect", v);
        }
        return r;
    }
    Redirect::to(&target).into_response()
}
