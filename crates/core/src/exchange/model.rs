//! What the provider face stores: members and subsystems mapped to agencies, registered
//! services with their endpoints, access grants tied to sharing approvals, the message log.

use serde::{Deserialize, Serialize};

use super::id::{ClientId, ServiceId};
use super::rest::Endpoint;
use crate::agencies::AgencyCode;
use crate::time::Timestamp;

/// A member or subsystem of the X-Road instance and the civitas agency it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeMember {
    pub id: i64,
    pub client: ClientId,
    pub agency: AgencyCode,
    pub name: String,
    pub created_at: Timestamp,
}

/// `REST` (a base URL alone) or `OPENAPI3` (endpoints from a description), as X-Road names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServiceType {
    #[serde(rename = "REST")]
    Rest,
    #[serde(rename = "OPENAPI3")]
    OpenApi3,
}

impl ServiceType {
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceType::Rest => "REST",
            ServiceType::OpenApi3 => "OPENAPI3",
        }
    }

    /// The `service_type` value of the PR-MREST answers (`REST` or `OPENAPI`).
    pub fn metaservice_name(self) -> &'static str {
        match self {
            ServiceType::Rest => "REST",
            ServiceType::OpenApi3 => "OPENAPI",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "REST" => Some(ServiceType::Rest),
            "OPENAPI3" => Some(ServiceType::OpenApi3),
            _ => None,
        }
    }
}

/// A service a department offers through the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredService {
    pub id: i64,
    pub service: ServiceId,
    pub agency: AgencyCode,
    pub title: String,
    pub base_url: String,
    pub dataset_id: Option<i64>,
    pub timeout_ms: u32,
    pub tls_verify: bool,
    pub service_type: ServiceType,
    pub openapi: Option<String>,
    pub endpoints: Vec<Endpoint>,
    pub disabled_notice: Option<String>,
    pub created_at: Timestamp,
    pub created_by: String,
    pub updated_at: Timestamp,
}

impl RegisteredService {
    /// The `/r1` form of the service id.
    pub fn service_path(&self) -> String {
        self.service
            .to_path()
            .unwrap_or_else(|| self.service.to_string())
    }
}

/// What a steward registers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceInput {
    /// `INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE`, each segment percent-encoded.
    pub service_id: String,
    pub agency: AgencyCode,
    pub title: String,
    /// The name the owning subsystem is listed under (`listClients`), when it is new.
    pub subsystem_name: Option<String>,
    pub base_url: String,
    pub dataset_id: Option<i64>,
    pub timeout_ms: Option<u32>,
    pub tls_verify: Option<bool>,
    /// An OpenAPI 3.0.x or 3.1.x description, JSON.
    pub openapi: Option<String>,
}

/// A service ready to store (checked by the service layer).
#[derive(Debug, Clone)]
pub struct NewService {
    pub service: RegisteredService,
    pub owner_name: String,
}

/// An access grant: a client subsystem may call a service, or one endpoint of it, because an
/// approved sharing request says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessGrant {
    pub id: i64,
    /// The registered service's row id and its X-Road id.
    pub service_row: i64,
    pub service: ServiceId,
    pub provider_agency: AgencyCode,
    /// `None`: the whole service.
    pub endpoint: Option<Endpoint>,
    pub subject: ClientId,
    pub sharing_grant_id: i64,
    pub request_id: i64,
    pub requesting_agency: AgencyCode,
    pub purpose: String,
    pub legal_basis: Option<String>,
    pub approved_by: String,
    pub approved_at: Timestamp,
    pub valid_from: Timestamp,
    pub valid_until: Timestamp,
    pub revoked_at: Option<Timestamp>,
    pub revoked_by: Option<String>,
    /// The sharing approval's own state: revoking it ends this grant too.
    pub approval_valid_until: Timestamp,
    pub approval_revoked_at: Option<Timestamp>,
}

impl AccessGrant {
    pub fn is_active(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none()
            && self.approval_revoked_at.is_none()
            && self.valid_from <= now
            && now < self.valid_until
            && now < self.approval_valid_until
    }

    /// Whether this grant covers a call (method, normalised path).
    pub fn covers(&self, method: &str, path: &str) -> bool {
        match &self.endpoint {
            None => true,
            Some(e) => e.matches(method, path),
        }
    }

    pub fn state(&self, now: Timestamp) -> &'static str {
        if self.revoked_at.is_some() || self.approval_revoked_at.is_some() {
            "revoked"
        } else if now < self.valid_from {
            "not_yet_valid"
        } else if now >= self.valid_until || now >= self.approval_valid_until {
            "expired"
        } else {
            "active"
        }
    }
}

