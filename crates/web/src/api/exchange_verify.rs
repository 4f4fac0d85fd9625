//! `POST /api/v1/exchange/verify`: check an X-Road message container (ASiC-E) against this
//! node's verification configuration — the same checks as `civitas exchange verify`.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use civitas_core::exchange::asic::{self, Outcome, Report};
use civitas_core::exchange::verification;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;

/// One check of the container.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckDto {
    /// Stable key: container, hash_chain, references, signed_properties, signature_value,
    /// signing_certificate, certificate_chain, signer_member, ocsp, timestamp.
    pub key: String,
    pub label_zh: String,
    pub label_en: String,
    /// passed, failed or skipped.
    pub status: String,
    /// The failure's stable code (failed only).
    pub code: Option<String>,
    /// Why, in words (failed: the failure's meaning; skipped: why it did not run).
    pub reason_zh: Option<String>,
    pub reason_en: Option<String>,
    /// The technical detail of a failure.
    pub detail: Option<String>,
}

/// The verdict on one container.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyDto {
    pub valid: bool,
    /// The first failed check's code, which decides the verdict.
    pub failure: Option<String>,
    pub checks: Vec<CheckDto>,
    /// The signing certificate's subject.
    pub signer: Option<String>,
    /// RFC 3339.
    pub signing_time: Option<String>,
    /// RFC 3339: the time the time-stamp authority vouches for.
    pub timestamp_time: Option<String>,
    pub warnings_zh: Vec<String>,
    pub warnings_en: Vec<String>,
}

fn rfc3339(t: Option<time::OffsetDateTime>) -> Option<String> {
    t.and_then(|t| {
        t.format(&time::format_description::well_known::Rfc3339)
            .ok()
    })
}

impl From<Report> for VerifyDto {
    fn from(r: Report) -> Self {
        let checks = r
            .checks
            .iter()
            .map(|c| {
                let (status, code, reason, detail) = match &c.outcome {
                    Outcome::Passed => ("passed", None, None, None),
                    Outcome::Failed { code, detail } => (
                        "failed",
                        Some(code.to_string()),
                        Some(asic::failure_text(code)),
                        Some(detail.clone()),
                    ),
                    Outcome::Skipped { reason } => ("skipped", None, Some(reason.clone()), None),
                };
                CheckDto {
                    key: c.key.to_string(),
                    label_zh: c.label.zh.clone(),
                    label_en: c.label.en.clone(),
                    status: status.to_string(),
                    code,
                    reason_zh: reason.as_ref().map(|t| t.zh.clone()),
                    reason_en: reason.map(|t| t.en),
                    detail,
                }
            })
            .collect();
        VerifyDto {
            valid: r.is_valid(),
            failure: r.failure_code().map(str::to_string),
            checks,
            signer: r.signer.clone(),
            signing_time: rfc3339(r.signing_time),
            timestamp_time: rfc3339(r.timestamp_time),
            warnings_zh: r.warnings.iter().map(|w| w.zh.clone()).collect(),
            warnings_en: r.warnings.iter().map(|w| w.en.clone()).collect(),
        }
    }
}

/// Verify the container, off the async threads (RSA checks and unzipping are CPU work).
pub async fn verify_bytes(
    state: &AppState,
    caller: &civitas_core::platform::Caller,
    bytes: Vec<u8>,
) -> ApiResult<Report> {
    let dir = state.settings.exchange_globalconf_dir.clone();
    let caller = caller.clone();
    let report =
        tokio::task::spawn_blocking(move || verification::verify_upload(&caller, &dir, &bytes))
            .await
            .map_err(ApiError::internal)??;
    Ok(report)
}

/// Check an X-Road message container (`.asice`, as an X-Road security server or civitas
/// exports it): structure, hash chain, signed references, XAdES signature, signing certificate
/// and its chain to an approved CA, the embedded OCSP response and the RFC 3161 time-stamp,
/// against the global configuration under `<data_dir>/exchange/globalconf`. A container that
/// fails a check is a `200` with `valid: false`; every check says why. Needs `read_exchange`
/// for some agency; the body is read only after that.
#[utoipa::path(post, path = "/exchange/verify", tag = "exchange",
    request_body(content = Vec<u8>, content_type = "application/vnd.etsi.asic-e+zip", description = "the container"),
    responses((status = 200, body = VerifyDto),
              (status = 400, body = ErrorBody, description = "not an ASiC-E container (invalid_input)"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "no usable verification configuration on this node"),
              (status = 413, body = ErrorBody)))]
pub async fn verify(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    body: Body,
) -> ApiResult<Json<VerifyDto>> {
    if !caller
        .principal
        .can_somewhere(civitas_core::authz::Permission::ReadExchange)
    {
        return Err(civitas_core::DomainError::Forbidden {
            needed: "read_exchange".into(),
        }
        .into());
    }
    let limit = state.settings.max_upload_bytes;
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::payload_too_large(Some(limit)))?;
    let report = verify_bytes(&state, &caller, bytes.to_vec()).await?;
    Ok(Json(report.into()))
}
