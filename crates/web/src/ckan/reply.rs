//! CKAN's response envelope, `{help, success, result}` or `{help, success: false, error}`, and
//! its error types with CKAN's status codes. These bodies are CKAN's, not civitas'
//! `{code, message, detail}`: CKAN clients (ckanapi, harvesters) read `error.__type`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use civitas_core::DomainError;
use serde_json::{Map, Value, json};

#[derive(Debug, Clone, PartialEq)]
pub enum CkanError {
    /// 404 "Not Found Error".
    NotFound(String),
    /// 409 "Validation Error": `{field: [problems]}`, as CKAN reports invalid parameters.
    Validation {
        field: String,
        problems: Vec<String>,
    },
    /// 403 "Authorization Error".
    Authorization(String),
    /// 400 "Bad request - …" (unknown action, unreadable body).
    BadRequest(String),
    /// 500: the store failed; the cause is logged, not shown.
    Internal,
}

impl CkanError {
    pub fn invalid(field: &str, problem: impl Into<String>) -> Self {
        CkanError::Validation {
            field: field.to_string(),
            problems: vec![problem.into()],
        }
    }

    pub fn missing(field: &str) -> Self {
        CkanError::invalid(field, "Missing value")
    }

    fn status(&self) -> StatusCode {
        match self {
            CkanError::NotFound(_) => StatusCode::NOT_FOUND,
            CkanError::Validation { .. } => StatusCode::CONFLICT,
            CkanError::Authorization(_) => StatusCode::FORBIDDEN,
            CkanError::BadRequest(_) => StatusCode::BAD_REQUEST,
            CkanError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn body(&self) -> Value {
        let mut error = Map::new();
        let (kind, message) = match self {
            CkanError::NotFound(what) => ("Not Found Error", format!("Not found: {what}")),
            CkanError::Validation { field, problems } => {
                error.insert(field.clone(), json!(problems));
                (
                    "Validation Error",
                    format!("{field}: {}", problems.join("; ")),
                )
            }
            CkanError::Authorization(why) => {
                ("Authorization Error", format!("Access denied: {why}"))
            }
            CkanError::BadRequest(why) => ("Bad Request", format!("Bad request - {why}")),
            CkanError::Internal => ("Internal Server Error", "Internal Server Error".into()),
        };
        error.insert("__type".into(), json!(kind));
        error.insert("message".into(), json!(message));
        Value::Object(error)
    }

    pub fn respond(&self, help: &str) -> Response {
        let body = json!({ "help": help, "success": false, "error": self.body() });
        (self.status(), Json(body)).into_response()
    }
}

impl From<DomainError> for CkanError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::NotFound { .. } => CkanError::NotFound(e.to_string()),
            DomainError::Forbidden { .. } | DomainError::Unauthenticated => {
                CkanError::Authorization(e.to_string())
            }
            other => {
                tracing::error!(error = %other, "CKAN API: the catalogue could not be read");
                CkanError::Internal
            }
        }
    }
}

pub type CkanResult<T> = Result<T, CkanError>;

pub fn success(help: &str, result: Value) -> Response {
    Json(json!({ "help": help, "success": true, "result": result })).into_response()
}

/// Where CKAN points for an action's documentation: `help_show` for that action.
pub fn help_url(base: &str, action: &str) -> String {
    let name = serde_urlencoded::to_string([("name", action)]).unwrap_or_default();
    format!(
        "{}/api/3/action/help_show?{name}",
        base.trim_end_matches('/')
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_validation_error_names_the_field_like_ckan() {
        let e = CkanError::invalid("fq", "unsupported field: groups");
        let body = e.body();
        assert_eq!(body["__type"], "Validation Error");
        assert_eq!(body["fq"][0], "unsupported field: groups");
        assert_eq!(e.status(), StatusCode::CONFLICT);
    }

    #[test]
    fn help_points_at_help_show() {
        assert_eq!(
            help_url("http://x/", "package_search"),
            "http://x/api/3/action/help_show?name=package_search"
        );
    }
}
