//! The web layer's one error type and the table of public error codes. Handlers return
//! `ApiError`; the `render_errors` middleware turns it into JSON (`{code, message, detail}`)
//! or an HTML page, in the reader's language.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use civitas_core::error::DomainError;
use civitas_core::text::Text;
use civitas_core::time::Language;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// Every code the API can answer with, its status and what it means. Codes are a public
/// contract: add new ones, never rename or reuse.
pub const ERROR_CODES: &[(&str, u16, &str)] = &[
    (
        "invalid_input",
        400,
        "A field is missing or not acceptable; `detail.field` names it.",
    ),
    (
        "malformed_json",
        400,
        "The body is not valid JSON, or has the wrong types or unknown fields.",
    ),
    (
        "invalid_query",
        400,
        "A query-string parameter is not acceptable.",
    ),
    ("invalid_path", 400, "A path segment is not acceptable."),
    (
        "unauthenticated",
        401,
        "Sign in, or send `Authorization: Bearer <token>`.",
    ),
    (
        "invalid_token",
        401,
        "The bearer token is unknown, revoked or expired.",
    ),
    ("bad_credentials", 401, "Wrong user name or password."),
    (
        "account_locked",
        423,
        "Too many failed sign-ins; the account is locked for a while.",
    ),
    ("account_disabled", 403, "The account is disabled."),
    (
        "forbidden",
        403,
        "The caller's roles do not allow this for this agency.",
    ),
    (
        "no_grant",
        403,
        "Another agency's data without an active sharing grant; file a request for it.",
    ),
    (
        "csrf_failed",
        403,
        "A form or request without the page's CSRF token, or from another site.",
    ),
    (
        "not_found",
        404,
        "No such object, or not visible to the caller.",
    ),
    ("route_not_found", 404, "No such address."),
    (
        "method_not_allowed",
        405,
        "The address exists but not with this HTTP method.",
    ),
    (
        "already_exists",
        409,
        "An object with this key exists already.",
    ),
    (
        "conflict",
        409,
        "The request clashes with the current state; `message` says how.",
    ),
    (
        "payload_too_large",
        413,
        "The body is larger than the configured limit.",
    ),
    (
        "unsupported_media_type",
        415,
        "Send the body with the content type the endpoint expects.",
    ),
    (
        "too_many_requests",
        429,
        "Slow down; `detail.retry_after_seconds` says for how long.",
    ),
    (
        "internal",
        500,
        "Something failed inside civitas; the request id identifies it in the logs.",
    ),
    (
        "unavailable",
        503,
        "The store is not reachable or its schema is not current.",
    ),
];

/// The JSON body of every error.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable snake_case code (see the table in the API description).
    pub code: String,
    /// What happened and what to do, for a person.
    pub message: String,
    /// Machine-readable specifics, e.g. `{"field": "name"}`.
    #[schema(value_type = Object)]
    pub detail: Option<Value>,
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: Text,
    pub detail: Option<Value>,
}

pub type ApiResult<T> = Result<T, ApiError>;

