//! Extractors whose rejections are `ApiError`s, so malformed input always gets the one error
//! body with a stable code instead of axum's plain-text defaults.

use axum::extract::rejection::{
    BytesRejection, FormRejection, JsonRejection, PathRejection, QueryRejection,
};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::StatusCode;
use civitas_core::text::Text;

use crate::error::ApiError;

/// JSON request bodies. Unknown fields are refused where the type says `deny_unknown_fields`.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// URL-encoded HTML form bodies.
#[derive(FromRequest)]
#[from_request(via(axum::Form), rejection(ApiError))]
pub struct UiForm<T>(pub T);

/// A raw request body (file uploads through the API).
pub struct ApiBytes(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for ApiBytes {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::body::Bytes::from_request(req, state)
            .await
            .map(ApiBytes)
            .map_err(ApiError::from)
    }
}

fn by_status(status: StatusCode, code: &'static str, what: Text, body_text: String) -> ApiError {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::payload_too_large(None),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(
            "unsupported_media_type",
            Text::new(
                "請以正確的內容類型傳送（JSON 請用 Content-Type: application/json）",
                "send the body with the right content type (for JSON: Content-Type: application/json)",
            ),
        ),
        _ => ApiError::new(code, what).with_detail(serde_json::json!({ "reason": body_text })),
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        by_status(
            r.status(),
            "malformed_json",
            Text::new(
                "JSON 內容無法解讀：格式錯誤、欄位型別不對，或有不認得的欄位",
                "the JSON body could not be read: bad syntax, a wrong type, or an unknown field",
            ),
            r.body_text(),
        )
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        by_status(
            r.status(),
            "invalid_query",
            Text::new(
                "網址中的查詢參數不正確",
                "a query-string parameter is not acceptable",
            ),
            r.body_text(),
        )
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        by_status(
            r.status(),
            "invalid_path",
            Text::new("網址路徑中的參數不正確", "a path segment is not acceptable"),
            r.body_text(),
        )
    }
}

impl From<FormRejection> for ApiError {
    fn from(r: FormRejection) -> Self {
        by_status(
            r.status(),
            "invalid_input",
            Text::new(
                "表單內容無法解讀，請重新整理頁面後再試",
                "the form could not be read; reload the page and try again",
            ),
            r.body_text(),
        )
    }
}

impl From<BytesRejection> for ApiError {
    fn from(r: BytesRejection) -> Self {
        by_status(
            r.status(),
            "invalid_input",
            Text::new("無法讀取上傳的內容", "the request body could not be read"),
            r.body_text(),
        )
    }
}