/// What a provider steward grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantInput {
    /// The service's `/r1` id.
    pub service_id: String,
    pub endpoint: Option<Endpoint>,
    /// The client subsystem, `INSTANCE/CLASS/MEMBER/SUBSYSTEM`.
    pub subject: String,
    /// The name the subject subsystem is listed under, when it is new.
    pub subject_name: Option<String>,
    /// The approved sharing request this grant answers.
    pub request_id: i64,
    /// Earlier than the approval's end, if wanted.
    pub valid_until: Option<Timestamp>,
}

/// A grant ready to store.
#[derive(Debug, Clone)]
pub struct NewAccessGrant {
    pub grant: AccessGrant,
    pub subject_name: String,
}

/// One call through the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRecord {
    pub id: i64,
    pub xroad_id: String,
    pub request_id: String,
    pub client: Option<String>,
    pub service: Option<String>,
    pub agency: Option<AgencyCode>,
    pub endpoint: Option<String>,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub request_hash: Option<String>,
    pub response_hash: Option<String>,
    pub started_at: Timestamp,
    pub finished_at: Timestamp,
    pub duration_us: i64,
    pub error_type: Option<String>,
    /// The sides logged with signed evidence (exportable as ASiC-E); empty for unsigned calls.
    pub evidence: Vec<MessageSide>,
}

/// Upper bounds of the latency histogram in [`TrafficHour::latency`], in milliseconds; the last
/// bucket holds everything above the last bound.
pub const LATENCY_BOUNDS_MS: [u64; 8] = [1, 5, 10, 50, 100, 500, 1_000, 5_000];

/// One service's calls in one UTC hour (the traffic charts read these, not the log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrafficHour {
    pub hour: Timestamp,
    pub calls: u64,
    pub client_errors: u64,
    pub server_errors: u64,
    pub total_us: u64,
    /// Calls per latency bucket: `LATENCY_BOUNDS_MS` and one bucket above them.
    pub latency: [u64; 9],
}

impl TrafficHour {
    /// Add another hour's counts (to sum hours into days or totals).
    pub fn add(&mut self, other: &TrafficHour) {
        self.calls += other.calls;
        self.client_errors += other.client_errors;
        self.server_errors += other.server_errors;
        self.total_us += other.total_us;
        for (a, b) in self.latency.iter_mut().zip(other.latency.iter()) {
            *a += b;
        }
    }

    /// The upper bound (ms) of the bucket holding the `q`-quantile of latency (0 < q ≤ 1);
    /// `None` when there were no calls, `Some(None)` when it lies above the last bound.
    pub fn latency_quantile_ms(&self, q: f64) -> Option<Option<u64>> {
        if self.calls == 0 {
            return None;
        }
        // The rank of the quantile, 1-based: ceil(q × calls), at least 1.
        let rank = ((q * self.calls as f64).ceil() as u64).clamp(1, self.calls);
        let mut seen = 0;
        for (i, n) in self.latency.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Some(LATENCY_BOUNDS_MS.get(i).copied());
            }
        }
        Some(None)
    }

    /// Mean latency in milliseconds.
    pub fn mean_ms(&self) -> Option<f64> {
        (self.calls > 0).then(|| self.total_us as f64 / self.calls as f64 / 1000.0)
    }
}

#[derive(Debug, Clone, Default)]
pub struct MessageFilter {
    /// Only calls to services of these agencies (`None`: all).
    pub agencies: Option<Vec<AgencyCode>>,
    pub client: Option<String>,
    pub service: Option<String>,
    pub xroad_id: Option<String>,
    pub status: Option<u16>,
    /// Only failed calls (an error type set).
    pub errors_only: bool,
    pub from: Option<Timestamp>,
    pub until: Option<Timestamp>,
}

#[derive(Debug, Clone, Default)]
pub struct GrantFilter {
    /// Grants whose provider or requesting agency is one of these (`None`: all).
    pub agencies: Option<Vec<AgencyCode>>,
    pub service_row: Option<i64>,
}

/// How a caller proves which subsystem it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// A client certificate, presented on the exchange TLS listener.
    Certificate,
    /// A bearer token, presented in [`TOKEN_HEADER`](super::service::TOKEN_HEADER).
    Token,
}

impl CredentialKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::Certificate => "certificate",
            CredentialKind::Token => "token",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "certificate" => Some(CredentialKind::Certificate),
            "token" => Some(CredentialKind::Token),
            _ => None,
        }
    }
}

