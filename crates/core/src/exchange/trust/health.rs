//! The state of each trust service, as the health route and the exchange page show it.

use serde::Serialize;

use crate::time::Timestamp;

/// One authority's record: when it last worked, when it last failed and why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ServiceHealth {
    pub url: String,
    pub last_success: Option<Timestamp>,
    pub last_failure: Option<Timestamp>,
    /// The last failure's text, kept until the next success.
    pub error: Option<String>,
}

impl ServiceHealth {
    pub fn new(url: &str) -> Self {
        ServiceHealth {
            url: url.to_string(),
            ..ServiceHealth::default()
        }
    }

    /// Working: it has answered, and its last answer passed every check.
    pub fn ok(&self) -> bool {
        self.error.is_none() && self.last_success.is_some()
    }

    pub(crate) fn succeeded(&mut self, at: Timestamp) {
        self.last_success = Some(at);
        self.error = None;
    }

    pub(crate) fn failed(&mut self, at: Timestamp, error: String) {
        self.last_failure = Some(at);
        self.error = Some(error);
    }
}

/// The OCSP responder and what it last said about the gateway's certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OcspHealth {
    pub service: ServiceHealth,
    /// The certificate checked (its subject).
    pub subject: String,
    /// `good`, `revoked` or `unknown` from the last checked response.
    pub status: Option<super::OcspStatus>,
    pub this_update: Option<Timestamp>,
    pub next_update: Option<Timestamp>,
    pub freshness_secs: i64,
    /// The last response is older than the freshness allows (or none was ever good).
    pub stale: bool,
}

impl OcspHealth {
    /// Good, fresh and the last fetch worked.
    pub fn ok(&self) -> bool {
        self.service.error.is_none() && !self.stale && self.status == Some(super::OcspStatus::Good)
    }
}

/// A snapshot of every trust service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrustHealth {
    /// The TSAs in the order they are tried.
    pub tsas: Vec<ServiceHealth>,
    pub last_timestamp: Option<Timestamp>,
    /// Time-stamping has failed, with every TSA, since this instant (kept until a success).
    pub timestamp_failing_since: Option<Timestamp>,
    pub acceptable_timestamp_failure_secs: i64,
    /// The gateway refuses new calls now (the failure has lasted too long).
    pub refusing: bool,
    pub ocsp: Option<OcspHealth>,
    /// The members' signing keys and their certificates' OCSP status.
    pub signers: Vec<SignerHealth>,
}

/// One member signing key: whose, its certificate, and what OCSP last said about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignerHealth {
    /// `INSTANCE/CLASS/CODE`.
    pub member: String,
    pub subject: String,
    pub not_after: Timestamp,
    pub status: Option<super::OcspStatus>,
    pub this_update: Option<Timestamp>,
    /// With an OCSP responder configured: no fresh answer (messages cannot be signed).
    pub stale: bool,
    /// The last refresh's error.
    pub error: Option<String>,
}

impl SignerHealth {
    pub fn ok(&self) -> bool {
        !self.stale
            && self.error.is_none()
            && self.status != Some(super::OcspStatus::Revoked)
            && self.status != Some(super::OcspStatus::Unknown)
    }
}
