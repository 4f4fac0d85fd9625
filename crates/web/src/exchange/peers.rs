//! The peer table: which other civitas nodes (or which official security server) serve which
//! X-Road members, how this node reaches them over mutual TLS, and how it recognises them when
//! they call.
//!
//! A node has one TLS identity (`node_cert_file`/`node_key_file`, issued by the CA in
//! `node_ca_file`). It presents that certificate when it calls a peer, and on its exchange TLS
//! listener (the same certificate, with both the server and the client purpose). Each peer is
//! pinned: the SHA-256 of its node certificate (`fingerprint`, or read from
//! `certificate_file`). Outgoing, a peer whose certificate does not match its pin fails the
//! handshake; incoming, a certificate that matches a pin is that peer's node — if it also chains
//! to the node CA — and it may speak only for clients of the members it serves.

use std::sync::Arc;
use std::time::Duration;

use civitas_core::exchange::id::{CharRule, ClientId};
use civitas_core::exchange::rest::{FaultSide, RestFault, codes};
use rustls::RootCertStore;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::ClientCertVerifier;
use rustls::{DigitallySignedStruct, SignatureScheme};

/// One `[[exchange.peers]]` entry (or the upstream security server), as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerSpec {
    pub name: String,
    /// `https://host:port` of the peer's exchange TLS listener.
    pub url: String,
    /// The X-Road members it serves, `INSTANCE/CLASS/CODE`. Empty for the upstream: it serves
    /// every member this node and its peers do not.
    pub members: Vec<String>,
    /// SHA-256 of the peer's node certificate (hex, `:` allowed), or empty when
    /// `certificate_pem` is given.
    pub fingerprint: String,
    /// The peer's node certificate, PEM (its SHA-256 is the pin).
    pub certificate_pem: Option<Vec<u8>>,
    pub timeout: Duration,
}

/// This node's TLS identity for node-to-node calls, PEM.
#[derive(Clone, PartialEq, Eq)]
pub struct NodeIdentity {
    pub cert_pem: Vec<u8>,
    pub key_pem: Vec<u8>,
    /// The CA (one or more certificates) peer node certificates must chain to.
    pub ca_pem: Vec<u8>,
}

impl std::fmt::Debug for NodeIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NodeIdentity { .. }")
    }
}

/// A member, `(instance, class, code)`.
type MemberKey = (String, String, String);

fn member_key(id: &ClientId) -> MemberKey {
    (
        id.instance.clone(),
        id.member_class.clone(),
        id.member_code.clone(),
    )
}

/// A peer ready to be called.
pub struct Peer {
    pub name: String,
    url: String,
    members: Vec<MemberKey>,
    fingerprint: String,
    client: reqwest::Client,
    pub timeout: Duration,
    /// An official security server: it computes its own request hash (not checked here).
    pub upstream: bool,
}

impl Peer {
    /// The address of a request target (`/r1/...?...`) at this peer.
    pub fn url_for(&self, target: &str) -> String {
        format!("{}{target}", self.url)
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Whether this peer serves the member of `client` (the upstream serves all).
    pub fn serves(&self, client: &ClientId) -> bool {
        self.upstream || self.members.contains(&member_key(client))
    }
}

/// The peers, the upstream and the node CA.
pub struct PeerTable {
    peers: Vec<Peer>,
    upstream: Option<Peer>,
    node_ca: Option<Arc<dyn ClientCertVerifier>>,
    /// Pinned certificates found to chain to the node CA, and when: checked again after
    /// [`VERIFIED_FOR`] (the handshake checks validity on every new connection anyway).
    verified: std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>,
}

/// How long a node certificate's chain check is remembered.
const VERIFIED_FOR: Duration = Duration::from_secs(60);

impl std::fmt::Debug for PeerTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeerTable")
            .field(
                "peers",
                &self.peers.iter().map(|p| &p.name).collect::<Vec<_>>(),
            )
            .field("upstream", &self.upstream.as_ref().map(|p| &p.url))
            .finish()
    }
}

