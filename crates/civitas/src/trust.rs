//! The exchange trust job of `civitas serve`: with `[exchange.trust]` configured, build the
//! `TrustMonitor` (its certificates read at start, so a bad file stops the start), install it
//! in the web state (`/r1` then refuses calls when time-stamping has failed too long), and run
//! two loops: a time-stamp each `timestamp_interval_secs` and an OCSP refresh each
//! `ocsp_interval_secs`.
//!
//! Each round stamps the message log's signed records not yet stamped in one batch
//! (`ExchangeService::stamp_pending`); with none waiting it stamps a probe imprint, so the
//! TSA's health stays known.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use civitas_core::exchange::asic::sign::SigningKey;
use civitas_core::exchange::id::{CharRule, ClientId};
use civitas_core::exchange::trust::material::{load_cert, load_certs};
use civitas_core::exchange::trust::{OcspConfig, TrustConfig, TrustMonitor};
use civitas_web::AppState;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::ExchangeSettings;

/// X-Road's `timestamp-records-limit`.
const BATCH_LIMIT: usize = 10_000;

/// The monitor's configuration, its certificate files read; `None` when the trust services
/// are off.
pub fn trust_config(exchange: &ExchangeSettings) -> Result<Option<TrustConfig>, String> {
    let t = &exchange.trust;
    if !t.enabled() {
        return Ok(None);
    }
    t.check()?;
    let path = |p: &str| Path::new(p.trim()).to_path_buf();
    let tsa_certs = load_certs(&path(&t.tsa_cert_file))
        .map_err(|e| format!("[exchange.trust] tsa_cert_file: {e}"))?;
    let ocsp = if t.ocsp_url.trim().is_empty() {
        None
    } else {
        let cert_file = if t.ocsp_cert_file.trim().is_empty() {
            exchange.cert_file.as_str()
        } else {
            t.ocsp_cert_file.as_str()
        };
        if cert_file.trim().is_empty() {
            return Err("[exchange.trust] ocsp_url needs ocsp_cert_file (or [exchange] cert_file): the certificate whose status is asked".into());
        }
        let cert = load_cert(&path(cert_file))
            .map_err(|e| format!("[exchange.trust] ocsp_cert_file: {e}"))?;
        let issuer = load_cert(&path(&t.ocsp_issuer_file))
            .map_err(|e| format!("[exchange.trust] ocsp_issuer_file: {e}"))?;
        let responders = if t.ocsp_responder_file.trim().is_empty() {
            Vec::new()
        } else {
            load_certs(&path(&t.ocsp_responder_file))
                .map_err(|e| format!("[exchange.trust] ocsp_responder_file: {e}"))?
        };
        if !cert.is_issued_by(&issuer) {
            return Err(
                "[exchange.trust] the OCSP certificate is not issued by ocsp_issuer_file".into(),
            );
        }
        Some(OcspConfig {
            url: t.ocsp_url.trim().to_string(),
            cert,
            issuer,
            responders,
            freshness_secs: t.ocsp_freshness_secs,
            interval_secs: t.ocsp_interval_secs,
        })
    };
    let mut signers = Vec::new();
    for sig in &t.signers {
        let member = ClientId::parse_path(sig.member.trim(), CharRule::Strict)
            .map_err(|e| format!("[[exchange.trust.signers]] member: {e}"))?
            .id;
        let read = |p: &str, what: &str| {
            std::fs::read(path(p)).map_err(|e| {
                format!(
                    "[[exchange.trust.signers]] {member}: {what} {} cannot be read: {e}",
                    p.trim()
                )
            })
        };
        let key = SigningKey::from_pem(
            member.clone(),
            &read(&sig.key_file, "key_file")?,
            &read(&sig.cert_file, "cert_file")?,
        )
        .map_err(|e| format!("[[exchange.trust.signers]] {member}: {e}"))?;
        if let Some(o) = &ocsp
            && !key.certificate().is_issued_by(&o.issuer)
        {
            return Err(format!(
                "[[exchange.trust.signers]] {member}: the signing certificate is not issued by ocsp_issuer_file, so its status cannot be asked"
            ));
        }
        signers.push(Arc::new(key));
    }
    if !signers.is_empty() && ocsp.is_none() {
        // X-Road's verifiers require the certificate's OCSP response inside the signature.
        tracing::warn!(
            "[[exchange.trust.signers]] without ocsp_url: signatures carry no OCSP response, so exported containers and other nodes' checks will fail on it; set ocsp_url and ocsp_issuer_file"
        );
    }
    Ok(Some(TrustConfig {
        signers,
        tsa_urls: t.tsa_urls.iter().map(|u| u.trim().to_string()).collect(),
        tsa_certs,
        timestamp_interval_secs: t.timestamp_interval_secs,
        acceptable_timestamp_failure_secs: t.acceptable_timestamp_failure_secs,
        ocsp,
    }))
}

