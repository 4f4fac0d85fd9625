//! The gateway's trust services (issue 6): RFC 3161 time-stamping of what the message log
//! holds and OCSP status of the gateway's own certificate, both over HTTP to outside
//! authorities, with the health of each and X-Road's fail-closed rule — when time-stamping has
//! failed for longer than `acceptable-timestamp-failure-period`, the gateway stops taking new
//! calls (research notes §3.4).
//!
//! Nothing here speaks HTTP: a [`TrustTransport`] does (the delivery crate's `TrustHttp`), so
//! the requests, the checks of what comes back, and the failure clock are pure and tested with
//! a moved [`crate::clock::Clock`]. Replies are checked with the ASiC verifier's own parsers
//! (`asic::tsp`, `asic::ocsp`, `asic::x509`).

pub mod health;
pub mod material;
pub mod monitor;
pub mod ocsp_client;
pub mod tsa_client;

use async_trait::async_trait;

pub use health::{OcspHealth, ServiceHealth, SignerHealth, TrustHealth};
pub use monitor::{OcspConfig, SignError, TrustConfig, TrustMonitor};
pub use ocsp_client::{OcspError, OcspStatus};
pub use tsa_client::{CheckedToken, TsaError};

/// `Content-Type` of an RFC 3161 request and reply.
pub const TIMESTAMP_QUERY: &str = "application/timestamp-query";
pub const TIMESTAMP_REPLY: &str = "application/timestamp-reply";
/// `Content-Type` of an OCSP request and response (RFC 6960 appendix A).
pub const OCSP_REQUEST: &str = "application/ocsp-request";
pub const OCSP_RESPONSE: &str = "application/ocsp-response";

/// Sends one DER request to an authority and returns the body of its answer.
#[async_trait]
pub trait TrustTransport: Send + Sync {
    /// `POST url` with `content_type`; the answer must be HTTP 200 with `accept` as its
    /// content type. The error is text for the health panel (never a secret: these requests
    /// carry none).
    async fn post(
        &self,
        url: &str,
        content_type: &str,
        accept: &str,
        body: Vec<u8>,
    ) -> Result<Vec<u8>, String>;
}

/// Why the gateway refuses new calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustError {
    /// Time-stamping has failed since `since`, longer than the acceptable period.
    TimestampFailing {
        since: crate::time::Timestamp,
        acceptable_secs: i64,
        error: String,
    },
}

impl std::fmt::Display for TrustError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TrustError::TimestampFailing {
                since,
                acceptable_secs,
                error,
            } => write!(
                f,
                "time-stamping has failed since {} (longer than the acceptable {} s): {}",
                since.to_rfc3339(),
                acceptable_secs,
                error
            ),
        }
    }
}

impl std::error::Error for TrustError {}