/// A fingerprint as people write it (`AB:CD:…` or `abcd…`) in lower-case hex, checked.
pub fn normalize_fingerprint(text: &str) -> Result<String, String> {
    let hex: String = text
        .trim()
        .chars()
        .filter(|c| *c != ':')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(hex)
    } else {
        Err(format!(
            "'{}' is not a SHA-256 fingerprint (64 hex digits)",
            text.trim()
        ))
    }
}

/// The SHA-256 of the first certificate in a PEM text, hex.
pub fn fingerprint_of_pem(pem: &[u8]) -> Result<String, String> {
    let cert =
        CertificateDer::from_pem_slice(pem).map_err(|e| format!("not a PEM certificate: {e}"))?;
    Ok(civitas_core::random::sha256_hex(cert.as_ref()))
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Accepts exactly the pinned certificate (and checks the handshake signatures with it).
#[derive(Debug)]
struct PinVerifier {
    fingerprint: String,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ServerCertVerifier for PinVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if civitas_core::random::sha256_hex(end_entity.as_ref()) == self.fingerprint {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// PEM certificates, at least one.
fn certs(what: &str, pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{what}: not PEM: {e}"))?;
    if certs.is_empty() {
        return Err(format!("{what} holds no CERTIFICATE block"));
    }
    Ok(certs)
}

/// The HTTP client that calls one peer: this node's certificate as the client identity, the
/// peer's pin as the only trusted server certificate, connections kept and reused.
fn peer_client(identity: &NodeIdentity, fingerprint: &str) -> Result<reqwest::Client, String> {
    let provider = provider();
    let chain = certs("node_cert_file", &identity.cert_pem)?;
    let key = PrivateKeyDer::from_pem_slice(&identity.key_pem)
        .map_err(|e| format!("node_key_file: no usable private key: {e}"))?;
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinVerifier {
            fingerprint: fingerprint.to_string(),
            provider,
        }))
        .with_client_auth_cert(chain, key)
        .map_err(|e| format!("node_cert_file and node_key_file do not make a usable pair: {e}"))?;
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .use_preconfigured_tls(config)
        .pool_max_idle_per_host(256)
        .pool_idle_timeout(Duration::from_secs(90))
        .tcp_nodelay(true)
        .build()
        .map_err(|e| format!("the node's HTTP client cannot be built: {e}"))
}

fn build_peer(identity: &NodeIdentity, spec: &PeerSpec, upstream: bool) -> Result<Peer, String> {
    let name = spec.name.trim().to_string();
    let what = if upstream {
        "[exchange] upstream".to_string()
    } else {
        format!("[[exchange.peers]] {name}")
    };
    if !upstream
        && (name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!(
            "[[exchange.peers]] name '{name}': use letters, digits, '-', '_' and '.'"
        ));
    }
    let url = spec.url.trim().trim_end_matches('/').to_string();
    if !url.starts_with("https://") {
        return Err(format!(
            "{what}: url '{url}' must start with https:// (nodes talk over mutual TLS)"
        ));
    }
    let fingerprint = match (&spec.certificate_pem, spec.fingerprint.trim()) {
        (Some(_), f) if !f.is_empty() => {
            return Err(format!(
                "{what}: give fingerprint or certificate_file, not both"
            ));
        }
        (Some(pem), _) => {
            fingerprint_of_pem(pem).map_err(|e| format!("{what}: certificate_file: {e}"))?
        }
        (None, "") => {
            return Err(format!(
                "{what}: pin the peer's certificate with fingerprint (SHA-256) or certificate_file"
            ));
        }
        (None, f) => normalize_fingerprint(f).map_err(|e| format!("{what}: fingerprint {e}"))?,
    };
    let mut members = Vec::new();
    for m in &spec.members {
        let id = ClientId::parse_path(m.trim(), CharRule::Strict)
            .map_err(|e| format!("{what}: member '{m}': {}", e.text().en))?
            .id;
        if id.subsystem.is_some() {
            return Err(format!(
                "{what}: member '{m}': name the member (INSTANCE/CLASS/CODE), not a subsystem"
            ));
        }
        members.push(member_key(&id));
    }
    if !upstream && members.is_empty() {
        return Err(format!("{what}: members lists no member"));
    }
    Ok(Peer {
        name: if upstream { "upstream".into() } else { name },
        url,
        members,
        client: peer_client(identity, &fingerprint)?,
        fingerprint,
        timeout: spec.timeout.max(Duration::from_secs(1)),
        upstream,
    })
}

