//! Checking the links of datasets' distributions: a conditional request (ETag,
//! If-Modified-Since) each time, the content's SHA-256 when it is sent, and what that proves.
//! A changed checksum (or a newer Last-Modified) of a downloadable file is evidence that the
//! data itself was updated; the first sight of a file is only a baseline. A link that fails
//! after the fetcher's retries marks the dataset unreachable until a later check succeeds.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::json;

use super::harvest::Fetcher;
use super::model::DistributionKind;
use crate::authz::{Permission, Target};
use crate::error::DomainResult;
use crate::platform::Caller;
use crate::text::Text;
use crate::time::Timestamp;

/// What the previous answer told us, sent back so an unchanged file is not sent again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A link's answer to a conditional request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// 304: unchanged since the validators were given.
    NotModified,
    Content {
        sha256: String,
        bytes: u64,
        validators: Validators,
    },
}

/// The latest check of one distribution URL of one dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkCheck {
    pub dataset_id: i64,
    pub url: String,
    pub checked_at: Timestamp,
    pub reachable: bool,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub sha256: Option<String>,
    /// When the content was last seen to change.
    pub changed_at: Option<Timestamp>,
    pub error: Option<Text>,
}

/// What one round of checks found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LinkReport {
    pub checked: u64,
    /// First sight of a file: its checksum is kept as the baseline.
    pub baseline: u64,
    /// 304, or the same checksum again.
    pub unchanged: u64,
    /// A new checksum or a newer Last-Modified: recorded as a data update.
    pub changed: u64,
    pub unreachable: u64,
}

/// `Tue, 15 Nov 1994 08:12:31 GMT` (RFC 9110's IMF-fixdate).
fn http_date(text: &str) -> Option<Timestamp> {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(text.trim(), &format)
        .ok()
        .map(|t| Timestamp::from_offset(t.assume_utc()))
}

impl super::CatalogService<'_> {
    /// Check every http(s) link of every active dataset's distributions (or only those of
    /// datasets kept under `source`), one after another, record each result, count content
    /// changes of downloadable files as data updates, and reassess freshness (dead links show
    /// as unreachable).
    pub async fn check_links(
        &self,
        caller: &Caller,
        fetcher: &dyn Fetcher,
        source: Option<&str>,
    ) -> DomainResult<LinkReport> {
        let auth = caller
            .principal
            .authorize(Permission::ManageCatalog, &Target::City)?;
        let store = &self.stores().harvest;
        let previous: HashMap<(i64, String), LinkCheck> = store
            .link_checks()
            .await?
            .into_iter()
            .map(|c| ((c.dataset_id, c.url.clone()), c))
            .collect();
        let mut report = LinkReport::default();
        let datasets = match source {
            Some(source) => self
                .stores()
                .catalog
                .datasets_from(source)
                .await?
                .into_iter()
                .filter(|d| matches!(d.status, super::DatasetStatus::Active))
                .collect(),
            None => self.stores().catalog.active_datasets().await?,
        };
        for dataset in datasets {
            for d in &dataset.record.distributions {
                if d.kind == DistributionKind::Upload {
                    continue;
                }
                let Some(url) = d
                    .download_url
                    .as_ref()
                    .or(d.access_url.as_ref())
                    .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
                else {
                    continue;
                };
                let before = previous.get(&(dataset.id, url.clone()));
                let validators = before
                    .map(|b| Validators {
                        etag: b.etag.clone(),
                        last_modified: b.last_modified.clone(),
                    })
                    .unwrap_or_default();
                let now = self.now();
                report.checked += 1;
                let mut check = LinkCheck {
                    dataset_id: dataset.id,
                    url: url.clone(),
                    checked_at: now,
                    reachable: true,
                    etag: validators.etag.clone(),
                    last_modified: validators.last_modified.clone(),
                    sha256: before.and_then(|b| b.sha256.clone()),
                    changed_at: before.and_then(|b| b.changed_at),
                    error: None,
                };
                let mut data_update = None;
                match fetcher.probe(url, &validators).await {
                    Ok(Probe::NotModified) => report.unchanged += 1,
                    Ok(Probe::Content {
                        sha256, validators, ..
                    }) => {
                        let newer_date = validators
                            .last_modified
                            .as_deref()
                            .and_then(http_date)
                            .filter(|t| dataset.data_updated_at.is_none_or(|held| *t > held));
                        let new_sum = check.sha256.as_ref().is_some_and(|old| *old != sha256);
                        let first = check.sha256.is_none();
                        check.etag = validators.etag;
                        check.last_modified = validators.last_modified;
                        check.sha256 = Some(sha256);
                        // Only a file's content is the data; an API's answer varies with the call.
                        let file = d.kind == DistributionKind::Download;
                        if file && (new_sum || (!first && newer_date.is_some())) {
                            check.changed_at = Some(now);
                            data_update = Some(now);
                            report.changed += 1;
                        } else if first {
                            report.baseline += 1;
                        } else {
                            report.unchanged += 1;
                        }
                    }
                    Err(why) => {
                        check.reachable = false;
                        check.error = Some(why);
                        report.unreachable += 1;
                    }
                }
                let mut events = Vec::new();
                if let Some(at) = data_update {
                    events.push(caller.event(
                        at,
                        &auth,
                        "dataset.data_changed",
                        "dataset",
                        &dataset.record.identifier,
                        json!({
                            "url": url,
                            "sha256": [before.and_then(|b| b.sha256.clone()), check.sha256],
                            "last_modified": check.last_modified,
                        }),
                    ));
                }
                store
                    .record_link_check(&check, data_update.map(|at| (dataset.id, at)), events)
                    .await?;
            }
        }
        self.recompute_freshness(self.now()).await?;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_http_date_is_read_as_utc() {
        assert_eq!(
            http_date("Tue, 15 Nov 1994 08:12:31 GMT").map(|t| t.to_rfc3339()),
            Some("1994-11-15T08:12:31Z".into())
        );
        assert_eq!(http_date("yesterday"), None);
    }
}
