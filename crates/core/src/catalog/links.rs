//! Checking the addresses datasets are published at: a conditional request per distribution
//! (If-None-Match / If-Modified-Since) tells whether the content changed; a changed content
//! checksum, or a first `Last-Modified`, is evidence of a real data update; an address that
//! fails twice in a row makes the dataset "unreachable" until it answers again.
//! The HTTP itself is behind [`LinkProbe`] (implemented in the delivery crate).

use std::collections::{BTreeSet, HashMap};

use async_trait::async_trait;
use serde::Serialize;
use serde_json::json;

use super::model::Dataset;
use crate::error::DomainResult;
use crate::platform::{Caller, Platform};
use crate::text::Text;
use crate::time::Timestamp;

/// Consecutive failures after which an address counts as dead (one failure may be a blip).
pub const UNREACHABLE_AFTER: u32 = 2;

/// What one conditional request found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// 304: unchanged since the validators we sent.
    NotModified {
        status: u16,
    },
    /// The content was read (or as much as the size limit allows).
    Fetched {
        status: u16,
        etag: Option<String>,
        /// The `Last-Modified` header as sent, and as an instant when it parses.
        last_modified: Option<String>,
        last_modified_at: Option<Timestamp>,
        /// SHA-256 of the body; `None` when the body was larger than the limit.
        sha256: Option<String>,
        bytes: u64,
    },
    Failed {
        status: Option<u16>,
        reason: Text,
    },
}

#[async_trait]
pub trait LinkProbe: Send + Sync {
    async fn probe(&self, url: &str, etag: Option<&str>, last_modified: Option<&str>) -> Probe;
}

/// The last known state of one distribution address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkState {
    pub dataset_id: i64,
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub sha256: Option<String>,
    pub bytes: Option<u64>,
    pub http_status: Option<u16>,
    pub ok: bool,
    pub reason: Option<Text>,
    pub checked_at: Timestamp,
    pub last_ok_at: Option<Timestamp>,
    /// Failures in a row (0 once it answers).
    pub failures: u32,
}

impl LinkState {
    pub fn is_dead(&self) -> bool {
        self.failures >= UNREACHABLE_AFTER
    }
}

/// Why a check counts as a data update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataChange {
    pub at: Timestamp,
    pub reason: Text,
}

/// The next state of an address after a probe, and the data update it shows, if any.
pub fn next_state(
    dataset_id: i64,
    url: &str,
    prev: Option<&LinkState>,
    probe: Probe,
    now: Timestamp,
) -> (LinkState, Option<DataChange>) {
    let mut s = prev.cloned().unwrap_or(LinkState {
        dataset_id,
        url: url.to_string(),
        etag: None,
        last_modified: None,
        sha256: None,
        bytes: None,
        http_status: None,
        ok: false,
        reason: None,
        checked_at: now,
        last_ok_at: None,
        failures: 0,
    });
    s.checked_at = now;
    match probe {
        Probe::NotModified { status } => {
            s.http_status = Some(status);
            s.ok = true;
            s.reason = None;
            s.failures = 0;
            s.last_ok_at = Some(now);
            (s, None)
        }
        Probe::Fetched {
            status,
            etag,
            last_modified,
            last_modified_at,
            sha256,
            bytes,
        } => {
            let change = match (&s.sha256, &sha256) {
                (Some(before), Some(after)) if before != after => Some(DataChange {
                    // The server's own date when it moved with the content, else the moment we
                    // saw the change (a stale Last-Modified is not believed).
                    at: match (last_modified_at, &last_modified) {
                        (Some(t), Some(lm)) if s.last_modified.as_ref() != Some(lm) && t <= now => {
                            t
                        }
                        _ => now,
                    },
                    reason: Text::new(
                        format!("{url} 的內容校驗碼改變（SHA-256 {}…）", short(after)),
                        format!(
                            "the content checksum of {url} changed (SHA-256 {}…)",
                            short(after)
                        ),
                    ),
                }),
                // A first look: only the server's own date says when the data changed.
                (None, _) => last_modified_at.filter(|t| *t <= now).map(|at| DataChange {
                    at,
                    reason: Text::new(
                        format!("{url} 的伺服器標示最後修改時間（Last-Modified）"),
                        format!("the server states when {url} last changed (Last-Modified)"),
                    ),
                }),
                _ => None,
            };
            s.http_status = Some(status);
            s.etag = etag;
            s.last_modified = last_modified;
            if sha256.is_some() {
                s.sha256 = sha256;
            }
            s.bytes = Some(bytes);
            s.ok = true;
            s.reason = None;
            s.failures = 0;
            s.last_ok_at = Some(now);
            (s, change)
        }
        Probe::Failed { status, reason } => {
            s.http_status = status;
            s.ok = false;
            s.reason = Some(reason);
            s.failures = s.failures.saturating_add(1);
            (s, None)
        }
    }
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

/// The web addresses a dataset's data is published at, each with whether its content is the
/// data itself (a download address: a changed checksum is a data update) or a page about it
/// (an access address: only whether it answers counts).
pub fn addresses(d: &Dataset) -> Vec<(String, bool)> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for dist in &d.record.distributions {
        for (url, is_data) in [(&dist.download_url, true), (&dist.access_url, false)] {
            let Some(url) = url else { continue };
            let u = url.trim();
            if (u.starts_with("https://") || u.starts_with("http://")) && seen.insert(u.to_string())
            {
                out.push((u.to_string(), is_data));
            }
        }
    }
    out
}

