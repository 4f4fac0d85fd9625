//! Configuration: built-in defaults, then a TOML file, then `CIVITAS_*` environment
//! variables, then command-line flags — later sources win. Any key may instead be read from
//! a file named by `<key>_file` (e.g. `CIVITAS_BOOTSTRAP__ADMIN_PASSWORD_FILE`), for secrets.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use figment_file_provider_adapter::FileAdapter;
use serde::{Deserialize, Serialize};

/// A secret string: never printed, never logged.
#[derive(Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// The value, without the line break a secret file usually ends with.
    pub fn expose(&self) -> &str {
        self.0.trim_end_matches(['\n', '\r'])
    }

    pub fn is_empty(&self) -> bool {
        self.expose().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("\"\"")
        } else {
            f.write_str("\"***\"")
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    /// Empty: `/metrics` on the main listener for holders of read_metrics.
    pub metrics_listen: Option<SocketAddr>,
    pub public_url: String,
    pub log_format: LogFormat,
    pub log_level: String,
    pub migrate_on_start: bool,
    pub trust_forwarded_for: bool,
    pub max_body_bytes: usize,
    pub max_upload_bytes: usize,
    pub request_timeout_seconds: u64,
    pub security: SecuritySettings,
    pub bootstrap: Bootstrap,
    pub notify: crate::notify::NotifySettings,
    pub catalog: CatalogSettings,
    pub alerts: crate::alerts::AlertsSettings,
    pub intel: crate::intel::IntelConfig,
    pub exchange: ExchangeSettings,
}

/// The exchange gateway (`/r1`, X-Road Message Protocol for REST).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ExchangeSettings {
    /// The X-Road instance code: the prefix of the `X-Road-Id`s the gateway makes. T-Road's
    /// own code awaits confirmation in the ministry's test environment.
    pub instance: String,
    /// Largest request or response body carried (10 MiB, X-Road's default loggable size).
    pub max_body_bytes: usize,
    /// Longest request target accepted.
    pub max_uri_len: usize,
    /// The exchange TLS listener (`/r1` and `/listClients` only), off when unset. Callers
    /// must present a client certificate issued by `client_ca_file`; the certificate is bound
    /// to their subsystem through `/api/v1/exchange/credentials`.
    pub listen: Option<std::net::SocketAddr>,
    /// The listener's certificate chain and private key, PEM.
    pub cert_file: String,
    pub key_file: String,
    /// The CA certificate(s), PEM, client certificates must chain to.
    pub client_ca_file: String,
    // --- Node to node (consumer face): see `nodes` below. ---
    /// This node's certificate and key, PEM, presented to peers (and accepted from them) for
    /// node-to-node mutual TLS; issued by `node_ca_file`.
    pub node_cert_file: String,
    pub node_key_file: String,
    /// The CA certificate(s), PEM, node certificates are issued by.
    pub node_ca_file: String,
    /// An official security server's consumer face (`https://…`): calls to providers neither
    /// this node nor a peer serves go there. Pinned by `upstream_fingerprint`.
    pub upstream: String,
    pub upstream_fingerprint: String,
    /// Other civitas nodes and the members they serve.
    pub peers: Vec<PeerSettings>,
    /// Time-stamping and OCSP (`[exchange.trust]`); off while `tsa_urls` is empty.
    pub trust: TrustSettings,
    /// Keep message bodies in the signed message log (X-Road's `message-body-logging`).
    pub body_logging: bool,
    /// Subsystems (`INSTANCE/CLASS/CODE/SUBSYSTEM`, client or provider) whose bodies are never
    /// kept; the signature still covers them.
    pub body_logging_off: Vec<String>,
    /// How often `civitas serve` archives the time-stamped message log into hash-linked
    /// archives under `<data_dir>/exchange/archive` (X-Road: every 6 hours); 0: never (run
    /// `civitas exchange archive` instead).
    pub archive_interval_secs: u64,
}

/// `[exchange.trust]`: the RFC 3161 time-stamping authorities and the OCSP responder the
/// gateway uses, and X-Road's fail-closed rule.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TrustSettings {
    /// The TSAs' addresses, tried in this order; empty: the trust services are off.
    pub tsa_urls: Vec<String>,
    /// The TSA certificate(s), PEM, whose tokens are accepted.
    pub tsa_cert_file: String,
    /// How often to time-stamp (X-Road's `timeStampingIntervalSeconds`, 60–86400).
    pub timestamp_interval_secs: i64,
    /// How long time-stamping may fail before `/r1` refuses calls (X-Road's
    /// `acceptable-timestamp-failure-period`).
    pub acceptable_timestamp_failure_secs: i64,
    /// Each TSA or OCSP request's timeout.
    pub request_timeout_secs: u64,
    /// The OCSP responder asked about the gateway's certificate; empty: no OCSP.
    pub ocsp_url: String,
    /// The certificate whose status is asked, PEM; empty: `[exchange] cert_file`.
    pub ocsp_cert_file: String,
    /// Its issuer's certificate, PEM.
    pub ocsp_issuer_file: String,
    /// Responder certificate(s), PEM, trusted besides the issuer and its delegates; optional.
    pub ocsp_responder_file: String,
    /// Oldest acceptable OCSP answer (X-Road's `ocspFreshnessSeconds`).
    pub ocsp_freshness_secs: i64,
    /// How often to ask the responder.
    pub ocsp_interval_secs: i64,
    /// The members' signing keys (`[[exchange.trust.signers]]`): each request and response of
    /// a member this node serves is signed with its key (XAdES, RSA-SHA512).
    pub signers: Vec<SignerSettings>,
}

