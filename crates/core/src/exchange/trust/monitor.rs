//! `TrustMonitor`: the one entry point for time-stamping ([`TrustMonitor::timestamp`], the TSAs
//! tried in their configured order), the OCSP refresh of the gateway's own certificate, the
//! fail-closed rule ([`TrustMonitor::check`]) and a health snapshot. The first failure's time is
//! kept until a stamp succeeds; once it is older than `acceptable_timestamp_failure_secs`
//! (X-Road's `acceptable-timestamp-failure-period`, 14400 s by default), `check` fails and the
//! gateway refuses new calls until time-stamping works again.

use std::sync::{Arc, Mutex, MutexGuard};

use sha2::{Digest, Sha512};

use super::health::{OcspHealth, ServiceHealth, SignerHealth, TrustHealth};
use super::ocsp_client::{self, OcspAnswer, OcspError};
use super::tsa_client::{self, CheckedToken, TsaError};
use super::{
    OCSP_REQUEST, OCSP_RESPONSE, TIMESTAMP_QUERY, TIMESTAMP_REPLY, TrustError, TrustTransport,
};
use crate::clock::Clock;
use crate::exchange::asic::sign::{self, Signed, SigningKey};
use crate::exchange::asic::x509::Certificate;
use crate::exchange::id::ClientId;
use crate::time::Timestamp;

/// X-Road's defaults (system parameters and global configuration).
pub const DEFAULT_TIMESTAMP_INTERVAL_SECS: i64 = 60;
pub const DEFAULT_ACCEPTABLE_TIMESTAMP_FAILURE_SECS: i64 = 14_400;
pub const DEFAULT_OCSP_INTERVAL_SECS: i64 = 1_200;

/// The gateway's own certificate and where its status is asked.
#[derive(Debug, Clone)]
pub struct OcspConfig {
    pub url: String,
    pub cert: Certificate,
    pub issuer: Certificate,
    /// Responder certificates trusted besides the issuer and its delegates.
    pub responders: Vec<Certificate>,
    pub freshness_secs: i64,
    pub interval_secs: i64,
}

#[derive(Debug, Clone)]
pub struct TrustConfig {
    /// Tried in this order.
    pub tsa_urls: Vec<String>,
    /// Tokens must be signed by one of these.
    pub tsa_certs: Vec<Certificate>,
    pub timestamp_interval_secs: i64,
    pub acceptable_timestamp_failure_secs: i64,
    pub ocsp: Option<OcspConfig>,
    /// The members' signing keys this node signs messages with; their certificates' OCSP
    /// status is asked of the same responder (`ocsp`), and a response is embedded in each
    /// signature.
    pub signers: Vec<Arc<SigningKey>>,
}

/// Why a message could not be signed; the gateway refuses the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignError {
    /// `no_key`, `revoked`, `unknown`, `no_ocsp`, `stale`, `failed`.
    pub code: &'static str,
    pub message: String,
}

impl std::fmt::Display for SignError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// One message waiting for its signature.
struct SignJob {
    key: Arc<SigningKey>,
    ocsp: Option<Vec<u8>>,
    message: Vec<u8>,
    body: Option<Vec<u8>>,
    reply: tokio::sync::oneshot::Sender<Result<Signed, SignError>>,
}

/// Most messages under one batch signature.
const MAX_SIGN_BATCH: usize = 256;

/// While other calls are in progress, how long the signing thread waits for more messages
/// before it signs what it holds, so that one RSA signature covers several calls (X-Road batches
/// the same way). A lone call is never kept waiting.
const SIGN_LINGER: std::time::Duration = std::time::Duration::from_millis(2);

/// Calls in progress through the gateway (see [`TrustMonitor::call_started`]).
type InProgress = std::sync::atomic::AtomicUsize;

/// One call in progress; dropping it ends it.
#[must_use]
pub struct CallInProgress(Arc<InProgress>);