/// What one round of checks did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LinkCheckRun {
    pub datasets: u64,
    pub checked: u64,
    pub not_modified: u64,
    /// Datasets whose data was found to have changed (evidence recorded).
    pub changed: u64,
    pub failed: u64,
    /// Datasets whose every address is now dead.
    pub unreachable: u64,
}

/// Check every active dataset's addresses (or only `only`), record what changed, then
/// reassess freshness. `caller` is whoever runs it (the scheduler runs as the operator).
pub async fn check_links(
    p: &Platform,
    caller: &Caller,
    probe: &dyn LinkProbe,
    only: Option<i64>,
) -> DomainResult<LinkCheckRun> {
    let auth = caller.principal.authorize(
        crate::authz::Permission::ManageCatalog,
        &crate::authz::Target::City,
    )?;
    let datasets = p.stores.catalog.active_datasets().await?;
    let known: HashMap<(i64, String), LinkState> = p
        .stores
        .catalog
        .link_states(only)
        .await?
        .into_iter()
        .map(|s| ((s.dataset_id, s.url.clone()), s))
        .collect();
    let mut run = LinkCheckRun::default();
    let mut states = Vec::new();
    for d in datasets.iter().filter(|d| only.is_none_or(|id| d.id == id)) {
        let urls = addresses(d);
        if urls.is_empty() {
            continue;
        }
        run.datasets += 1;
        let mut newest: Option<DataChange> = None;
        let mut all_dead = true;
        for (url, is_data) in urls {
            let prev = known.get(&(d.id, url.clone()));
            let result = probe
                .probe(
                    &url,
                    prev.and_then(|s| s.etag.as_deref()),
                    prev.and_then(|s| s.last_modified.as_deref()),
                )
                .await;
            run.checked += 1;
            match &result {
                Probe::NotModified { .. } => run.not_modified += 1,
                Probe::Failed { .. } => run.failed += 1,
                Probe::Fetched { .. } => {}
            }
            let (state, change) = next_state(d.id, &url, prev, result, p.now());
            all_dead &= state.is_dead();
            if let Some(c) = change.filter(|_| is_data)
                && newest.as_ref().is_none_or(|n| c.at > n.at)
            {
                newest = Some(c);
            }
            states.push(state);
        }
        if all_dead {
            run.unreachable += 1;
        }
        if let Some(change) = newest
            && d.data_updated_at.is_none_or(|t| change.at > t)
        {
            run.changed += 1;
            let now = p.now();
            let snap = super::snapshot(p, &d.record.frequency, Some(change.at), d.reviewed_at, now);
            let event = caller.event(
                now,
                &auth,
                "dataset.data_changed",
                "dataset",
                &d.record.identifier,
                json!({ "data_updated_at": change.at.to_rfc3339(), "evidence": change.reason.zh }),
            );
            p.stores
                .catalog
                .record_evidence(d.id, Some(change.at), None, &snap, event)
                .await?;
        }
    }
    p.stores.catalog.save_link_states(&states).await?;
    // Reachability and new evidence change states: reassess everything once.
    super::CatalogService::new(p)
        .recompute_freshness(p.now())
        .await?;
    Ok(run)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    fn fetched(sha: &str, lm: Option<&str>) -> Probe {
        Probe::Fetched {
            status: 200,
            etag: Some(format!("\"{sha}\"")),
            last_modified: lm.map(str::to_string),
            last_modified_at: lm.map(at),
            sha256: Some(sha.to_string()),
            bytes: 10,
        }
    }

    #[test]
    fn a_first_look_takes_the_servers_date_and_later_only_a_new_checksum_counts() {
        let now = at("2024-03-01T00:00:00Z");
        let (s, change) = next_state(
            1,
            "https://x/a.csv",
            None,
            fetched("aaa", Some("2024-02-10T00:00:00Z")),
            now,
        );
        assert_eq!(change.map(|c| c.at), Some(at("2024-02-10T00:00:00Z")));
        // Same content with a newer date: the data did not change.
        let later = at("2024-03-02T00:00:00Z");
        let (s, change) = next_state(
            1,
            "https://x/a.csv",
            Some(&s),
            fetched("aaa", Some("2024-03-01T12:00:00Z")),
            later,
        );
        assert!(change.is_none());
        // New content without a date: it changed when we saw it.
        let (s, change) = next_state(1, "https://x/a.csv", Some(&s), fetched("bbb", None), later);
        assert_eq!(change.map(|c| c.at), Some(later));
        let (_, change) = next_state(
            1,
            "https://x/a.csv",
            Some(&s),
            Probe::NotModified { status: 304 },
            later,
        );
        assert!(change.is_none());
    }

    #[test]
    fn an_address_is_dead_after_two_failures_in_a_row_and_alive_when_it_answers() {
        let now = at("2024-03-01T00:00:00Z");
        let fail = || Probe::Failed {
            status: Some(404),
            reason: Text::new("找不到", "not found"),
        };
        let (s, _) = next_state(1, "https://x/a.csv", None, fail(), now);
        assert!(!s.is_dead(), "one failure may be a blip");
        let (s, _) = next_state(1, "https://x/a.csv", Some(&s), fail(), now);
        assert!(s.is_dead());
        let (s, _) = next_state(1, "https://x/a.csv", Some(&s), fetched("aaa", None), now);
        assert!(!s.is_dead() && s.ok);
        assert_eq!(s.failures, 0);
    }

    #[test]
    fn a_servers_date_in_the_future_is_not_believed() {
        let now = at("2024-03-01T00:00:00Z");
        let (_, change) = next_state(
            1,
            "https://x/a.csv",
            None,
            fetched("aaa", Some("2030-01-01T00:00:00Z")),
            now,
        );
        assert!(change.is_none());
    }
}