/// One `[[exchange.trust.signers]]` entry: a member's signing key.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct SignerSettings {
    /// The member, `INSTANCE/CLASS/CODE`.
    pub member: String,
    /// Its signing certificate, PEM (issued by `ocsp_issuer_file` when OCSP is on).
    pub cert_file: String,
    /// Its RSA private key, PEM (PKCS #8 or PKCS #1); never logged.
    pub key_file: String,
}

impl Default for TrustSettings {
    fn default() -> Self {
        use civitas_core::exchange::trust::monitor as m;
        TrustSettings {
            tsa_urls: Vec::new(),
            tsa_cert_file: String::new(),
            timestamp_interval_secs: m::DEFAULT_TIMESTAMP_INTERVAL_SECS,
            acceptable_timestamp_failure_secs: m::DEFAULT_ACCEPTABLE_TIMESTAMP_FAILURE_SECS,
            request_timeout_secs: 20,
            ocsp_url: String::new(),
            ocsp_cert_file: String::new(),
            ocsp_issuer_file: String::new(),
            ocsp_responder_file: String::new(),
            ocsp_freshness_secs: civitas_core::exchange::asic::conf::DEFAULT_OCSP_FRESHNESS_SECONDS,
            ocsp_interval_secs: m::DEFAULT_OCSP_INTERVAL_SECS,
            signers: Vec::new(),
        }
    }
}

impl TrustSettings {
    pub fn enabled(&self) -> bool {
        !self.tsa_urls.is_empty()
    }

    /// Check the keys agree, without reading the files (`civitas config show` works anywhere).
    pub fn check(&self) -> Result<(), String> {
        if !self.signers.is_empty() && !self.enabled() {
            return Err(
                "[[exchange.trust.signers]] needs tsa_urls: signed messages must be time-stamped"
                    .into(),
            );
        }
        for s in &self.signers {
            civitas_core::exchange::id::ClientId::parse_path(
                s.member.trim(),
                civitas_core::exchange::id::CharRule::Strict,
            )
            .ok()
            .filter(|c| c.id.subsystem.is_none())
            .ok_or_else(|| {
                format!(
                    "[[exchange.trust.signers]] member = {:?}: use INSTANCE/CLASS/CODE (a member, not a subsystem)",
                    s.member
                )
            })?;
            if s.cert_file.trim().is_empty() || s.key_file.trim().is_empty() {
                return Err(format!(
                    "[[exchange.trust.signers]] {}: cert_file and key_file are needed (PEM)",
                    s.member
                ));
            }
        }
        let url_ok = |u: &str| u.starts_with("http://") || u.starts_with("https://");
        if !self.enabled() {
            if !self.ocsp_url.trim().is_empty() {
                return Err(
                    "[exchange.trust] ocsp_url needs tsa_urls too: the trust services run together"
                        .into(),
                );
            }
            return Ok(());
        }
        if let Some(u) = self.tsa_urls.iter().find(|u| !url_ok(u.trim())) {
            return Err(format!(
                "[exchange.trust] tsa_urls: {u:?} is not an http(s) address"
            ));
        }
        if self.tsa_cert_file.trim().is_empty() {
            return Err(
                "[exchange.trust] tsa_urls needs tsa_cert_file (the TSA certificates, PEM)".into(),
            );
        }
        if !(1..=86_400).contains(&self.timestamp_interval_secs) {
            return Err(
                "[exchange.trust] timestamp_interval_secs must be 1–86400 (X-Road: 60–86400)"
                    .into(),
            );
        }
        if self.acceptable_timestamp_failure_secs < self.timestamp_interval_secs {
            return Err("[exchange.trust] acceptable_timestamp_failure_secs must be at least timestamp_interval_secs".into());
        }
        if !self.ocsp_url.trim().is_empty() {
            if !url_ok(self.ocsp_url.trim()) {
                return Err("[exchange.trust] ocsp_url is not an http(s) address".into());
            }
            if self.ocsp_issuer_file.trim().is_empty() {
                return Err("[exchange.trust] ocsp_url needs ocsp_issuer_file (the issuer's certificate, PEM)".into());
            }
            if self.ocsp_freshness_secs < 1 || self.ocsp_interval_secs < 1 {
                return Err(
                    "[exchange.trust] ocsp_freshness_secs and ocsp_interval_secs must be positive"
                        .into(),
                );
            }
        }
        Ok(())
    }
}

/// One `[[exchange.peers]]` entry.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct PeerSettings {
    pub name: String,
    /// The peer's exchange TLS listener, `https://host:port`.
    pub url: String,
    /// The X-Road members it serves, `INSTANCE/CLASS/CODE`.
    pub members: Vec<String>,
    /// SHA-256 of its node certificate, or the certificate itself (PEM) in `certificate_file`.
    pub fingerprint: String,
    pub certificate_file: String,
    /// 0: 30 seconds.
    pub timeout_seconds: u64,
}