impl PeerTable {
    /// Check and build the table: every peer named once, each member served by one peer.
    pub fn new(
        identity: &NodeIdentity,
        peers: &[PeerSpec],
        upstream: Option<&PeerSpec>,
    ) -> Result<PeerTable, String> {
        // reqwest is built with rustls but no crypto provider of its own: install ring.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut built: Vec<Peer> = Vec::new();
        for spec in peers {
            let peer = build_peer(identity, spec, false)?;
            if built.iter().any(|p| p.name == peer.name) {
                return Err(format!(
                    "[[exchange.peers]]: the name {} is used twice",
                    peer.name
                ));
            }
            for m in &peer.members {
                if let Some(other) = built.iter().find(|p| p.members.contains(m)) {
                    return Err(format!(
                        "[[exchange.peers]]: the member {}/{}/{} is served by both {} and {}",
                        m.0, m.1, m.2, other.name, peer.name
                    ));
                }
            }
            built.push(peer);
        }
        let upstream = upstream
            .map(|u| build_peer(identity, u, true))
            .transpose()?;
        let mut roots = RootCertStore::empty();
        for ca in certs("node_ca_file", &identity.ca_pem)? {
            roots
                .add(ca)
                .map_err(|e| format!("node_ca_file: not a usable CA certificate: {e}"))?;
        }
        let node_ca = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
            .build()
            .map_err(|e| format!("node_ca_file: {e}"))?;
        Ok(PeerTable {
            peers: built,
            upstream,
            node_ca: Some(node_ca),
            verified: std::sync::Mutex::new(std::collections::HashMap::new()),
        })
    }

    /// The peer that serves the provider member of a service, if another node does.
    pub fn peer_for(&self, provider: &ClientId) -> Option<&Peer> {
        let key = member_key(provider);
        self.peers.iter().find(|p| p.members.contains(&key))
    }

    pub fn upstream(&self) -> Option<&Peer> {
        self.upstream.as_ref()
    }

    /// Whether a TLS client certificate (DER) is a peer node's: `None` when it matches no pin
    /// (it may still be an information system's bound certificate), the peer when it matches a
    /// pin and chains to the node CA, and `Server.ServerProxy.SslAuthenticationFailed` when it
    /// matches a pin but the node CA did not issue it.
    pub fn calling_node(&self, der: &[u8]) -> Option<Result<&Peer, RestFault>> {
        let fingerprint = civitas_core::random::sha256_hex(der);
        let peer = self.peers.iter().find(|p| p.fingerprint == fingerprint)?;
        let fresh = self
            .verified
            .lock()
            .ok()
            .and_then(|m| m.get(&fingerprint).copied())
            .is_some_and(|at| at.elapsed() < VERIFIED_FOR);
        let chained = fresh
            || self.node_ca.as_ref().is_some_and(|v| {
                v.verify_client_cert(&CertificateDer::from(der), &[], UnixTime::now())
                    .is_ok()
            });
        if chained
            && !fresh
            && let Ok(mut m) = self.verified.lock()
        {
            m.insert(fingerprint, std::time::Instant::now());
        }
        Some(if chained {
            Ok(peer)
        } else {
            Err(RestFault::new(
                FaultSide::ServerProxy,
                codes::SSL_AUTHENTICATION_FAILED,
                format!(
                    "the certificate of the node {} was not issued by this node's node CA",
                    peer.name
                ),
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_read_in_both_usual_spellings_and_checked() {
        let hex = "ab".repeat(32);
        let colons = vec!["AB"; 32].join(":");
        assert_eq!(normalize_fingerprint(&colons).unwrap(), hex);
        assert_eq!(normalize_fingerprint(&format!(" {hex} ")).unwrap(), hex);
        assert!(normalize_fingerprint("abcd").is_err());
        assert!(normalize_fingerprint(&"zz".repeat(32)).is_err());
    }
}