fn status_of(code: &str) -> StatusCode {
    ERROR_CODES
        .iter()
        .find(|(c, _, _)| *c == code)
        .and_then(|(_, s, _)| StatusCode::from_u16(*s).ok())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

impl ApiError {
    pub fn new(code: &'static str, message: Text) -> Self {
        ApiError {
            status: status_of(code),
            code,
            message,
            detail: None,
        }
    }

    pub fn with_detail(mut self, detail: Value) -> Self {
        self.detail = Some(detail);
        self
    }

    pub fn body(&self, lang: Language) -> ErrorBody {
        ErrorBody {
            code: self.code.to_string(),
            message: self.message.get(lang).to_string(),
            detail: self.detail.clone(),
        }
    }

    pub fn unauthenticated() -> Self {
        ApiError::from(DomainError::Unauthenticated)
    }

    pub fn route_not_found() -> Self {
        ApiError::new(
            "route_not_found",
            Text::new("找不到這個網址", "there is nothing at this address"),
        )
    }

    pub fn method_not_allowed() -> Self {
        ApiError::new(
            "method_not_allowed",
            Text::new(
                "此網址不接受這種 HTTP 方法",
                "this address does not accept this HTTP method",
            ),
        )
    }

    pub fn csrf_failed() -> Self {
        ApiError::new(
            "csrf_failed",
            Text::new(
                "表單已過期或來源不明；請重新整理頁面後再送出一次",
                "the form has expired or came from another site; reload the page and submit again",
            ),
        )
    }

    pub fn payload_too_large(limit: Option<usize>) -> Self {
        let error = ApiError::new(
            "payload_too_large",
            match limit {
                Some(limit) => Text::new(
                    format!("傳送的內容太大（上限 {limit} 位元組）"),
                    format!("the request body is too large (limit {limit} bytes)"),
                ),
                None => Text::new("傳送的內容太大", "the request body is too large"),
            },
        );
        match limit {
            Some(limit) => error.with_detail(serde_json::json!({ "limit_bytes": limit })),
            None => error,
        }
    }

    pub fn too_many_requests(retry_after_seconds: u64) -> Self {
        ApiError::new(
            "too_many_requests",
            Text::new(
                format!("嘗試次數太多，請 {retry_after_seconds} 秒後再試"),
                format!("too many attempts; try again in {retry_after_seconds} seconds"),
            ),
        )
        .with_detail(serde_json::json!({ "retry_after_seconds": retry_after_seconds }))
    }

    pub fn unavailable(why: Text) -> Self {
        ApiError::new("unavailable", why)
    }

    pub fn internal(context: impl std::fmt::Display) -> Self {
        tracing::error!(error = %context, "internal error");
        ApiError::from(DomainError::Store(context.to_string()))
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        let code = e.code();
        let message = Text::new(e.message(Language::ZhTw), e.message(Language::En));
        let detail = match &e {
            DomainError::Invalid { field, .. } => Some(serde_json::json!({ "field": field })),
            DomainError::NotFound { what, key } | DomainError::AlreadyExists { what, key } => {
                Some(serde_json::json!({ "object": what, "key": key }))
            }
            DomainError::AccountLocked { until } => {
                Some(serde_json::json!({ "locked_until": until }))
            }
            DomainError::Forbidden { needed } => Some(serde_json::json!({ "permission": needed })),
            DomainError::Store(why) => {
                // The detail goes to the log, never to the client.
                tracing::error!(error = %why, "store failure");
                None
            }
            _ => None,
        };
        ApiError {
            status: status_of(code),
            code,
            message,
            detail,
        }
    }
}

/// Responses carry the error unrendered; `render_errors` picks JSON or HTML and the language.
impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body(Language::En))).into_response();
        response.extensions_mut().insert(self);
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_domain_error_code_is_in_the_public_table() {
        let samples = [
            DomainError::not_found("user", "x"),
            DomainError::AlreadyExists {
                what: "user",
                key: "x".into(),
            },
            DomainError::invalid("f", Text::same("r")),
            DomainError::Unauthenticated,
            DomainError::BadCredentials,
            DomainError::AccountLocked {
                until: civitas_core::time::Timestamp::from_millis(0).unwrap(),
            },
            DomainError::InvalidToken(Text::same("t")),
            DomainError::AccountDisabled,
            DomainError::Forbidden { needed: "p".into() },
            DomainError::conflict("c", "c"),
            DomainError::Store("s".into()),
        ];
        for e in samples {
            assert!(
                ERROR_CODES.iter().any(|(c, _, _)| *c == e.code()),
                "{} missing",
                e.code()
            );
        }
    }

    #[test]
    fn codes_are_unique_and_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for (code, status, _) in ERROR_CODES {
            assert!(seen.insert(code), "{code} twice");
            assert!(
                code.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{code}"
            );
            assert!((400..600).contains(status));
        }
    }
}