impl ExchangeSettings {
    /// The peer table, with the files it names read; `None` when no peer or upstream is set.
    pub fn nodes(
        &self,
    ) -> Result<Option<std::sync::Arc<civitas_web::exchange::peers::PeerTable>>, String> {
        use civitas_web::exchange::peers::{NodeIdentity, PeerSpec, PeerTable};
        let node_files = [
            &self.node_cert_file,
            &self.node_key_file,
            &self.node_ca_file,
        ];
        if self.peers.is_empty() && self.upstream.trim().is_empty() {
            if node_files.iter().any(|f| !f.trim().is_empty()) {
                return Err("[exchange] node_cert_file, node_key_file and node_ca_file are for calls between nodes: add [[exchange.peers]] or upstream, or remove them".into());
            }
            return Ok(None);
        }
        if node_files.iter().any(|f| f.trim().is_empty()) {
            return Err("[exchange] peers and upstream need node_cert_file, node_key_file and node_ca_file (PEM)".into());
        }
        let read = |key: &str, path: &str| {
            std::fs::read(path.trim())
                .map_err(|e| format!("[exchange] cannot read {key} {path}: {e}"))
        };
        let identity = NodeIdentity {
            cert_pem: read("node_cert_file", &self.node_cert_file)?,
            key_pem: read("node_key_file", &self.node_key_file)?,
            ca_pem: read("node_ca_file", &self.node_ca_file)?,
        };
        let timeout = |s: u64| std::time::Duration::from_secs(if s == 0 { 30 } else { s });
        let mut peers = Vec::new();
        for p in &self.peers {
            let certificate_pem = match p.certificate_file.trim() {
                "" => None,
                f => Some(read("certificate_file", f)?),
            };
            peers.push(PeerSpec {
                name: p.name.clone(),
                url: p.url.clone(),
                members: p.members.clone(),
                fingerprint: p.fingerprint.clone(),
                certificate_pem,
                timeout: timeout(p.timeout_seconds),
            });
        }
        let upstream = match self.upstream.trim() {
            "" => None,
            url => Some(PeerSpec {
                name: "upstream".into(),
                url: url.to_string(),
                members: Vec::new(),
                fingerprint: self.upstream_fingerprint.clone(),
                certificate_pem: None,
                timeout: timeout(0),
            }),
        };
        PeerTable::new(&identity, &peers, upstream.as_ref())
            .map(|t| Some(std::sync::Arc::new(t)))
            .map_err(|e| format!("[exchange] {e}"))
    }
}

impl ExchangeSettings {
    /// The TLS listener's address and files, checked to be all given when it is on.
    pub fn tls_listener(
        &self,
    ) -> Result<Option<(std::net::SocketAddr, [std::path::PathBuf; 3])>, String> {
        let files = [&self.cert_file, &self.key_file, &self.client_ca_file];
        match self.listen {
            None if files.iter().any(|f| !f.trim().is_empty()) => Err(
                "[exchange] cert_file, key_file and client_ca_file are only for the TLS listener: set listen too, or remove them".into(),
            ),
            None => Ok(None),
            Some(_) if files.iter().any(|f| f.trim().is_empty()) => Err(
                "[exchange] listen needs cert_file, key_file and client_ca_file (PEM)".into(),
            ),
            Some(addr) => Ok(Some((addr, files.map(|f| std::path::PathBuf::from(f.trim()))))),
        }
    }
}

impl Default for ExchangeSettings {
    fn default() -> Self {
        ExchangeSettings {
            instance: "TW".into(),
            max_body_bytes: 10 * 1024 * 1024,
            max_uri_len: 2000,
            listen: None,
            cert_file: String::new(),
            key_file: String::new(),
            client_ca_file: String::new(),
            node_cert_file: String::new(),
            node_key_file: String::new(),
            node_ca_file: String::new(),
            upstream: String::new(),
            upstream_fingerprint: String::new(),
            peers: Vec::new(),
            trust: TrustSettings::default(),
            body_logging: true,
            body_logging_off: Vec::new(),
            archive_interval_secs: 21_600,
        }
    }
}

/// Catalogue harvests: how sources are fetched, and the sources `civitas serve` harvests.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CatalogSettings {
    pub fetch_connect_timeout_seconds: u64,
    pub fetch_timeout_seconds: u64,
    pub fetch_max_bytes: u64,
    pub fetch_retries: u32,
    /// How often `civitas serve` checks every distribution address ("" = never).
    pub link_check_interval: String,
    pub sources: Vec<SourceSettings>,
}

/// One `[[catalog.sources]]` entry.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct SourceSettings {
    pub name: String,
    /// ckan, dcat or datagovtw.
    pub kind: String,
    pub url: String,
    /// e.g. "1d", "12h", "30m"; empty: only on demand.
    pub interval: String,
    /// CKAN page size.
    pub rows: u64,
    /// The agency for records that name none.
    pub agency: String,
    /// Organisation / publisher name or code as the source writes it → agency code.
    pub aliases: std::collections::BTreeMap<String, String>,
}

impl SourceSettings {
    pub fn harvest_source(&self) -> Result<civitas_core::catalog::harvest::HarvestSource, String> {
        let mut source = civitas_core::catalog::harvest::HarvestSource::new(
            &self.name,
            &self.kind,
            &self.url,
            &self.interval,
            self.rows,
        )?;
        source.agency = Some(self.agency.trim().to_string()).filter(|a| !a.is_empty());
        source.aliases = self.aliases.clone();
        Ok(source)
    }
}