/// A credential bound to one registered subsystem. Only the SHA-256 of the certificate (DER)
/// or of the token is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeCredential {
    pub id: i64,
    pub client: ClientId,
    /// The agency the subsystem stands for.
    pub agency: AgencyCode,
    pub kind: CredentialKind,
    /// Lower-case hex SHA-256.
    pub fingerprint: String,
    pub subject: Option<String>,
    pub not_after: Option<Timestamp>,
    pub label: String,
    pub issued_by: String,
    pub issued_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    pub revoked_by: Option<String>,
}

impl ExchangeCredential {
    pub fn state(&self, now: Timestamp) -> &'static str {
        if self.revoked_at.is_some() {
            "revoked"
        } else if self.not_after.is_some_and(|t| now > t) {
            "expired"
        } else {
            "active"
        }
    }
}

/// What the caller of `/r1` presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PresentedCredential {
    /// The verified leaf certificate of the TLS connection, DER.
    Certificate(Vec<u8>),
    /// The token header's value.
    Token(String),
}

/// Which message of a call a piece of evidence is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageSide {
    Request,
    Response,
}

impl MessageSide {
    pub fn as_str(&self) -> &'static str {
        match self {
            MessageSide::Request => "request",
            MessageSide::Response => "response",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "request" => Some(MessageSide::Request),
            "response" => Some(MessageSide::Response),
            _ => None,
        }
    }
}

/// One signed message of a call as the message log keeps it (research notes §3.4): the parts
/// of the ASiC-E container other than the time-stamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageEvidence {
    pub side: MessageSide,
    /// `message.xml`: the REST request or status line with its headers.
    pub message: Vec<u8>,
    /// `attachment1`: the body, when there was one and body logging is on.
    pub body: Option<Vec<u8>>,
    /// A body existed but was not logged (body logging off for the subsystem); the signature
    /// still covers it.
    pub body_omitted: bool,
    /// `META-INF/signatures.xml`.
    pub signature: Vec<u8>,
    /// `sig-hashchain.xml` and `sig-hashchainresult.xml`, when the signature covers a hash chain
    /// over several parts.
    pub sig_hash_chain: Option<(Vec<u8>, Vec<u8>)>,
}

impl MessageEvidence {
    /// SHA-512 of the signature document: what batch time-stamping chains.
    pub fn signature_hash(&self) -> Vec<u8> {
        use sha2::Digest;
        sha2::Sha512::digest(&self.signature).to_vec()
    }
}

/// A record's part of a batch time-stamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordTimestamp {
    pub batch_id: i64,
    pub tsa_url: String,
    /// The DER TimeStampToken (`META-INF/timestamp.tst`).
    pub token: Vec<u8>,
    /// `ts-hashchainresult.xml`, whose SHA-512 the token stamps.
    pub hash_chain_result: Vec<u8>,
    /// `ts-hashchain.xml`: this record's path to the result.
    pub hash_chain: Vec<u8>,
    pub stamped_at: Timestamp,
}

/// Evidence as stored, with its time-stamp once it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvidence {
    pub id: i64,
    pub message_id: i64,
    pub evidence: MessageEvidence,
    pub signature_hash: Vec<u8>,
    pub logged_at: Timestamp,
    pub timestamp: Option<RecordTimestamp>,
}

/// A record waiting for its time-stamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingStamp {
    pub evidence_id: i64,
    pub signature_hash: Vec<u8>,
    pub logged_at: Timestamp,
}

/// A message-log archive to record: its file, where its linking chain starts and ends, and the
/// records (evidence ids) it holds.
#[derive(Debug, Clone)]
pub struct NewArchive {
    pub file_name: String,
    pub prev_digest: String,
    pub last_digest: String,
    pub records: Vec<i64>,
    pub bytes: i64,
    pub created_at: Timestamp,
}

/// A batch time-stamp to store: the token and, per record, its hash chain.
#[derive(Debug, Clone)]
pub struct NewTimestampBatch {
    pub tsa_url: String,
    pub token: Vec<u8>,
    pub hash_chain_result: Vec<u8>,
    pub stamped_at: Timestamp,
    /// (evidence id, `ts-hashchain.xml`)
    pub records: Vec<(i64, Vec<u8>)>,
}

/// One call as the transfer-record feed gives it (issue 6, point 6: ready to be pushed to
/// T-Road's management platform once its interface is known): the log entry and the hashes
/// of the signed messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRecord {
    pub message: MessageRecord,
    /// SHA-512 of the signed request's `signatures.xml`, when it was signed.
    pub request_signature_hash: Option<Vec<u8>>,
    pub response_signature_hash: Option<Vec<u8>>,
    /// Every signed message of the call holds its batch time-stamp.
    pub timestamped: bool,
}