/// Install the monitor and start its loops; nothing when `[exchange.trust]` is off.
pub fn start(
    state: &AppState,
    config: Option<TrustConfig>,
    exchange: &ExchangeSettings,
    archive_dir: &Path,
    tracker: &TaskTracker,
    cancel: &CancellationToken,
) -> anyhow::Result<()> {
    let Some(config) = config else {
        return Ok(());
    };
    let transport = civitas_delivery::TrustHttp::new(Duration::from_secs(
        exchange.trust.request_timeout_secs.max(1),
    ))
    .map_err(|e| anyhow::anyhow!("[exchange.trust] {e}"))?;
    let monitor = Arc::new(TrustMonitor::new(
        config,
        Arc::new(transport),
        state.platform.clock.clone(),
    ));
    state.set_trust(monitor.clone());
    let secs = |s: i64| Duration::from_secs(u64::try_from(s.max(1)).unwrap_or(60));

    let stamp = monitor.clone();
    let platform = state.platform.clone();
    let stamp_cancel = cancel.clone();
    let every = secs(monitor.config().timestamp_interval_secs);
    tracker.spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = stamp_cancel.cancelled() => break,
                _ = tick.tick() => {
                    // The message log's signed records first (X-Road's batch time-stamping, at
                    // most 10,000 a batch); with none waiting, a probe keeps the TSA's health
                    // known, so an outage is noticed before traffic needs a stamp.
                    match platform.exchange().stamp_pending(&stamp, BATCH_LIMIT).await {
                        Ok(0) => match stamp.timestamp(&stamp.probe_imprint()).await {
                            Ok(token) => tracing::debug!(signer = %token.signer, gen_time = %token.gen_time.to_rfc3339(), "time-stamp probe"),
                            Err(e) => tracing::warn!(error = %e, "time-stamp probe failed"),
                        },
                        Ok(n) => tracing::info!(records = n, "message log records time-stamped"),
                        Err(e) => tracing::warn!(error = %e, "batch time-stamping failed"),
                    }
                }
            }
        }
    });
    if let Some(o) = &monitor.config().ocsp {
        let every = secs(o.interval_secs);
        let ocsp = monitor.clone();
        let ocsp_cancel = cancel.clone();
        tracker.spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tokio::select! {
                    _ = ocsp_cancel.cancelled() => break,
                    _ = tick.tick() => {
                        if let Ok(answer) = ocsp.refresh_ocsp().await {
                            tracing::info!(status = answer.status.as_str(), "OCSP status refreshed");
                        }
                        if !ocsp.config().signers.is_empty() {
                            let good = ocsp.refresh_signer_ocsp().await;
                            tracing::info!(good, signers = ocsp.config().signers.len(), "signing certificates' OCSP status refreshed");
                        }
                    }
                }
            }
        });
    }
    if exchange.archive_interval_secs > 0 && !monitor.config().signers.is_empty() {
        let platform = state.platform.clone();
        let dir = archive_dir.to_path_buf();
        let archive_cancel = cancel.clone();
        let every = Duration::from_secs(exchange.archive_interval_secs);
        tracker.spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            // The first tick is immediate: skip it, the log has just started.
            tick.tick().await;
            loop {
                tokio::select! {
                    _ = archive_cancel.cancelled() => break,
                    _ = tick.tick() => loop {
                        match platform.exchange().archive_pending(&dir, BATCH_LIMIT).await {
                            Ok(Some((name, n))) => tracing::info!(archive = %name, records = n, "message log archived"),
                            Ok(None) => break,
                            Err(e) => {
                                tracing::error!(error = %e, "message log archiving failed");
                                break;
                            }
                        }
                    },
                }
            }
        });
    }
    tracing::info!(
        tsas = monitor.config().tsa_urls.len(),
        ocsp = monitor.config().ocsp.is_some(),
        signers = monitor.config().signers.len(),
        "exchange trust services started"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SignerSettings;

    fn openssl(dir: &Path, args: &[&str]) {
        let out = std::process::Command::new("openssl")
            .current_dir(dir)
            .args(args)
            .output()
            .expect("the openssl CLI");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Two self-signed RSA keys and certificates, `a` and `b`.
    fn keys(dir: &Path) {
        for name in ["a", "b"] {
            openssl(
                dir,
                &[
                    "req",
                    "-x509",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-days",
                    "2",
                    "-subj",
                    "/CN=380130000C",
                    "-keyout",
                    &format!("{name}.key"),
                    "-out",
                    &format!("{name}.pem"),
                ],
            );
        }
    }

    fn settings(dir: &Path, cert: &str, key: &str) -> ExchangeSettings {
        let mut x = ExchangeSettings::default();
        x.trust.tsa_urls = vec!["http://127.0.0.1:9/tsa".into()];
        x.trust.tsa_cert_file = dir.join("a.pem").display().to_string();
        x.trust.signers = vec![SignerSettings {
            member: "TW/GOV/380130000C".into(),
            cert_file: dir.join(cert).display().to_string(),
            key_file: dir.join(key).display().to_string(),
        }];
        x
    }

    #[test]
    fn a_signing_key_loads_only_with_its_own_certificate_and_errors_name_the_member() {
        let dir = tempfile::tempdir().unwrap();
        keys(dir.path());
        let config = trust_config(&settings(dir.path(), "a.pem", "a.key"))
            .unwrap()
            .unwrap();
        assert_eq!(config.signers.len(), 1);
        assert_eq!(config.signers[0].member().to_path(), "TW/GOV/380130000C");

        let e = trust_config(&settings(dir.path(), "a.pem", "b.key")).unwrap_err();
        assert!(
            e.contains("TW/GOV/380130000C") && e.contains("public keys differ"),
            "{e}"
        );
        let e = trust_config(&settings(dir.path(), "a.pem", "missing.key")).unwrap_err();
        assert!(e.contains("key_file") && e.contains("missing.key"), "{e}");
        // The key never appears in an error.
        let key = std::fs::read_to_string(dir.path().join("b.key")).unwrap();
        let body: String = key.lines().nth(1).unwrap().chars().take(20).collect();
        assert!(!e.contains(&body));

        let mut x = settings(dir.path(), "a.pem", "a.key");
        x.trust.signers[0].member = "TW/GOV/380130000C/POLICE-SYS".into();
        assert!(x.trust.check().unwrap_err().contains("not a subsystem"));
        let mut x = settings(dir.path(), "a.pem", "a.key");
        x.trust.tsa_urls.clear();
        assert!(x.trust.check().unwrap_err().contains("needs tsa_urls"));
        // With OCSP on, a signing certificate its issuer did not sign is refused at start.
        let mut x = settings(dir.path(), "a.pem", "a.key");
        x.trust.ocsp_url = "http://127.0.0.1:9/ocsp".into();
        x.trust.ocsp_cert_file = dir.path().join("b.pem").display().to_string();
        x.trust.ocsp_issuer_file = dir.path().join("b.pem").display().to_string();
        let e = trust_config(&x).unwrap_err();
        assert!(e.contains("not issued by ocsp_issuer_file"), "{e}");
    }
}
