//! Static files, embedded in the binary: our own CSS and JavaScript, and the front-end
//! libraries the build copied from node_modules.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::extract::ApiPath;

mod vendor {
    include!(concat!(env!("OUT_DIR"), "/vendor.rs"));
}

const OWN: &[(&str, &[u8])] = &[
    ("app.css", include_bytes!("../assets/app.css")),
    ("app.js", include_bytes!("../assets/app.js")),
    ("favicon.svg", include_bytes!("../assets/favicon.svg")),
];

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

fn find(path: &str) -> Option<&'static [u8]> {
    match path.strip_prefix("vendor/") {
        Some(name) => vendor::VENDOR
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, b)| *b),
        None => OWN.iter().find(|(n, _)| *n == path).map(|(_, b)| *b),
    }
}

pub async fn serve(
    ApiPath(path): ApiPath<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let body = find(&path).ok_or_else(ApiError::route_not_found)?;
    // Contents change only with the binary, so the version is a sufficient validator.
    let etag = format!("\"{}-{}\"", env!("CARGO_PKG_VERSION"), body.len());
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag)
    {
        return Ok(StatusCode::NOT_MODIFIED.into_response());
    }
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(&path)),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    Ok(response)
}
