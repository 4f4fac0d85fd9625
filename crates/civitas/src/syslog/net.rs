//! The sockets: UDP (one message a datagram, dropped and counted when the queue is full),
//! TCP and TLS (RFC 6587 framing; a full queue makes the sender wait, so nothing is lost).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::mpsc::{self, error::TrySendError};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::batch::{Body, Item, Meters, Origin};
use super::framing::{Frame, Framer, RAW_KEPT, trim_line};

/// A TLS client gets this long to finish its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest UDP payload (65,535 less the IPv4 and UDP headers).
const MAX_DATAGRAM: usize = 65_507;

/// The server side of TLS from PEM files: the certificate chain and its private key.
pub fn tls_acceptor(cert_file: &Path, key_file: &Path) -> Result<TlsAcceptor, String> {
    let read = |what: &str, path: &Path| {
        std::fs::read(path).map_err(|e| format!("cannot read {what} {}: {e}", path.display()))
    };
    let cert_pem = read("cert_file", cert_file)?;
    let certs = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("cert_file {}: not PEM: {e}", cert_file.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "cert_file {} holds no CERTIFICATE block",
            cert_file.display()
        ));
    }
    let key_pem = read("key_file", key_file)?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
        format!(
            "key_file {}: no usable private key: {e}",
            key_file.display()
        )
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            format!(
                "cert_file {} and key_file {} do not make a usable pair: {e}",
                cert_file.display(),
                key_file.display()
            )
        })?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// One message a datagram. When the importer falls behind, datagrams are dropped and
/// counted rather than held: a flood must not take the server's memory.
pub async fn udp(
    socket: UdpSocket,
    tx: mpsc::Sender<Item>,
    meters: Arc<Meters>,
    max_message: usize,
    cancel: CancellationToken,
) {
    let mut buf = vec![0u8; MAX_DATAGRAM + 1];
    loop {
        let received = tokio::select! {
            _ = cancel.cancelled() => break,
            r = socket.recv_from(&mut buf) => r,
        };
        let (n, peer) = match received {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "syslog udp receive failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let data = trim_line(buf.get(..n).unwrap_or_default());
        if data.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        meters.received.increment(1);
        let body = if data.len() > max_message {
            Body::Refused {
                reason: super::framing::datagram_too_large(data.len(), max_message),
                raw: data.get(..RAW_KEPT).unwrap_or(data).to_vec(),
            }
        } else {
            Body::Message(data.to_vec())
        };
        let item = Item {
            origin: Arc::new(Origin {
                peer,
                connection: None,
            }),
            line: 0,
            body,
        };
        match tx.try_send(item) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => meters.drop_one(),
            Err(TrySendError::Closed(_)) => break,
        }
    }
}

/// Accept connections until the server stops; each is read on its own task.
pub async fn tcp(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    tx: mpsc::Sender<Item>,
    meters: Arc<Meters>,
    max_message: usize,
    tracker: TaskTracker,
    cancel: CancellationToken,
) {
    let mut connections = 0u64;
    loop {
        let accepted = tokio::select! {
            _ = cancel.cancelled() => break,
            r = listener.accept() => r,
        };
        let (stream, peer) = match accepted {
            Ok(r) => r,
            Err(e) => {
                // Out of file descriptors, usually: wait rather than spin.
                tracing::warn!(error = %e, "syslog tcp accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        connections += 1;
        let _ = stream.set_nodelay(true);
        let origin = Arc::new(Origin {
            peer,
            connection: Some(connections),
        });
        let (tls, tx, meters, cancel) = (tls.clone(), tx.clone(), meters.clone(), cancel.clone());
        tracker.spawn(async move {
            match tls {
                None => read_stream(stream, origin, tx, meters, max_message, cancel).await,
                Some(acceptor) => {
                    let handshake = tokio::select! {
                        _ = cancel.cancelled() => return,
                        r = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)) => r,
                    };
                    match handshake {
                        Ok(Ok(stream)) => {
                            read_stream(stream, origin, tx, meters, max_message, cancel).await
                        }
                        Ok(Err(e)) => {
                            tracing::warn!(%peer, error = %e, "syslog tls handshake failed")
                        }
                        Err(_) => tracing::warn!(%peer, "syslog tls handshake timed out"),
                    }
                }
            }
        });
    }
}

/// Frame one connection's bytes into messages until it closes or the server stops.
async fn read_stream<R: AsyncRead + Unpin>(
    mut reader: R,
    origin: Arc<Origin>,
    tx: mpsc::Sender<Item>,
    meters: Arc<Meters>,
    max_message: usize,
    cancel: CancellationToken,
) {
    let mut framer = Framer::new(max_message);
    let mut buf = vec![0u8; 64 * 1024];
    let mut frames = Vec::new();
    loop {
        let read = tokio::select! {
            _ = cancel.cancelled() => break,
            r = reader.read(&mut buf) => r,
        };
        let ended = match read {
            Ok(0) => true,
            Ok(n) => {
                framer.push(buf.get(..n).unwrap_or_default(), &mut frames);
                false
            }
            Err(e) => {
                tracing::debug!(peer = %origin.peer, error = %e, "syslog connection broken");
                true
            }
        };
        if ended {
            framer.finish(&mut frames);
        }
        for frame in frames.drain(..) {
            meters.received.increment(1);
            let (line, body) = match frame {
                Frame::Message { line, body, .. } => (line, Body::Message(body)),
                Frame::Refused {
                    line, reason, raw, ..
                } => (line, Body::Refused { reason, raw }),
            };
            let item = Item {
                origin: origin.clone(),
                line,
                body,
            };
            // Waiting here slows the sender down (TCP flow control) instead of losing messages.
            if tx.send(item).await.is_err() {
                return;
            }
        }
        if ended {
            break;
        }
    }
}
