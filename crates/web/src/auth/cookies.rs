//! The three cookies civitas sets, all HttpOnly and SameSite=Lax; Secure when served over TLS.

use axum::http::{HeaderMap, HeaderValue, header};
use cookie::{Cookie, SameSite};

/// The session secret (only its hash is stored).
pub const SESSION_COOKIE: &str = "civitas_session";
/// The anonymous CSRF token for sign-in and language forms (double-submit).
pub const CSRF_COOKIE: &str = "civitas_csrf";
/// Language chosen before signing in.
pub const LANG_COOKIE: &str = "civitas_lang";

pub fn read_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| Cookie::parse(pair.trim().to_string()).ok())
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

pub fn set_cookie(
    headers: &mut HeaderMap,
    name: &str,
    value: &str,
    secure: bool,
    max_age_seconds: Option<i64>,
) {
    let mut c = Cookie::build((name.to_string(), value.to_string()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure);
    if let Some(age) = max_age_seconds {
        c = c.max_age(cookie::time::Duration::seconds(age));
    }
    if let Ok(v) = HeaderValue::from_str(&c.build().to_string()) {
        headers.append(header::SET_COOKIE, v);
    }
}

pub fn clear_cookie(headers: &mut HeaderMap, name: &str, secure: bool) {
    set_cookie(headers, name, "", secure, Some(0));
}
