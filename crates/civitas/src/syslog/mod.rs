//! Syslog listeners (issue 4): CEF and RFC 5424/3164 syslog over UDP, TCP and TLS, started
//! with `civitas serve` for each `[[alerts.listeners]]`, imported in batches through the same
//! `AlertService::import` as files and the bulk endpoint.

mod batch;
mod framing;
mod net;
mod settings;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use civitas_core::Platform;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::alerts::AlertsSettings;
use batch::{Importer, Meters};
use settings::{ListenerPlan, Protocol};
pub use settings::{ListenerSettings, plans};

enum Socket {
    Udp(UdpSocket),
    Tcp(TcpListener, Option<TlsAcceptor>),
}

/// A listener whose socket is bound (and certificate loaded), not yet receiving.
pub struct Bound {
    plan: ListenerPlan,
    socket: Socket,
    local: SocketAddr,
}

/// Check every configured listener, load its certificate and bind its socket, so that the
/// server refuses to start on an unknown source, an unreadable certificate or a port in use.
pub async fn bind(alerts: &AlertsSettings) -> anyhow::Result<Vec<Bound>> {
    let mut bound = Vec::new();
    for plan in plans(alerts).map_err(|e| anyhow::anyhow!(e))? {
        let what = format!(
            "the syslog listener for source {} on {} {}",
            plan.source.name.as_str(),
            plan.protocol.as_str(),
            plan.bind
        );
        let tls = match &plan.tls {
            Some((cert, key)) => Some(
                net::tls_acceptor(cert, key)
                    .map_err(|e| anyhow::anyhow!("alerts.listeners: {what}: {e}"))?,
            ),
            None => None,
        };
        let socket = match plan.protocol {
            Protocol::Udp => Socket::Udp(
                UdpSocket::bind(plan.bind)
                    .await
                    .with_context(|| format!("{what}: cannot listen on udp {}", plan.bind))?,
            ),
            Protocol::Tcp | Protocol::Tls => Socket::Tcp(
                TcpListener::bind(plan.bind)
                    .await
                    .with_context(|| format!("{what}: cannot listen on tcp {}", plan.bind))?,
                tls,
            ),
        };
        let local = match &socket {
            Socket::Udp(s) => s.local_addr()?,
            Socket::Tcp(l, _) => l.local_addr()?,
        };
        bound.push(Bound {
            plan,
            socket,
            local,
        });
    }
    Ok(bound)
}

/// Start receiving: per listener, the socket's task(s) and one importer. They stop with
/// `cancel`; the importer then stores what is still waiting before the tracker lets go.
pub fn start(
    bound: Vec<Bound>,
    platform: &Platform,
    tracker: &TaskTracker,
    cancel: &CancellationToken,
) {
    for Bound {
        plan,
        socket,
        local,
    } in bound
    {
        let name = plan.source.name.as_str().to_string();
        let listener = format!("{}://{local}", plan.protocol.as_str());
        let meters = Arc::new(Meters::new(&name, &listener));
        let (tx, rx) = mpsc::channel(plan.queue_messages);
        let importer = Importer {
            platform: platform.clone(),
            source: plan.source.clone(),
            protocol: plan.protocol,
            local,
            batch_messages: plan.batch_messages,
            flush_interval: plan.flush_interval,
            meters: meters.clone(),
        };
        tracker.spawn(importer.run(rx));
        let max = plan.max_message_bytes;
        match socket {
            Socket::Udp(s) => {
                tracker.spawn(net::udp(s, tx, meters, max, cancel.clone()));
            }
            Socket::Tcp(l, tls) => {
                tracker.spawn(net::tcp(
                    l,
                    tls,
                    tx,
                    meters,
                    max,
                    tracker.clone(),
                    cancel.clone(),
                ));
            }
        }
        tracing::info!(source = %name, kind = %plan.source.kind(), %listener, "syslog listening");
        // Beside the web address on standard output, so that scripts (and tests binding
        // port 0) learn where to send.
        println!(
            "syslog 接收器 / syslog listener: {name} ({}) {listener}",
            plan.source.kind()
        );
    }
}
