//! Shared state: the platform, web settings, the sign-in throttle, the metrics handle and
//! the last audit-chain check.

use std::ops::Deref;
use std::sync::{Arc, RwLock};

use civitas_core::Platform;
use civitas_core::audit::Verification;
use civitas_core::exchange::trust::TrustMonitor;
use civitas_core::time::Timestamp;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::auth::LoginThrottle;

#[derive(Debug, Clone)]
pub struct WebSettings {
    /// Mark cookies `Secure` (when users reach civitas over HTTPS).
    pub cookie_secure: bool,
    /// Largest JSON or form body accepted.
    pub max_body_bytes: usize,
    /// Largest uploaded file accepted.
    pub max_upload_bytes: usize,
    /// Largest body `POST /api/v1/alerts/{source}/bulk` reads.
    pub max_alert_bulk_bytes: usize,
    /// Serve `/metrics` on the main listener (to holders of `read_metrics`).
    pub metrics_on_main_listener: bool,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_forwarded_for: bool,
    pub login_failures_per_ip: usize,
    pub login_window: time::Duration,
    pub request_timeout: std::time::Duration,
    /// The address people and harvesters use, for links and linked-data identifiers.
    pub public_base: String,
    /// Largest request or response body the exchange gateway carries (`/r1`).
    pub exchange_max_body_bytes: usize,
    /// Longest `/r1` request target accepted (PR-REST §4.2: about 2000).
    pub exchange_max_uri_len: usize,
    /// The X-Road instance code, the prefix of the `X-Road-Id`s the gateway makes.
    pub exchange_instance: String,
    /// Where the verification configuration lives (the X-Road global configuration's
    /// `shared-params.xml`, one directory per instance), for verifying uploaded containers.
    pub exchange_globalconf_dir: std::path::PathBuf,
    /// Other nodes (and the upstream security server) this node relays calls to, and
    /// recognises when they call; `None`: this node serves only its own providers.
    pub exchange_peers: Option<std::sync::Arc<crate::exchange::peers::PeerTable>>,
    /// Keep message bodies in the signed message log.
    pub exchange_body_logging: bool,
    /// Subsystems (`INSTANCE/CLASS/CODE/SUBSYSTEM`) whose bodies are never kept.
    pub exchange_body_logging_off: Vec<String>,
}

impl Default for WebSettings {
    fn default() -> Self {
        WebSettings {
            cookie_secure: false,
            max_body_bytes: 1024 * 1024,
            max_upload_bytes: 64 * 1024 * 1024,
            max_alert_bulk_bytes: 16 * 1024 * 1024,
            metrics_on_main_listener: true,
            trust_forwarded_for: false,
            login_failures_per_ip: 20,
            login_window: time::Duration::minutes(15),
            request_timeout: std::time::Duration::from_secs(60),
            public_base: "http://127.0.0.1:8080".into(),
            exchange_max_body_bytes: 10 * 1024 * 1024,
            exchange_max_uri_len: civitas_core::exchange::rest::DEFAULT_MAX_URI_LEN,
            exchange_instance: "TW".into(),
            exchange_globalconf_dir: std::path::PathBuf::from("./civitas-data/exchange/globalconf"),
            exchange_peers: None,
            exchange_body_logging: true,
            exchange_body_logging_off: Vec::new(),
        }
    }
}

/// The outcome of the last audit-chain verification.
#[derive(Debug, Clone)]
pub struct ChainCheck {
    pub at: Timestamp,
    pub verification: Verification,
}

pub struct Inner {
    pub platform: Platform,
    pub settings: WebSettings,
    pub throttle: LoginThrottle,
    pub metrics: PrometheusHandle,
    pub chain: RwLock<Option<ChainCheck>>,
    /// The exchange gateway's HTTP clients.
    pub forwarder: crate::exchange::Forwarder,
    /// The exchange trust services (time-stamping, OCSP), when configured.
    trust: RwLock<Option<Arc<TrustMonitor>>>,
    /// The verification configuration read from `exchange_globalconf_dir`, and when.
    verification: RwLock<
        Option<(
            std::time::Instant,
            Arc<civitas_core::exchange::asic::VerificationConf>,
        )>,
    >,
}

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl AppState {
    pub fn new(platform: Platform, settings: WebSettings) -> Self {
        let throttle = LoginThrottle::new(settings.login_failures_per_ip, settings.login_window);
        AppState(Arc::new(Inner {
            platform,
            settings,
            throttle,
            metrics: crate::metrics::handle(),
            chain: RwLock::new(None),
            forwarder: crate::exchange::Forwarder::new(),
            trust: RwLock::new(None),
            verification: RwLock::new(None),
        }))
    }

    /// The verification configuration for signatures from other nodes, read from
    /// `exchange_globalconf_dir` and re-read every five minutes (a new global configuration is
    /// picked up without a restart); `None` when there is none usable.
    pub fn verification_conf(&self) -> Option<Arc<civitas_core::exchange::asic::VerificationConf>> {
        const FRESH: std::time::Duration = std::time::Duration::from_secs(300);
        if let Ok(slot) = self.verification.read()
            && let Some((at, conf)) = slot.as_ref()
            && at.elapsed() < FRESH
        {
            return Some(conf.clone());
        }
        match civitas_core::exchange::asic::VerificationConf::load_dir(
            &self.settings.exchange_globalconf_dir,
        ) {
            Ok(conf) => {
                let conf = Arc::new(conf);
                if let Ok(mut slot) = self.verification.write() {
                    *slot = Some((std::time::Instant::now(), conf.clone()));
                }
                Some(conf)
            }
            Err(e) => {
                tracing::warn!(error = %e, "no usable verification configuration for peers' signatures");
                None
            }
        }
    }

    /// Install the exchange trust services: `/r1` then refuses calls while time-stamping has
    /// failed too long, and the health route and page report them.
    pub fn set_trust(&self, monitor: Arc<TrustMonitor>) {
        if let Ok(mut slot) = self.trust.write() {
            *slot = Some(monitor);
        }
    }

    pub fn trust(&self) -> Option<Arc<TrustMonitor>> {
        self.trust.read().ok().and_then(|t| t.clone())
    }

    /// Verify the audit chain now and remember the result for the dashboard.
    pub async fn check_chain(&self) -> Option<ChainCheck> {
        match self.platform.audit().verify().await {
            Ok(verification) => {
                if let Some(problem) = &verification.problem {
                    tracing::error!(seq = problem.seq, message = %problem.message, "audit chain broken");
                }
                let check = ChainCheck {
                    at: self.platform.now(),
                    verification,
                };
                if let Ok(mut slot) = self.chain.write() {
                    *slot = Some(check.clone());
                }
                Some(check)
            }
            Err(e) => {
                tracing::error!(error = %e, "audit chain could not be verified");
                None
            }
        }
    }

    pub fn last_chain_check(&self) -> Option<ChainCheck> {
        self.chain.read().ok().and_then(|c| c.clone())
    }
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