impl Drop for CallInProgress {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// The signing thread: take every message waiting (up to [`MAX_SIGN_BATCH`]) and, while other
/// calls are in progress, wait up to [`SIGN_LINGER`] for theirs; then sign those of each key with
/// one signature (`sign::sign_batch`): one RSA operation serves many calls, as in X-Road; a lone
/// message is signed directly.
fn sign_worker(
    rx: &std::sync::mpsc::Receiver<SignJob>,
    clock: &dyn Clock,
    in_progress: &InProgress,
) {
    use std::time::Instant;
    while let Ok(first) = rx.recv() {
        let received = Instant::now();
        let mut jobs = vec![first];
        while jobs.len() < MAX_SIGN_BATCH {
            // Every call in progress is already waiting here: no one else is coming.
            let others = in_progress.load(std::sync::atomic::Ordering::Relaxed) > jobs.len();
            let wait = if others {
                (received + SIGN_LINGER).saturating_duration_since(Instant::now())
            } else {
                Default::default()
            };
            let next = if wait.is_zero() {
                rx.try_recv().ok()
            } else {
                rx.recv_timeout(wait).ok()
            };
            match next {
                Some(job) => jobs.push(job),
                None => break,
            }
        }
        while let Some(key) = jobs.first().map(|j| j.key.clone()) {
            let (same, rest): (Vec<SignJob>, Vec<SignJob>) =
                jobs.into_iter().partition(|j| Arc::ptr_eq(&j.key, &key));
            jobs = rest;
            let ocsp = same.first().and_then(|j| j.ocsp.clone());
            let messages: Vec<(&[u8], Option<&[u8]>)> = same
                .iter()
                .map(|j| (j.message.as_slice(), j.body.as_deref()))
                .collect();
            let outcome = sign::sign_batch(&key, &messages, clock.now().inner(), ocsp.as_deref());
            match outcome {
                Ok(signed) => {
                    for (job, s) in same.into_iter().zip(signed) {
                        let _ = job.reply.send(Ok(s));
                    }
                }
                Err(e) => {
                    for job in same {
                        let _ = job.reply.send(Err(SignError {
                            code: "failed",
                            message: e.clone(),
                        }));
                    }
                }
            }
        }
    }
}

/// The last OCSP answer about one signing certificate, with the response to embed.
#[derive(Debug, Clone)]
struct SignerOcsp {
    der: Vec<u8>,
    answer: OcspAnswer,
}

struct State {
    tsas: Vec<ServiceHealth>,
    last_timestamp: Option<Timestamp>,
    failing_since: Option<Timestamp>,
    last_error: String,
    ocsp: Option<ServiceHealth>,
    ocsp_answer: Option<OcspAnswer>,
    /// Per signing key (the order of `signers`): the last good-to-embed response, and the last
    /// refresh error.
    signers: Vec<SignerState>,
}

#[derive(Debug, Clone, Default)]
struct SignerState {
    ocsp: Option<SignerOcsp>,
    error: Option<String>,
}

pub struct TrustMonitor {
    /// The signing queue (a thread started at the first signature).
    signing: std::sync::OnceLock<std::sync::mpsc::Sender<SignJob>>,
    in_progress: Arc<InProgress>,
    config: TrustConfig,
    transport: Arc<dyn TrustTransport>,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
}

impl TrustMonitor {
    pub fn new(
        config: TrustConfig,
        transport: Arc<dyn TrustTransport>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let state = State {
            tsas: config
                .tsa_urls
                .iter()
                .map(|u| ServiceHealth::new(u))
                .collect(),
            last_timestamp: None,
            failing_since: None,
            last_error: String::new(),
            ocsp: config.ocsp.as_ref().map(|o| ServiceHealth::new(&o.url)),
            ocsp_answer: None,
            signers: vec![SignerState::default(); config.signers.len()],
        };
        TrustMonitor {
            signing: std::sync::OnceLock::new(),
            in_progress: Arc::default(),
            config,
            transport,
            clock,
            state: Mutex::new(state),
        }
    }

    pub fn config(&self) -> &TrustConfig {
        &self.config
    }

    /// Marks a call in progress through the gateway until the value is dropped: while others
    /// are in progress, the signing thread waits briefly to sign their messages together.
    pub fn call_started(&self) -> CallInProgress {
        self.in_progress
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        CallInProgress(self.in_progress.clone())
    }

