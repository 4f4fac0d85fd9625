//! The server's life: bind, start background jobs, serve until SIGTERM/SIGINT, then finish
//! in-flight requests and stop the jobs.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use civitas_core::Platform;
use civitas_core::accounts::NewUserRequest;
use civitas_core::authz::{Grant, Role, Scope};
use civitas_web::AppState;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::Settings;

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

/// On the first start, create the configured administrator if there are no users at all.
pub async fn bootstrap_admin(settings: &Settings, platform: &Platform) -> anyhow::Result<()> {
    if platform.stores.accounts.count_users().await? > 0 {
        return Ok(());
    }
    let b = &settings.bootstrap;
    if b.admin_name.is_empty() || b.admin_password.is_empty() {
        tracing::warn!(
            "no user accounts yet: create one with `civitas user add NAME --role platform_admin --password-stdin`, \
             or set bootstrap.admin_name and bootstrap.admin_password_file"
        );
        return Ok(());
    }
    let request = NewUserRequest {
        name: b.admin_name.clone(),
        display_name: b.admin_name.clone(),
        email: None,
        home_agency: None,
        password: b.admin_password.expose().to_string(),
        grants: vec![Grant {
            role: Role::PlatformAdmin,
            scope: Scope::City,
        }],
        language: civitas_core::time::Language::ZhTw,
        date_style: civitas_core::time::DateStyle::Roc,
    };
    platform
        .accounts()
        .create_user(&crate::runtime::operator(), request)
        .await
        .map_err(|e| anyhow::anyhow!("creating the bootstrap administrator: {e}"))?;
    tracing::info!(name = %b.admin_name, "created the bootstrap administrator");
    Ok(())
}

/// Jobs that keep the platform tidy and watched: purge expired sessions, re-verify the chain.
fn start_jobs(
    state: &AppState,
    channels: civitas_delivery::Channels,
    tracker: &TaskTracker,
    cancel: &CancellationToken,
) {
    crate::notify::start_delivery_job(state, channels, tracker, cancel);
    let purge_state = state.clone();
    let purge_cancel = cancel.clone();
    tracker.spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = purge_cancel.cancelled() => break,
                _ = tick.tick() => {
                    let now = purge_state.platform.now();
                    match purge_state.platform.stores.sessions.purge_expired_sessions(now).await {
                        Ok(n) if n > 0 => tracing::info!(purged = n, "expired sessions removed"),
                        Ok(_) => {}
                        Err(e) => tracing::error!(error = %e, "purging sessions failed"),
                    }
                }
            }
        }
    });
    // The first search builds the catalogue's in-memory search index (seconds at 100,000
    // datasets): build it now rather than keep the first visitor waiting.
    let warm_state = state.clone();
    tracker.spawn(async move {
        let started = std::time::Instant::now();
        let query = civitas_core::catalog::SearchQuery::default();
        match warm_state
            .platform
            .catalog()
            .search(&crate::runtime::operator(), &query)
            .await
        {
            Ok(r) => tracing::info!(
                datasets = r.total,
                millis = started.elapsed().as_millis() as u64,
                "catalogue search index ready"
            ),
            Err(e) => tracing::error!(error = %e, "building the catalogue search index failed"),
        }
    });
    // Freshness is reassessed every hour (the day's history row is replaced, so the history
    // holds one point per day) so that due-soon and overdue states appear without anyone asking.
    let fresh_state = state.clone();
    let fresh_cancel = cancel.clone();
    tracker.spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = fresh_cancel.cancelled() => break,
                _ = tick.tick() => {
                    let now = fresh_state.platform.now();
                    match fresh_state.platform.catalog().recompute_freshness(now).await {
                        Ok(run) => tracing::info!(
                            changed = run.changed,
                            notices = run.notified.notifications,
                            deliveries = run.notified.deliveries,
                            "freshness reassessed"
                        ),
                        Err(e) => tracing::error!(error = %e, "freshness reassessment failed"),
                    }
                }
            }
        }
    });
    // The incidents' follow-up: reminders before an action's due date, escalation after it,
    // legal clocks escalated and the 30/90-day recurrence checks; each notice is keyed in the
    // notification log, so an hourly run tells nobody twice.
    let follow_state = state.clone();
    let follow_cancel = cancel.clone();
    tracker.spawn(async move {
        let every = civitas_core::cases::followup::FOLLOW_UP_EVERY.unsigned_abs();
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = follow_cancel.cancelled() => break,
                _ = tick.tick() => {
                    match follow_state.platform.cases().follow_up(&crate::runtime::operator()).await {
                        Ok(run) => tracing::info!(
                            reminders = run.reminders.notifications,
                            escalations = run.escalations.notifications,
                            clock_escalations = run.clock_escalations.notifications,
                            recurrence_checks = run.recurrence.len(),
                            "incident follow-up run"
                        ),
                        Err(e) => tracing::error!(error = %e, "incident follow-up failed"),
                    }
                }
            }
        }
    });
    let chain_state = state.clone();
    let chain_cancel = cancel.clone();
    tracker.spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = chain_cancel.cancelled() => break,
                _ = tick.tick() => { chain_state.check_chain().await; }
            }
        }
    });
}

