//! Opening the platform: settings → store → domain services.

use std::sync::Arc;

use anyhow::Context;
use civitas_core::Platform;
use civitas_core::clock::{Clock, SystemClock};
use civitas_store_sqlite::{OpenOptions, SqliteStore};

use crate::config::Settings;

pub fn open_store(settings: &Settings, migrate: bool) -> anyhow::Result<Arc<SqliteStore>> {
    SqliteStore::open_in(
        &settings.data_dir,
        OpenOptions {
            migrate,
            readers: 4,
            ..OpenOptions::default()
        },
    )
    .with_context(|| format!("opening the data directory {}", settings.data_dir.display()))
}

pub fn platform(
    settings: &Settings,
    store: &Arc<SqliteStore>,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<Platform> {
    let alerts = settings
        .alerts
        .domain()
        .map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
    Ok(Platform::new(store.stores(), clock, settings.policy())
        .with_notify(crate::notify::policy(settings))
        .with_alerts(alerts))
}

pub fn open(settings: &Settings) -> anyhow::Result<(Arc<SqliteStore>, Platform)> {
    let store = open_store(settings, true)?;
    let platform = platform(settings, &store, Arc::new(SystemClock))?;
    Ok((store, platform))
}

/// The local operator: whoever can run this binary on the server already holds the data.
pub fn operator() -> civitas_core::Caller {
    let who = std::env::var("USER").unwrap_or_else(|_| "operator".into());
    civitas_core::Caller::new(civitas_core::authz::Principal::operator(&who), None)
}