    fn state(&self) -> MutexGuard<'_, State> {
        match self.state.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Time-stamp `imprint` (a SHA-256/384/512 digest; X-Road uses SHA-512): each TSA in turn
    /// until one answers with a token that passes every check. Every outcome is recorded for
    /// [`check`](Self::check) and the health snapshot.
    pub async fn timestamp(&self, imprint: &[u8]) -> Result<CheckedToken, TsaError> {
        let nonce = crate::random::bytes::<8>().map_err(|e| TsaError {
            code: "timestamp_failed",
            message: format!("no random nonce: {e}"),
        })?;
        let request = tsa_client::timestamp_request(imprint, &nonce)?;
        let mut errors = Vec::new();
        for (i, url) in self.config.tsa_urls.iter().enumerate() {
            let outcome = match self
                .transport
                .post(url, TIMESTAMP_QUERY, TIMESTAMP_REPLY, request.clone())
                .await
            {
                Ok(reply) => {
                    tsa_client::check_reply(&reply, imprint, &nonce, &self.config.tsa_certs)
                }
                Err(e) => Err(TsaError {
                    code: "timestamp_unreachable",
                    message: e,
                }),
            };
            let now = self.clock.now();
            let mut state = self.state();
            match outcome {
                Ok(mut token) => {
                    token.tsa_url.clone_from(url);
                    if let Some(h) = state.tsas.get_mut(i) {
                        h.succeeded(now);
                    }
                    state.last_timestamp = Some(now);
                    state.failing_since = None;
                    state.last_error.clear();
                    return Ok(token);
                }
                Err(e) => {
                    tracing::warn!(tsa = %url, error = %e, "time-stamping failed");
                    if let Some(h) = state.tsas.get_mut(i) {
                        h.failed(now, e.to_string());
                    }
                    errors.push(format!("{url}: {e}"));
                }
            }
        }
        let now = self.clock.now();
        let message = if errors.is_empty() {
            "no time-stamping authority is configured".to_string()
        } else {
            errors.join("; ")
        };
        let mut state = self.state();
        state.failing_since.get_or_insert(now);
        state.last_error.clone_from(&message);
        Err(TsaError {
            code: "timestamp_failed",
            message,
        })
    }

    /// A probe imprint (SHA-512 of a text naming the instant) for the periodic stamp until the
    /// message log's batches are stamped through [`timestamp`](Self::timestamp).
    pub fn probe_imprint(&self) -> Vec<u8> {
        let text = format!("civitas time-stamp probe {}", self.clock.now().to_rfc3339());
        Sha512::digest(text.as_bytes()).to_vec()
    }

    /// Ask the OCSP responder about the gateway's certificate now, and record the answer.
    pub async fn refresh_ocsp(&self) -> Result<OcspAnswer, OcspError> {
        let Some(o) = &self.config.ocsp else {
            return Err(OcspError {
                code: "ocsp_not_configured",
                message: "no OCSP responder is configured".into(),
            });
        };
        let request = ocsp_client::ocsp_request(&o.cert, &o.issuer);
        let outcome = match self
            .transport
            .post(&o.url, OCSP_REQUEST, OCSP_RESPONSE, request)
            .await
        {
            Ok(bytes) => ocsp_client::check_response(
                &bytes,
                &o.cert,
                &o.issuer,
                &o.responders,
                self.clock.now(),
                o.freshness_secs,
            ),
            Err(e) => Err(OcspError {
                code: "ocsp_unreachable",
                message: e,
            }),
        };
        let now = self.clock.now();
        let mut state = self.state();
        match &outcome {
            Ok(answer) => {
                if let Some(h) = state.ocsp.as_mut() {
                    h.succeeded(now);
                }
                if answer.status != ocsp_client::OcspStatus::Good {
                    tracing::error!(
                        status = answer.status.as_str(),
                        "the gateway's certificate is not good (OCSP)"
                    );
                }
                state.ocsp_answer = Some(answer.clone());
            }
            Err(e) => {
                tracing::warn!(url = %o.url, error = %e, "OCSP refresh failed");
                if let Some(h) = state.ocsp.as_mut() {
                    h.failed(now, e.to_string());
                }
            }
        }
        outcome
    }

    /// Ask the OCSP responder about each member signing certificate and keep each checked
    /// response to embed in signatures. Returns how many answered good.
    pub async fn refresh_signer_ocsp(&self) -> usize {
        let Some(o) = &self.config.ocsp else {
            return 0;
        };
        let mut good = 0;
        for (i, key) in self.config.signers.iter().enumerate() {
            let cert = key.certificate();
            let request = ocsp_client::ocsp_request(cert, &o.issuer);
            let outcome = match self
                .transport
                .post(&o.url, OCSP_REQUEST, OCSP_RESPONSE, request)
                .await
            {
                Ok(bytes) => ocsp_client::check_response(
                    &bytes,
                    cert,
                    &o.issuer,
                    &o.responders,
                    self.clock.now(),
                    o.freshness_secs,
                )
                .map(|answer| SignerOcsp { der: bytes, answer }),
                Err(e) => Err(OcspError {
                    code: "ocsp_unreachable",
                    message: e,
                }),
            };
            let mut state = self.state();
            match outcome {
                Ok(fresh) => {
                    if fresh.answer.status == ocsp_client::OcspStatus::Good {
                        good += 1;
                    } else {
                        tracing::error!(
                            member = %key.member(),
                            status = fresh.answer.status.as_str(),
                            "a member's signing certificate is not good (OCSP): its messages are refused"
                        );
                    }
                    if let Some(slot) = state.signers.get_mut(i) {
                        slot.ocsp = Some(fresh);
                        slot.error = None;
                    }
                }
                Err(e) => {
                    tracing::warn!(member = %key.member(), error = %e, "OCSP refresh of a signing certificate failed");
                    if let Some(slot) = state.signers.get_mut(i) {
                        slot.error = Some(e.to_string());
                    }
                }
            }
        }
        good
    }

