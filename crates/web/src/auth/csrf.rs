//! CSRF: every state-changing request that rides on a cookie must carry the page's token
//! (header `X-CSRF-Token`, form field `_csrf`, or `?_csrf=` on multipart uploads), and must
//! not come from another origin.

use axum::body::{Body, to_bytes};
use axum::http::{HeaderMap, Request, header};

use crate::error::ApiError;

pub const CSRF_HEADER: &str = "x-csrf-token";
pub const CSRF_FIELD: &str = "_csrf";

fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A browser's Origin (when sent) must be this host.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let origin_host = origin
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or(origin);
    origin_host.eq_ignore_ascii_case(host)
}

fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// Check the request against `expected`; returns the request (its body restored if read).
pub async fn verify(
    req: Request<Body>,
    expected: Option<&str>,
    body_limit: usize,
) -> Result<Request<Body>, ApiError> {
    if !same_origin(req.headers()) {
        return Err(ApiError::csrf_failed());
    }
    let Some(expected) = expected.filter(|e| !e.is_empty()) else {
        return Err(ApiError::csrf_failed());
    };
    if let Some(given) = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return if constant_time_eq(given, expected) {
            Ok(req)
        } else {
            Err(ApiError::csrf_failed())
        };
    }
    let kind = content_type(req.headers());
    if kind.starts_with("application/x-www-form-urlencoded") {
        let (parts, body) = req.into_parts();
        let bytes = to_bytes(body, body_limit)
            .await
            .map_err(|_| ApiError::payload_too_large(Some(body_limit)))?;
        let given = form_urlencoded_field(&bytes, CSRF_FIELD);
        if given.is_some_and(|g| constant_time_eq(&g, expected)) {
            return Ok(Request::from_parts(parts, Body::from(bytes)));
        }
        return Err(ApiError::csrf_failed());
    }
    if kind.starts_with("multipart/form-data") {
        let given = req
            .uri()
            .query()
            .and_then(|q| form_urlencoded_field(q.as_bytes(), CSRF_FIELD));
        if given.is_some_and(|g| constant_time_eq(&g, expected)) {
            return Ok(req);
        }
    }
    Err(ApiError::csrf_failed())
}

fn form_urlencoded_field(bytes: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparison_is_exact() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }

    #[test]
    fn a_request_from_another_site_is_not_same_origin() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "127.0.0.1:8080".parse().unwrap());
        assert!(same_origin(&h));
        h.insert(header::ORIGIN, "http://127.0.0.1:8080".parse().unwrap());
        assert!(same_origin(&h));
        h.insert(header::ORIGIN, "https://evil.example".parse().unwrap());
        assert!(!same_origin(&h));
    }
}