impl CatalogSettings {
    pub fn fetch(&self) -> civitas_delivery::FetchSettings {
        civitas_delivery::FetchSettings {
            connect_timeout: std::time::Duration::from_secs(
                self.fetch_connect_timeout_seconds.max(1),
            ),
            timeout: std::time::Duration::from_secs(self.fetch_timeout_seconds.max(1)),
            max_bytes: self.fetch_max_bytes.max(1),
            retries: self.fetch_retries,
            backoff: std::time::Duration::from_secs(1),
        }
    }

    /// How often to check distribution addresses, or `None` when switched off.
    pub fn link_check_every(&self) -> Result<Option<std::time::Duration>, String> {
        let text = self.link_check_interval.trim();
        if text.is_empty() {
            return Ok(None);
        }
        civitas_core::catalog::harvest::parse_interval(text)
            .and_then(|d| std::time::Duration::try_from(d).ok())
            .filter(|d| d.as_secs() >= 60)
            .map(Some)
            .ok_or_else(|| {
                format!(
                    "catalog.link_check_interval: '{text}' is not an interval of a minute or more such as \"12h\" or \"1d\" (\"\" switches checks off)"
                )
            })
    }

    /// The configured sources, checked: each usable and named once.
    pub fn harvest_sources(
        &self,
    ) -> Result<Vec<civitas_core::catalog::harvest::HarvestSource>, String> {
        let mut out: Vec<civitas_core::catalog::harvest::HarvestSource> = Vec::new();
        for s in &self.sources {
            let source = s
                .harvest_source()
                .map_err(|e| format!("catalog.sources: {e}"))?;
            // The name is part of web addresses (/catalog/harvest/NAME/run) and log lines.
            if !source
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            {
                return Err(format!(
                    "catalog.sources: the name '{}' may use only letters, digits, '-', '_' and '.'",
                    source.name
                ));
            }
            if out.iter().any(|o| o.name == source.name) {
                return Err(format!(
                    "catalog.sources: the name {} is used twice",
                    source.name
                ));
            }
            out.push(source);
        }
        Ok(out)
    }
}