    /// Whether this node holds `member`'s signing key.
    pub fn signs_for(&self, member: &ClientId) -> bool {
        self.config.signers.iter().any(|k| k.member() == member)
    }

    /// Sign a REST message (`message.xml` and its body) with `member`'s key, embedding the
    /// certificate's last OCSP response. With an OCSP responder configured, the response must
    /// say good and be fresh (X-Road signs only with a certificate whose status is known good);
    /// a revoked, unknown or stale status refuses the signature, and with it the call.
    pub async fn sign(
        &self,
        member: &ClientId,
        message: Vec<u8>,
        body: Option<Vec<u8>>,
    ) -> Result<Signed, SignError> {
        let (key, ocsp) = self.usable(member)?;
        let failed = |message: &str| SignError {
            code: "failed",
            message: message.to_string(),
        };
        let queue = self.signing.get_or_init(|| {
            let (tx, rx) = std::sync::mpsc::channel::<SignJob>();
            let clock = self.clock.clone();
            let in_progress = self.in_progress.clone();
            let spawned = std::thread::Builder::new()
                .name("civitas-signer".into())
                .spawn(move || sign_worker(&rx, clock.as_ref(), &in_progress));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "the signing thread cannot start");
            }
            tx
        });
        let (reply, answer) = tokio::sync::oneshot::channel();
        queue
            .send(SignJob {
                key,
                ocsp,
                message,
                body,
                reply,
            })
            .map_err(|_| failed("the signing thread has stopped"))?;
        answer
            .await
            .map_err(|_| failed("the signing thread dropped the message"))?
    }

    /// `Ok` when `member`'s messages can be signed now: the key is here and, with OCSP on,
    /// its certificate's last answer is good and fresh.
    pub fn ready(&self, member: &ClientId) -> Result<(), SignError> {
        self.usable(member).map(|_| ())
    }

    /// The key and the OCSP response to embed.
    fn usable(&self, member: &ClientId) -> Result<(Arc<SigningKey>, Option<Vec<u8>>), SignError> {
        let err = |code, message: String| SignError { code, message };
        let Some((i, key)) = self
            .config
            .signers
            .iter()
            .enumerate()
            .find(|(_, k)| k.member() == member)
        else {
            return Err(err(
                "no_key",
                format!(
                    "this node holds no signing key of the member {member} ([[exchange.trust.signers]])"
                ),
            ));
        };
        let Some(o) = &self.config.ocsp else {
            return Ok((key.clone(), None));
        };
        let now = self.clock.now();
        let state = self.state();
        let Some(last) = state.signers.get(i).and_then(|s| s.ocsp.as_ref()) else {
            return Err(err(
                "no_ocsp",
                format!("no OCSP response about the signing certificate of {member} yet"),
            ));
        };
        match last.answer.status {
            ocsp_client::OcspStatus::Good => {}
            ocsp_client::OcspStatus::Revoked => {
                return Err(err(
                    "revoked",
                    format!("the signing certificate of {member} is revoked (OCSP)"),
                ));
            }
            ocsp_client::OcspStatus::Unknown => {
                return Err(err(
                    "unknown",
                    format!("the OCSP responder does not know the signing certificate of {member}"),
                ));
            }
        }
        let age = now.since(last.answer.this_update).whole_seconds();
        if age > o.freshness_secs || last.answer.next_update.is_some_and(|n| n < now) {
            return Err(err(
                "stale",
                format!(
                    "the OCSP response about the signing certificate of {member} is {age} s old (at most {} s)",
                    o.freshness_secs
                ),
            ));
        }
        Ok((key.clone(), Some(last.der.clone())))
    }

    /// `Err` when time-stamping has failed for longer than the acceptable period: the gateway
    /// must refuse new calls.
    pub fn check(&self) -> Result<(), TrustError> {
        let now = self.clock.now();
        let state = self.state();
        match state.failing_since {
            Some(since)
                if now.since(since).whole_seconds()
                    > self.config.acceptable_timestamp_failure_secs =>
            {
                Err(TrustError::TimestampFailing {
                    since,
                    acceptable_secs: self.config.acceptable_timestamp_failure_secs,
                    error: state.last_error.clone(),
                })
            }
            _ => Ok(()),
        }
    }

    pub fn health(&self) -> TrustHealth {
        let refusing = self.check().is_err();
        let now = self.clock.now();
        let state = self.state();
        let ocsp = self.config.ocsp.as_ref().map(|o| {
            let answer = state.ocsp_answer.as_ref();
            let stale = answer.is_none_or(|a| {
                now.since(a.this_update).whole_seconds() > o.freshness_secs
                    || a.next_update.is_some_and(|n| n < now)
            });
            OcspHealth {
                service: state
                    .ocsp
                    .clone()
                    .unwrap_or_else(|| ServiceHealth::new(&o.url)),
                subject: o.cert.subject_text(),
                status: answer.map(|a| a.status),
                this_update: answer.map(|a| a.this_update),
                next_update: answer.and_then(|a| a.next_update),
                freshness_secs: o.freshness_secs,
                stale,
            }
        });
        let signers = self
            .config
            .signers
            .iter()
            .zip(state.signers.iter())
            .map(|(k, st)| {
                let last = st.ocsp.as_ref().map(|s| &s.answer);
                let stale = self.config.ocsp.as_ref().is_some_and(|o| {
                    last.is_none_or(|a| {
                        now.since(a.this_update).whole_seconds() > o.freshness_secs
                            || a.next_update.is_some_and(|n| n < now)
                    })
                });
                SignerHealth {
                    member: k.member().to_path(),
                    subject: k.certificate().subject_text(),
                    not_after: Timestamp::from_offset(k.certificate().not_after),
                    status: last.map(|a| a.status),
                    this_update: last.map(|a| a.this_update),
                    stale,
                    error: st.error.clone(),
                }
            })
            .collect();
        TrustHealth {
            signers,
            tsas: state.tsas.clone(),
            last_timestamp: state.last_timestamp,
            timestamp_failing_since: state.failing_since,
            acceptable_timestamp_failure_secs: self.config.acceptable_timestamp_failure_secs,
            refusing,
            ocsp,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    /// A transport whose every TSA is down.
    struct Down;

    #[async_trait::async_trait]
    impl TrustTransport for Down {
        async fn post(&self, url: &str, _: &str, _: &str, _: Vec<u8>) -> Result<Vec<u8>, String> {
            Err(format!("connection refused ({url})"))
        }
    }

    #[tokio::test]
    async fn the_first_failure_is_kept_and_check_fails_only_after_the_acceptable_period() {
        let start = Timestamp::parse_rfc3339("2026-11-28T00:00:00Z").unwrap();
        let clock = Arc::new(ManualClock::new(start));
        let m = TrustMonitor::new(
            TrustConfig {
                tsa_urls: vec!["http://tsa-a".into(), "http://tsa-b".into()],
                tsa_certs: Vec::new(),
                timestamp_interval_secs: 60,
                acceptable_timestamp_failure_secs: 600,
                ocsp: None,
                signers: Vec::new(),
            },
            Arc::new(Down),
            clock.clone(),
        );
        assert!(m.check().is_ok());
        let e = m.timestamp(&m.probe_imprint()).await.unwrap_err();
        assert_eq!(e.code, "timestamp_failed");
        assert!(
            e.message.contains("tsa-a") && e.message.contains("tsa-b"),
            "{e}"
        );
        clock.advance(time::Duration::seconds(590));
        // A later failure does not move the start of the failure.
        assert!(m.timestamp(&m.probe_imprint()).await.is_err());
        assert!(m.check().is_ok());
        clock.advance(time::Duration::seconds(11));
        let TrustError::TimestampFailing { since, .. } = m.check().unwrap_err();
        assert_eq!(since, start);
        let h = m.health();
        assert!(h.refusing);
        assert_eq!(h.tsas.len(), 2);
        assert!(h.tsas.iter().all(|t| !t.ok() && t.error.is_some()));
        assert_eq!(h.timestamp_failing_since, Some(start));
    }
}
