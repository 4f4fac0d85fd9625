//! The exchange TLS listener: `/r1` and `/listClients` over TLS that requires a client
//! certificate chaining to the configured CA (rustls' WebPKI client verifier). The verified
//! leaf certificate travels with each request as [`ExchangePeer`]; the `/r1` handler binds it
//! to the subsystem named in `X-Road-Client` (a certificate from another CA never gets past
//! the handshake).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_util::sync::CancellationToken;

/// A client gets this long to finish its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Who is on the other end of an exchange TLS connection.
#[derive(Debug, Clone)]
pub struct ExchangePeer {
    pub addr: SocketAddr,
    /// The client's leaf certificate (DER), verified against the CA during the handshake.
    pub certificate: Option<Vec<u8>>,
}

fn read_pem_certs(what: &str, path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let pem =
        std::fs::read(path).map_err(|e| format!("cannot read {what} {}: {e}", path.display()))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{what} {}: not PEM: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "{what} {} holds no CERTIFICATE block",
            path.display()
        ));
    }
    Ok(certs)
}

/// The server's TLS configuration from PEM files: its certificate chain and key, and the CA
/// (one or more certificates) client certificates must chain to. A client without a
/// certificate, or with one the CA did not issue, fails the handshake.
pub fn server_config(
    cert_file: &Path,
    key_file: &Path,
    client_ca_file: &Path,
) -> Result<Arc<rustls::ServerConfig>, String> {
    server_config_with_node_ca(cert_file, key_file, client_ca_file, None)
}

/// [`server_config`], also accepting client certificates of the node CA (`node_ca_file`): peer
/// nodes call with their node certificates, which the `/r1` handler then recognises by their pin.
pub fn server_config_with_node_ca(
    cert_file: &Path,
    key_file: &Path,
    client_ca_file: &Path,
    node_ca_file: Option<&Path>,
) -> Result<Arc<rustls::ServerConfig>, String> {
    let certs = read_pem_certs("cert_file", cert_file)?;
    let key_pem = std::fs::read(key_file)
        .map_err(|e| format!("cannot read key_file {}: {e}", key_file.display()))?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
        format!(
            "key_file {}: no usable private key: {e}",
            key_file.display()
        )
    })?;
    let mut roots = RootCertStore::empty();
    for ca in read_pem_certs("client_ca_file", client_ca_file)? {
        roots.add(ca).map_err(|e| {
            format!(
                "client_ca_file {}: not a usable CA certificate: {e}",
                client_ca_file.display()
            )
        })?;
    }
    if let Some(node_ca_file) = node_ca_file {
        for ca in read_pem_certs("node_ca_file", node_ca_file)? {
            roots.add(ca).map_err(|e| {
                format!(
                    "node_ca_file {}: not a usable CA certificate: {e}",
                    node_ca_file.display()
                )
            })?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| format!("client_ca_file {}: {e}", client_ca_file.display()))?;
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs, key)
        .map_err(|e| {
            format!(
                "cert_file {} and key_file {} do not make a usable pair: {e}",
                cert_file.display(),
                key_file.display()
            )
        })?;
    Ok(Arc::new(config))
}

/// Connections whose handshake succeeded. Handshakes run on their own tasks, so a slow or
/// failing client never holds up the others.
pub struct TlsListener {
    rx: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl TlsListener {
    pub fn new(
        listener: TcpListener,
        config: Arc<rustls::ServerConfig>,
        cancel: CancellationToken,
    ) -> std::io::Result<Self> {
        let local = listener.local_addr()?;
        let (tx, rx) = mpsc::channel(64);
        let acceptor = TlsAcceptor::from(config);
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    _ = cancel.cancelled() => break,
                    r = listener.accept() => r,
                };
                let (stream, peer) = match accepted {
                    Ok(r) => r,
                    Err(e) => {
                        tracing::warn!(error = %e, "exchange tls accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((tls, peer)).await;
                        }
                        Ok(Err(e)) => {
                            tracing::info!(%peer, error = %e, "exchange tls handshake refused");
                        }
                        Err(_) => {
                            tracing::info!(%peer, "exchange tls handshake timed out");
                        }
                    }
                });
            }
        });
        Ok(TlsListener { rx, local })
    }
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(conn) => conn,
            // The accept task ended (shutdown): wait for the server to stop.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

impl Connected<IncomingStream<'_, TlsListener>> for ExchangePeer {
    fn connect_info(stream: IncomingStream<'_, TlsListener>) -> Self {
        let (_, conn) = stream.io().get_ref();
        ExchangePeer {
            addr: *stream.remote_addr(),
            certificate: conn
                .peer_certificates()
                .and_then(|c| c.first())
                .map(|c| c.as_ref().to_vec()),
        }
    }
}

/// Serve the exchange routes over mutual TLS until `cancel`, then finish requests in flight.
pub async fn serve(
    listener: TcpListener,
    config: Arc<rustls::ServerConfig>,
    app: Router,
    cancel: CancellationToken,
) -> std::io::Result<()> {
    let listener = TlsListener::new(listener, config, cancel.clone())?;
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<ExchangePeer>(),
    )
    .with_graceful_shutdown(cancel.cancelled_owned())
    .await
}