impl Default for CatalogSettings {
    fn default() -> Self {
        CatalogSettings {
            fetch_connect_timeout_seconds: 10,
            fetch_timeout_seconds: 60,
            fetch_max_bytes: 64 * 1024 * 1024,
            fetch_retries: 3,
            link_check_interval: "1d".into(),
            sources: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// JSON when the output is not a terminal, text when it is.
    Auto,
    Json,
    Text,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SecuritySettings {
    pub max_failed_logins: u32,
    pub lockout_minutes: i64,
    pub session_idle_minutes: i64,
    pub session_absolute_hours: i64,
    pub token_max_days: i64,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub login_failures_per_ip: usize,
    pub login_window_minutes: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Bootstrap {
    pub admin_name: String,
    pub admin_password: Secret,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            data_dir: PathBuf::from("./civitas-data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            metrics_listen: None,
            public_url: String::new(),
            log_format: LogFormat::Auto,
            log_level: "info".into(),
            migrate_on_start: true,
            trust_forwarded_for: false,
            max_body_bytes: 1024 * 1024,
            max_upload_bytes: 64 * 1024 * 1024,
            request_timeout_seconds: 60,
            security: SecuritySettings::default(),
            bootstrap: Bootstrap::default(),
            notify: crate::notify::NotifySettings::default(),
            catalog: CatalogSettings::default(),
            alerts: crate::alerts::AlertsSettings::default(),
            intel: crate::intel::IntelConfig::default(),
            exchange: ExchangeSettings::default(),
        }
    }
}

impl Default for SecuritySettings {
    fn default() -> Self {
        SecuritySettings {
            max_failed_logins: 5,
            lockout_minutes: 15,
            session_idle_minutes: 120,
            session_absolute_hours: 12,
            token_max_days: 366,
            argon2_memory_kib: 19 * 1024,
            argon2_iterations: 2,
            login_failures_per_ip: 20,
            login_window_minutes: 15,
        }
    }
}

/// Every key with its default and meaning: what `civitas config print-default` shows.
pub const DEFAULT_CONFIG: &str = r#"# civitas configuration. Every key is optional; these are the defaults.
# Order of precedence: this file < CIVITAS_* environment variables < command-line flags.
# Nested keys in the environment use a double underscore: CIVITAS_SECURITY__LOCKOUT_MINUTES=30.
# Any key can be read from a file instead: <key>_file = "/run/secrets/x" (CIVITAS_<KEY>_FILE).

# Where the database (civitas.sqlite3) lives. Flag --data-dir, env CIVITAS_DATA_DIR.
data_dir = "./civitas-data"
# Address for the web interface and the API. Flag --listen, env CIVITAS_LISTEN.
listen = "127.0.0.1:8080"
# A separate address for Prometheus /metrics (no sign-in needed there), e.g. "127.0.0.1:9090".
# Unset: /metrics is served on the main address to holders of the read_metrics permission.
# metrics_listen = "127.0.0.1:9090"
# The address people use, e.g. "https://civitas.tycg.gov.tw". With https, cookies are Secure.
public_url = ""
# Logs: "json", "text", or "auto" (json unless writing to a terminal).
log_format = "auto"
# Log level or tracing filter, e.g. "info" or "civitas=debug,info".
log_level = "info"
# Apply database migrations when the server starts (otherwise run `civitas migrate`).
migrate_on_start = true
# Take the client address from X-Forwarded-For. Only behind a reverse proxy you control.
trust_forwarded_for = false
# Largest JSON or form body accepted, in bytes.
max_body_bytes = 1048576
# Largest uploaded file accepted, in bytes.
max_upload_bytes = 67108864
# Requests taking longer than this many seconds are cut off.
request_timeout_seconds = 60

[security]
# Consecutive failed sign-ins before an account is locked.
max_failed_logins = 5
# How long a lock lasts, in minutes (an administrator can unlock sooner).
lockout_minutes = 15
# A session ends after this many minutes without use.
session_idle_minutes = 120
# A session ends this many hours after sign-in, used or not.
session_absolute_hours = 12
# Longest lifetime of an API token, in days.
token_max_days = 366
# Argon2id password hashing cost (OWASP minimum: 19456 KiB, 2 iterations).
argon2_memory_kib = 19456
argon2_iterations = 2
# Failed sign-ins from one address within the window before it must wait.
login_failures_per_ip = 20
login_window_minutes = 15

[bootstrap]
# On the first start with no users, create this platform administrator.
admin_name = ""
# Their password. Prefer admin_password_file or CIVITAS_BOOTSTRAP__ADMIN_PASSWORD_FILE.
admin_password = ""

[notify]
# Stewards always see notices in civitas (the bell). These settings also send them out.
# E-mail through this SMTP server; empty: no e-mail.
smtp_host = ""
smtp_port = 587
# "starttls" (port 587), "tls" (TLS from the start, port 465), or "none" (plain text: only
# for a relay on this machine or a trusted network). Certificates are checked against the
# system's trust store.
smtp_security = "starttls"
# Leave empty when the server needs no sign-in.
smtp_username = ""
# Prefer smtp_password_file or CIVITAS_NOTIFY__SMTP_PASSWORD_FILE.
smtp_password = ""
# Who e-mails come from, e.g. "civitas <civitas@tycg.gov.tw>" (required with smtp_host).
from_address = ""
# Every change of a dataset's freshness state is also POSTed here as JSON; empty: no webhook.
webhook_url = ""
# Calls carry X-Civitas-Signature: sha256=<HMAC-SHA256 of the body with this secret>.
# Required with webhook_url. Prefer webhook_secret_file or CIVITAS_NOTIFY__WEBHOOK_SECRET_FILE.
webhook_secret = ""
# Tell stewards before a dataset falls due, not only once it is overdue.
due_soon_notices = true

[catalog]
# Harvests read other catalogues over HTTP(S) with these limits. Seconds to connect:
fetch_connect_timeout_seconds = 10
# Seconds for a whole response (one page); a slower answer counts as a timeout.
fetch_timeout_seconds = 60
# Larger responses are refused (with the reason), not read.
fetch_max_bytes = 67108864
# Tries after the first for a timeout, a broken connection or a 5xx answer, waiting
# 1 s, 2 s, 4 s … in between. A 4xx answer is not retried.
fetch_retries = 3
# How often `civitas serve` checks every dataset's download addresses with conditional
# requests (a changed content checksum is recorded as a data update; two failures in a row
# mark the dataset unreachable): "12h", "1d", "1w"; "" = never (e.g. a server without
# internet access). `civitas catalog check-links` runs one round now.
link_check_interval = "1d"
# Sources to harvest: `civitas catalog harvest --source NAME` runs one now; `civitas serve`
# runs each on its interval, one at a time, and lists them with their runs at /catalog/harvest.
# Repeat the block for each source. Keys:
#   name     — a short name (letters, digits, - _ .), also the source its records are kept
#              under (renaming makes a new source)
#   kind     — "ckan" (Action API, package_search paged until every record is read),
#              "dcat" (a DCAT catalogue in JSON-LD) or "datagovtw" (data.gov.tw export:
#              CSV, JSON or one JSON object a line)
#   url      — the CKAN portal (e.g. "https://data.gov.uk") or the document's address
#   interval — how often `civitas serve` harvests it: "30m", "12h", "1d", "1w"; "" = on demand
#   rows     — CKAN page size (1–1000; default 100)
#   agency   — agency code for records that name no agency ("" = such records are rejected)
#   aliases  — the source's organisation/publisher names or codes → agency codes, for names
#              the organisation tree does not hold (its Chinese, English and short names and
#              codes are matched without aliases). A record whose agency cannot be found is
#              rejected with the publisher's name.
# [[catalog.sources]]
# name = "datagovtw"
# kind = "datagovtw"
# url = "https://data.gov.tw/datasets/export/csv"
# interval = "1d"
# rows = 100
# agency = ""
# aliases = { "桃園市政府交通局" = "380290000H", "eidc" = "380330000E" }

[alerts]
# Security alerts: `civitas alerts import FILE... --source NAME` and the bulk endpoint
# POST /api/v1/alerts/{source}/bulk (NDJSON, an API token with manage_alerts).
# A classification rule file replacing the built-in one (same shape as
# crates/core/src/alerts/rules/default.toml); "" = the built-in rules.
rules_file = ""
# Largest body the bulk endpoint accepts, in bytes; a larger one is refused unread.
bulk_max_bytes = 16777216
# Alert sources. Repeat the block for each. Keys:
#   name    — 1–64 of a–z 0–9 - _ . ; part of every alert's fingerprint (renaming a source
#             makes its alerts new)
#   kind    — "suricata" (EVE JSON, NDJSON or a JSON array), "wazuh" (4.x alerts.json),
#             "wazuh-ecs" (5.x), "cef", "syslog5424", "syslog3164" or "json" (any JSON with
#             a field mapping)
#   zone    — the zone of times written without an offset: "+08:00", "-0600", "UTC";
#             "" = Taipei (+08:00)
#   mapping — for kind = "json" only: dotted paths to each field; time is required, the rest
#             optional: source_ip, source_port, destination_ip, destination_port, transport,
#             app_protocol, rule_id, rule_name, category, severity, severity_scale
#             ("suricata-priority", "wazuh-level", "sigma-level", "cef", "syslog"), action,
#             host_name, agent_name, sensor, technique, message, source_ref, url, domain,
#             file_hash
# [[alerts.sources]]
# name = "suricata-dmz"
# kind = "suricata"
# zone = ""
# [[alerts.sources]]
# name = "edr"
# kind = "json"
# mapping = { time = "ts", source_ip = "src.ip", rule_name = "detection.name" }
#
# Which agency an alert concerns: by the endpoint agent's name, then the host name (patterns
# with *), then the destination and the source address (the longest matching range wins).
# Repeat the block for each agency. Keys: agency (its code), ranges (CIDR), hosts, agents.
# [[alerts.agencies]]
# agency = "380330000E"
# ranges = ["10.33.0.0/16", "2001:db8:33::/48"]
# hosts = ["*.culture.tycg.gov.tw"]
# agents = ["cul-web-01"]
#
# Core and critical systems: an alert aimed at one (its destination address or host, or the
# host that reported it) scores higher — core +1, critical +2 with the built-in rules — and
# its reasons name the system. criticality is "core" (核心資通系統) or "critical" (關鍵基礎設施
# or a system holding secrets). Keys: name, criticality, ranges (CIDR), hosts (patterns with *).
# [[alerts.targets]]
# name = "市府公文系統"
# criticality = "core"
# ranges = ["10.30.0.0/24"]
# hosts = ["doc-*.tycg.gov.tw"]
#
# Syslog listeners `civitas serve` starts: each feeds one of the sources above whose kind is
# "cef", "syslog5424" or "syslog3164". Repeat the block for each. Keys:
#   source            — the [[alerts.sources]] name the messages are read as
#   protocol          — "udp" (one message a datagram), "tcp" or "tls" (RFC 6587 framing:
#                       octet counting "123 <34>1 …" or one message a line, told apart
#                       message by message)
#   bind              — address and port, e.g. "0.0.0.0:514" or "[::]:6514"
#   cert_file         — for tls: the certificate chain, PEM
#   key_file          — for tls: its private key, PEM (PKCS#8, PKCS#1 or SEC1)
#   max_message_bytes — longer messages are refused with the reason (TCP picks up again at
#                       the next line feed or after the counted length); default 65536
#   batch_messages    — messages are stored in batches, one import run per connection (or
#                       UDP sender) and batch, of at most this many; default 5000
#   flush_interval_ms — and at least this often; default 1000
#   queue_messages    — messages waiting to be stored; when full, UDP messages are dropped
#                       and counted (civitas_syslog_messages_dropped_total and a warning in
#                       the log), TCP senders wait; default 20000
# The server refuses to start when a listener names an unknown source, its port is taken
# or its certificate cannot be read. Metrics per listener: civitas_syslog_messages_received_total,
# _dropped_total, _rejected_total, _duplicate_total, _failed_total and
# civitas_syslog_alerts_stored_total.
# [[alerts.listeners]]
# source = "fw-cef"
# protocol = "tls"
# bind = "0.0.0.0:6514"
# cert_file = "/etc/civitas/syslog.crt"
# key_file = "/etc/civitas/syslog.key"

[intel]
# TAXII 2.1 collections `civitas intel pull` reads (each poll resumes after the last object
# the previous one read). Repeat the block for each. Keys: name, api_root (https), collection
# (its id), types (e.g. ["indicator"]; [] = all), limit (page size; 0 = the server's),
# username and password or password_file (HTTP Basic; "" = none).
# [[intel.taxii]]
# name = "regional"
# api_root = "https://taxii.example.gov.tw/regional/"
# collection = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
# types = ["indicator"]
# limit = 500
# username = ""
# password_file = ""

[exchange]
# The exchange gateway's provider face: ANY /r1/{INSTANCE}/{CLASS}/{MEMBER}/{SUBSYSTEM}/{SERVICE}
# with X-Road-Client, forwarded to the registered service only under an access grant.
# The X-Road instance code, the prefix of the X-Road-Ids the gateway makes. T-Road's own
# instance code is not public: confirm it in the ministry's test environment.
instance = "TW"
# Largest request or response body carried; larger ones are refused with Client.BadRequest
# (requests) or Server.ServerProxy.ServiceFailed (responses).
max_body_bytes = 10485760
# Longest request target (path and query) accepted.
max_uri_len = 2000
# Who calls /r1 is authenticated: a credential bound to the X-Road-Client subsystem
# (POST /api/v1/exchange/credentials). On the main listener that is a token in the
# X-Civitas-Exchange-Token header (removed before forwarding). The exchange TLS listener below
# serves /r1 and /listClients only and requires a client certificate issued by client_ca_file;
# the certificate, bound to one subsystem, is the credential there.
# listen = "0.0.0.0:8443"
# cert_file = "/etc/civitas/exchange/server.pem"
# key_file = "/etc/civitas/exchange/server.key"
# client_ca_file = "/etc/civitas/exchange/client-ca.pem"
# Message bodies in the signed message log (attachment1 of the ASiC-E export). Off for a
# subsystem (client or provider) in body_logging_off: its bodies are not kept, the signature
# still covers them and the log keeps their hash.
body_logging = true
body_logging_off = []
# With signing on, the time-stamped message log is archived this often into hash-linked
# mlog-*.zip files under <data_dir>/exchange/archive (civitas exchange archive does the same,
# civitas exchange verify-archives checks the chain); 0: never.
archive_interval_secs = 21600
# Between nodes (the consumer face): a system calls /r1 on its own node; a call to a provider
# member another node serves is relayed to that node over mutual TLS (X-Road-Client, X-Road-Id,
# X-Road-Request-Id and the request hash, checked on the answer); the providing node's grant
# decides. Each node has one certificate (server and client purpose) from the node CA, used on
# its exchange TLS listener above and when it calls peers; it is pinned by its peers.
# node_cert_file = "/etc/civitas/exchange/node.pem"
# node_key_file = "/etc/civitas/exchange/node.key"
# node_ca_file = "/etc/civitas/exchange/node-ca.pem"
# An official security server to relay to when neither this node nor a peer serves the provider
# (pinned: SHA-256 of its TLS certificate). Interoperability with T-Road itself awaits
# confirmation in the ministry's test environment.
# upstream = "https://ss.example.gov.tw:8443"
# upstream_fingerprint = ""
# Peer nodes. Keys: name, url (its exchange listener), members (INSTANCE/CLASS/CODE it serves;
# it may call here only for clients of these), fingerprint (SHA-256 of its node certificate)
# or certificate_file (the certificate, PEM), timeout_seconds (default 30).
# [[exchange.peers]]
# name = "transport"
# url = "https://10.30.0.9:8443"
# members = ["TW/GOV/380290000H"]
# fingerprint = "3f:a1:…"
# timeout_seconds = 30

[exchange.trust]
# RFC 3161 time-stamping of the message log and OCSP status of the gateway's certificate,
# off while tsa_urls is empty. If time-stamping fails (every TSA) for longer than
# acceptable_timestamp_failure_secs, /r1 refuses new calls with
# Server.ServerProxy.LoggingFailed.TimestamperFailed until a time-stamp succeeds again.
# tsa_urls = ["http://tsa.example.gov.tw/tsa"]
# The TSA certificate(s), PEM: tokens must be signed by one of them.
# tsa_cert_file = "/etc/civitas/exchange/tsa.pem"
timestamp_interval_secs = 60
acceptable_timestamp_failure_secs = 14400
request_timeout_secs = 20
# The OCSP responder asked about the gateway's certificate (ocsp_cert_file, or [exchange]
# cert_file when empty), issued by ocsp_issuer_file; ocsp_responder_file optionally names
# responder certificates trusted besides the issuer's own and its delegates.
# ocsp_url = "http://ocsp.example.gov.tw"
# ocsp_cert_file = ""
# ocsp_issuer_file = "/etc/civitas/exchange/issuer.pem"
# ocsp_responder_file = ""
ocsp_freshness_secs = 3600
ocsp_interval_secs = 1200
# The members' signing keys: each request and response of a member this node serves is signed
# with its key in X-Road's XAdES profile (RSA-SHA512) with the certificate's OCSP response
# embedded, logged with its batch time-stamp, and exported as ASiC-E from the message log.
# With ocsp_url set, a certificate that is revoked, unknown or without a fresh answer signs
# nothing, and its member's calls are refused (Server.ServerProxy.CannotCreateSignature).
# The certificate names the member as X-Road's FiVRK profile does: CN = member code,
# serialNumber = INSTANCE/SERVER/CLASS.
# [[exchange.trust.signers]]
# member = "TW/GOV/380130000C"
# cert_file = "/etc/civitas/exchange/sign-380130000C.pem"
# key_file = "/etc/civitas/exchange/sign-380130000C.key"

"#;

/// Values given on the command line (highest precedence).
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
}

/// Keys whose names end in `_file` but are settings of their own (paths civitas reads itself,
/// certificates and rule files), not the "read this key from a file" form: the adapter must
/// leave them alone, or `cert_file` would become an unknown key `cert` holding the file's text.
pub const PATH_KEYS: &[&str] = &[
    "cert_file",
    "key_file",
    "client_ca_file",
    "rules_file",
    "password_file",
    "tsa_cert_file",
    "ocsp_cert_file",
    "ocsp_issuer_file",
    "ocsp_responder_file",
    "node_cert_file",
    "node_key_file",
    "node_ca_file",
    "certificate_file",
    // The same keys as the adapter may see them, without the suffix.
    "cert",
    "key",
    "client_ca",
    "node_cert",
    "node_key",
    "node_ca",
    "certificate",
    "rules",
    "tsa_cert",
    "ocsp_cert",
    "ocsp_issuer",
    "ocsp_responder",
];

fn file_adapter(
    provider: impl figment::Provider + 'static,
) -> figment_file_provider_adapter::FileAdapterWithRestrictions {
    FileAdapter::wrap(provider).ignore(PATH_KEYS)
}

/// Build the settings. `file` is the TOML file to read, if any (a missing file named
/// explicitly is an error; the default `civitas.toml` is read only when present).
pub fn load(file: Option<&std::path::Path>, overrides: &Overrides) -> Result<Settings, String> {
    let mut figment = Figment::from(Serialized::defaults(Settings::default()));
    match file {
        Some(path) => {
            if !path.exists() {
                return Err(format!(
                    "configuration file {} does not exist",
                    path.display()
                ));
            }
            figment = figment.merge(file_adapter(Toml::file(path)));
        }
        None => {
            let default = std::path::Path::new("civitas.toml");
            if default.exists() {
                figment = figment.merge(file_adapter(Toml::file(default)));
            }
        }
    }
    figment = figment
        .merge(file_adapter(Env::prefixed("CIVITAS_").split("__")))
        .merge(Serialized::defaults(overrides));
    let settings = figment.extract::<Settings>().map_err(|e| {
        // figment names the key and where its value came from (file, variable or flag).
        e.into_iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    // Alert sources, agency ranges and the rule file are checked now, not at the first alert.
    settings.alerts.domain()?;
    crate::syslog::plans(&settings.alerts)?;
    settings.exchange.tls_listener()?;
    settings.exchange.trust.check()?;
    settings.exchange.nodes()?;
    for s in &settings.exchange.body_logging_off {
        civitas_core::exchange::id::ClientId::parse_path(
            s.trim(),
            civitas_core::exchange::id::CharRule::Lenient,
        )
        .ok()
        .filter(|c| c.id.subsystem.is_some())
        .ok_or_else(|| {
            format!("[exchange] body_logging_off: {s:?} is not INSTANCE/CLASS/CODE/SUBSYSTEM")
        })?;
    }
    let instance = &settings.exchange.instance;
    if instance.is_empty()
        || !instance
            .chars()
            .all(civitas_core::exchange::id::is_allowed_char)
    {
        return Err(format!(
            "[exchange] instance = {instance:?}: use the X-Road instance code (A–Z a–z 0–9 and '()+,-.=?)"
        ));
    }
    Ok(settings)
}

impl Settings {
    pub fn policy(&self) -> civitas_core::SecurityPolicy {
        let s = &self.security;
        civitas_core::SecurityPolicy {
            argon2: civitas_core::accounts::Argon2Params {
                memory_kib: s.argon2_memory_kib,
                iterations: s.argon2_iterations,
                parallelism: 1,
            },
            max_failed_logins: s.max_failed_logins.max(1),
            lockout: time::Duration::minutes(s.lockout_minutes.max(1)),
            session_idle: time::Duration::minutes(s.session_idle_minutes.max(1)),
            session_absolute: time::Duration::hours(s.session_absolute_hours.max(1)),
            token_max_lifetime: time::Duration::days(s.token_max_days.max(1)),
        }
    }

    pub fn web(&self) -> civitas_web::WebSettings {
        civitas_web::WebSettings {
            cookie_secure: self.public_url.starts_with("https://"),
            max_body_bytes: self.max_body_bytes,
            max_upload_bytes: self.max_upload_bytes,
            max_alert_bulk_bytes: self.alerts.bulk_max_bytes,
            metrics_on_main_listener: self.metrics_listen.is_none(),
            trust_forwarded_for: self.trust_forwarded_for,
            login_failures_per_ip: self.security.login_failures_per_ip,
            login_window: time::Duration::minutes(self.security.login_window_minutes.max(1)),
            request_timeout: std::time::Duration::from_secs(self.request_timeout_seconds.max(1)),
            public_base: if self.public_url.is_empty() {
                format!("http://{}", self.listen)
            } else {
                self.public_url.trim_end_matches('/').to_string()
            },
            exchange_max_body_bytes: self.exchange.max_body_bytes.max(1),
            exchange_max_uri_len: self.exchange.max_uri_len.max(64),
            exchange_instance: self.exchange.instance.clone(),
            exchange_globalconf_dir: self.data_dir.join("exchange").join("globalconf"),
            exchange_peers: None,
            exchange_body_logging: self.exchange.body_logging,
            exchange_body_logging_off: self
                .exchange
                .body_logging_off
                .iter()
                .map(|s| s.trim().to_string())
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_printed_defaults_are_the_real_defaults() {
        let parsed: Settings = Figment::from(Toml::string(DEFAULT_CONFIG))
            .extract()
            .unwrap();
        assert_eq!(parsed, Settings::default());
    }

    #[test]
    fn the_exchange_tls_listener_needs_all_three_files_and_they_need_it() {
        let mut x = ExchangeSettings::default();
        assert_eq!(x.tls_listener().unwrap(), None);
        x.cert_file = "server.pem".into();
        assert!(x.tls_listener().unwrap_err().contains("set listen too"));
        x.listen = Some("127.0.0.1:8443".parse().unwrap());
        x.key_file = "server.key".into();
        assert!(x.tls_listener().unwrap_err().contains("client_ca_file"));
        x.client_ca_file = "ca.pem".into();
        let (addr, [cert, key, ca]) = x.tls_listener().unwrap().unwrap();
        assert_eq!(addr.port(), 8443);
        assert_eq!(
            (cert.to_str(), key.to_str(), ca.to_str()),
            (Some("server.pem"), Some("server.key"), Some("ca.pem"))
        );
    }

    #[test]
    fn secrets_never_print() {
        let mut s = Settings::default();
        s.bootstrap.admin_password = Secret("hunter2hunter2".into());
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("***"));
    }
}
