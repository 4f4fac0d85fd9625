//! The server's harvester: mirrors the configured sources into the store, then every few
//! seconds harvests whichever source is due (its interval after its last run, or someone
//! pressed "run now"), one source at a time, so a source never overlaps itself. Due times come
//! from the platform's clock.

use std::time::Duration;

use civitas_core::Caller;
use civitas_core::authz::Principal;
use civitas_core::catalog::harvest::HarvestSource;
use civitas_delivery::{FetchSettings, HttpFetcher};
use civitas_web::AppState;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How often the harvester looks for due sources (a "run now" waits at most this long).
const LOOK_EVERY: Duration = Duration::from_secs(5);

/// Who scheduled harvests are recorded as (full rights over the catalogue, like the operator).
fn harvester() -> Caller {
    let mut who = Principal::operator("harvester");
    who.user_name = "system:harvester".into();
    Caller::new(who, None)
}

pub fn start_harvest_job(
    state: &AppState,
    sources: Vec<HarvestSource>,
    fetch: FetchSettings,
    tracker: &TaskTracker,
    cancel: &CancellationToken,
) -> anyhow::Result<()> {
    let fetcher = HttpFetcher::new(fetch).map_err(|e| anyhow::anyhow!("{e}"))?;
    let state = state.clone();
    let cancel = cancel.clone();
    tracker.spawn(async move {
        let harvests = state.platform.harvests();
        if let Err(e) = harvests.sync_sources(&sources).await {
            tracing::error!(error = %e, "harvest sources could not be recorded; no scheduled harvests");
            return;
        }
        let caller = harvester();
        let mut tick = tokio::time::interval(LOOK_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tick.tick() => {}
            }
            let due = match harvests.due().await {
                Ok(due) => due,
                Err(e) => {
                    tracing::error!(error = %e, "finding due harvests failed");
                    continue;
                }
            };
            for (name, trigger) in due {
                let Some(source) = sources.iter().find(|s| s.name == name) else {
                    continue;
                };
                tracing::info!(source = %name, trigger = trigger.code(), "harvest started");
                let run = harvests.run(&caller, source, trigger, &fetcher, &|_| {});
                let result = tokio::select! {
                    _ = cancel.cancelled() => break,
                    r = run => r,
                };
                match result {
                    Ok((run, _)) => tracing::info!(
                        source = %name,
                        received = run.received,
                        created = run.created,
                        updated = run.updated,
                        unchanged = run.unchanged,
                        rejected = run.rejected,
                        withdrawn = run.withdrawn,
                        complete = run.complete,
                        error = run.error.as_ref().map(|e| e.en.as_str()).unwrap_or(""),
                        "harvest finished"
                    ),
                    Err(e) => tracing::error!(source = %name, error = %e, "harvest failed"),
                }
            }
        }
    });
    Ok(())
}

/// Check every dataset's download addresses every `every` (the first round one interval after
/// start, so that restarts do not set off a burst of requests).
pub fn start_link_check_job(
    state: &AppState,
    every: Option<std::time::Duration>,
    fetch: &FetchSettings,
    tracker: &TaskTracker,
    cancel: &CancellationToken,
) -> anyhow::Result<()> {
    let Some(every) = every else {
        tracing::info!("link checks are switched off (catalog.link_check_interval = \"\")");
        return Ok(());
    };
    let probe = civitas_delivery::HttpProbe::new(fetch.timeout, fetch.max_bytes)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let state = state.clone();
    let cancel = cancel.clone();
    tracker.spawn(async move {
        let caller = harvester();
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tick.tick() => {}
            }
            match civitas_core::catalog::links::check_links(&state.platform, &caller, &probe, None)
                .await
            {
                Ok(run) => tracing::info!(
                    datasets = run.datasets,
                    checked = run.checked,
                    changed = run.changed,
                    failed = run.failed,
                    unreachable = run.unreachable,
                    "distribution addresses checked"
                ),
                Err(e) => tracing::error!(error = %e, "link checks failed"),
            }
        }
    });
    Ok(())
}