/// Serve until a signal arrives. `on_ready` receives the bound address (useful with port 0).
pub async fn run(
    settings: &Settings,
    platform: Platform,
    on_ready: impl FnOnce(SocketAddr),
) -> anyhow::Result<()> {
    // Refuse half-configured e-mail or webhooks, or unusable harvest sources, before anything
    // else happens.
    let channels = settings.notify.channels()?;
    let sources = settings
        .catalog
        .harvest_sources()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let link_checks = settings
        .catalog
        .link_check_every()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    // Syslog listeners bind before anything runs: an unknown source, an unreadable
    // certificate or a port in use stops the start.
    let syslog = crate::syslog::bind(&settings.alerts).await?;
    // The trust services' certificates are read now: a bad file stops the start.
    let trust =
        crate::trust::trust_config(&settings.exchange).map_err(|e| anyhow::anyhow!("{e}"))?;
    bootstrap_admin(settings, &platform).await?;
    let listener = TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    let addr = listener.local_addr()?;
    // Peer nodes: their pins and this node's identity are read before anything runs.
    let mut web = settings.web();
    web.exchange_peers = settings
        .exchange
        .nodes()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let node_ca = web
        .exchange_peers
        .as_ref()
        .map(|_| std::path::PathBuf::from(settings.exchange.node_ca_file.trim()));
    let state = AppState::new(platform, web);
    let (router, _) = civitas_web::app(state.clone());
    // The exchange TLS listener reads its certificates and binds before anything runs too.
    let exchange_tls = match settings
        .exchange
        .tls_listener()
        .map_err(|e| anyhow::anyhow!("{e}"))?
    {
        Some((addr, [cert, key, ca])) => {
            let config = civitas_web::exchange::tls::server_config_with_node_ca(
                &cert,
                &key,
                &ca,
                node_ca.as_deref(),
            )
            .map_err(|e| anyhow::anyhow!("[exchange] {e}"))?;
            let listener = TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen for the exchange on {addr}"))?;
            Some((listener, config))
        }
        None => None,
    };

    let cancel = CancellationToken::new();
    let tracker = TaskTracker::new();
    {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            shutdown_signal().await;
            tracing::info!("shutting down: finishing requests in flight");
            cancel.cancel();
        });
    }
    if let Some(metrics_addr) = settings.metrics_listen {
        let metrics_listener = TcpListener::bind(metrics_addr)
            .await
            .with_context(|| format!("cannot listen for metrics on {metrics_addr}"))?;
        let metrics = civitas_web::metrics_app(state.clone());
        let cancel = cancel.clone();
        tracker.spawn(async move {
            if let Err(e) =
                civitas_web::serve(metrics_listener, metrics, cancel.cancelled_owned()).await
            {
                tracing::error!(error = %e, "metrics listener failed");
            }
        });
        tracing::info!(%metrics_addr, "metrics listening");
    }
    if let Some((listener, config)) = exchange_tls {
        let exchange_addr = listener.local_addr()?;
        let app = civitas_web::exchange_app(state.clone());
        let cancel = cancel.clone();
        tracker.spawn(async move {
            if let Err(e) = civitas_web::exchange::tls::serve(listener, config, app, cancel).await {
                tracing::error!(error = %e, "exchange tls listener failed");
            }
        });
        tracing::info!(%exchange_addr, "exchange tls listening (client certificates required)");
    }
    start_jobs(&state, channels, &tracker, &cancel);
    crate::trust::start(
        &state,
        trust,
        &settings.exchange,
        &settings.data_dir.join("exchange").join("archive"),
        &tracker,
        &cancel,
    )?;
    crate::syslog::start(syslog, &state.platform, &tracker, &cancel);
    crate::harvest::start_link_check_job(
        &state,
        link_checks,
        &settings.catalog.fetch(),
        &tracker,
        &cancel,
    )?;
    crate::harvest::start_harvest_job(
        &state,
        sources,
        settings.catalog.fetch(),
        &tracker,
        &cancel,
    )?;
    tracing::info!(%addr, "civitas listening");
    on_ready(addr);
    civitas_web::serve(listener, router, cancel.clone().cancelled_owned()).await?;
    cancel.cancel();
    tracker.close();
    if tokio::time::timeout(Duration::from_secs(10), tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!("background jobs did not stop within 10 seconds");
    }
    tracing::info!("stopped");
    Ok(())
}
