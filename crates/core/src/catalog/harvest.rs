//! Harvesting other catalogues over the network: a CKAN portal's `package_search` read page by
//! page until every record it counts is in, a DCAT catalogue, a data.gov.tw export. Fetching is
//! a port (`Fetcher`) so the domain never speaks HTTP and tests can script failures. A harvest
//! cut short stores what it read and withdraws nothing; the next complete run finishes the job.

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::format::{CatalogFormat, Listing};
use super::sources::ckan::{self, AgencyHint};
use crate::error::DomainResult;
use crate::import::ImportReport;
use crate::platform::Caller;
use crate::text::Text;
use crate::time::Timestamp;

/// No portal needs more pages than this; a server that never stops paging is cut off here.
const MAX_PAGES: u64 = 10_000;

/// What kind of catalogue a source is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// A CKAN portal's Action API.
    Ckan,
    /// A DCAT catalogue document in JSON-LD.
    Dcat,
    /// data.gov.tw metadata: the export (CSV or JSON) or one JSON object a line.
    Datagovtw,
}

impl SourceKind {
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "ckan" => Some(SourceKind::Ckan),
            "dcat" => Some(SourceKind::Dcat),
            "datagovtw" => Some(SourceKind::Datagovtw),
            _ => None,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            SourceKind::Ckan => "ckan",
            SourceKind::Dcat => "dcat",
            SourceKind::Datagovtw => "datagovtw",
        }
    }
}

/// A catalogue to harvest, as configured (or given once on the command line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HarvestSource {
    /// Also the source its records are kept under: two portals never withdraw each other's.
    pub name: String,
    pub kind: SourceKind,
    pub url: String,
    /// How often the server harvests it; `None`: only on demand.
    pub interval: Option<time::Duration>,
    /// CKAN page size.
    pub rows: u64,
    /// The agency for records that name none.
    pub agency: Option<String>,
    /// The source's names or codes for agencies → agency codes.
    pub aliases: BTreeMap<String, String>,
}

impl HarvestSource {
    /// A source from its settings; the reason when a value cannot be used.
    pub fn new(
        name: &str,
        kind: &str,
        url: &str,
        interval: &str,
        rows: u64,
    ) -> Result<HarvestSource, String> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 300 {
            return Err("a source needs a name of 1 to 300 characters".into());
        }
        let kind = SourceKind::parse(kind).ok_or_else(|| {
            format!("source {name}: kind must be ckan, dcat or datagovtw (got '{kind}')")
        })?;
        let url = url.trim();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!(
                "source {name}: url must start with http:// or https:// (got '{url}')"
            ));
        }
        let interval = if interval.trim().is_empty() {
            None
        } else {
            Some(parse_interval(interval).ok_or_else(|| {
                format!(
                    "source {name}: interval must be like 30m, 12h, 1d or 1w (got '{interval}')"
                )
            })?)
        };
        Ok(HarvestSource {
            name: name.to_string(),
            kind,
            url: url.to_string(),
            interval,
            rows: if rows == 0 {
                100
            } else {
                rows.min(ckan::ROWS_MAX)
            },
            agency: None,
            aliases: BTreeMap::new(),
        })
    }
}

/// `30m`, `12h`, `1d`, `2w` → a duration of at least a minute.
pub fn parse_interval(text: &str) -> Option<time::Duration> {
    let text = text.trim();
    let unit = text.chars().last()?;
    let n: i64 = text
        .get(..text.len() - unit.len_utf8())?
        .trim()
        .parse()
        .ok()?;
    if n <= 0 {
        return None;
    }
    let d = match unit {
        'm' => time::Duration::minutes(n),
        'h' => time::Duration::hours(n),
        'd' => time::Duration::days(n),
        'w' => time::Duration::weeks(n),
        _ => return None,
    };
    (d >= time::Duration::minutes(1)).then_some(d)
}

/// A response with a success status, within the size limit.
#[derive(Debug, Clone, Default)]
pub struct Fetched {
    pub body: Vec<u8>,
    pub content_type: Option<String>,
}

/// Reads a URL. Implementations time out, retry transient failures and refuse huge answers;
/// the error says why in words a person can act on (the URL is added by the caller).
#[async_trait]
pub trait Fetcher: Send + Sync {
    async fn get(&self, url: &str) -> Result<Fetched, Text>;
}

/// How far a harvest got, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageProgress {
    pub pages_read: u64,
    /// Known once the first CKAN page tells the count.
    pub pages_expected: Option<u64>,
    pub records_read: u64,
}

/// What a harvest did.
#[derive(Debug, Clone)]
pub struct HarvestOutcome {
    pub source: String,
    /// The import run recording the records stored (also when nothing could be read).
    pub import_run: i64,
    pub report: ImportReport,
    pub pages_read: u64,
    pub pages_expected: Option<u64>,
    /// Every record the source lists was read (only then may absences withdraw).
    pub complete: bool,
    /// Why the harvest stopped early, page by page.
    pub error: Option<Text>,
    pub started_at: Timestamp,
    pub finished_at: Timestamp,
}

/// `base` + `/api/3/action/package_search` unless the URL already names the action, with
/// a stable sort so that records do not shift between pages while the portal changes.
pub fn package_search_url(base: &str, rows: u64, start: u64) -> String {
    let base = base.trim().trim_end_matches('/');
    let endpoint = if base.contains("/api/") {
        base.to_string()
    } else {
        format!("{base}/api/3/action/package_search")
    };
    let joiner = if endpoint.contains('?') { '&' } else { '?' };
    format!("{endpoint}{joiner}rows={rows}&start={start}&sort=id%20asc")
}

/// The data.gov.tw document's shape from its first character: `[` the JSON export, `{` one
/// object a line, anything else the CSV export.
fn datagovtw_format(body: &[u8]) -> CatalogFormat {
    let text = String::from_utf8_lossy(body.get(..body.len().min(64)).unwrap_or_default());
    match text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .chars()
        .next()
    {
        Some('[') => CatalogFormat::DatagovtwJson,
        Some('{') => CatalogFormat::DatagovtwJsonl,
        _ => CatalogFormat::DatagovtwCsv,
    }
}

fn fetch_failed(what: Text, url: &str, why: &Text) -> Text {
    Text::new(
        format!("{}（{url}）無法讀取：{}", what.zh, why.zh),
        format!("{} ({url}) could not be read: {}", what.en, why.en),
    )
}

impl super::CatalogService<'_> {
    /// Harvest `source` now through `fetcher`. Stores what was read even when the source fails
    /// part-way (never withdrawing anything then), and returns the counts and the reason.
    pub async fn harvest(
        &self,
        caller: &Caller,
        source: &HarvestSource,
        fetcher: &dyn Fetcher,
        progress: &(dyn Fn(PageProgress) + Send + Sync),
    ) -> DomainResult<HarvestOutcome> {
        let started_at = self.now();
        let format_hint = match source.kind {
            SourceKind::Ckan => CatalogFormat::CkanPackageSearch,
            SourceKind::Dcat => CatalogFormat::DcatJsonld,
            SourceKind::Datagovtw => CatalogFormat::DatagovtwCsv,
        };
        let map = match self
            .agency_map(&source.aliases, source.agency.as_deref())
            .await?
        {
            Ok(map) => map,
            Err(why) => {
                return self
                    .harvest_failed(caller, source, format_hint, started_at, why, 0)
                    .await;
            }
        };
        let resolve = |hint: &AgencyHint| map.resolve(hint);

        let mut pages_read = 0u64;
        let mut pages_expected = None;
        let (format, listing, error) = match source.kind {
            SourceKind::Ckan => {
                let mut records = Vec::new();
                let mut count: Option<u64> = None;
                let mut error = None;
                let mut start = 0u64;
                while pages_read < MAX_PAGES {
                    let page_no = pages_read + 1;
                    let url = package_search_url(&source.url, source.rows, start);
                    let page = match fetcher.get(&url).await {
                        Ok(fetched) => ckan::parse_package_search(&fetched.body, start, &resolve),
                        Err(why) => Err(why),
                    };
                    let page = match page {
                        Ok(page) => page,
                        Err(why) => {
                            error = Some(fetch_failed(
                                Text::new(
                                    format!("第 {page_no} 頁（start={start}）"),
                                    format!("page {page_no} (start={start})"),
                                ),
                                &url,
                                &why,
                            ));
                            break;
                        }
                    };
                    pages_read += 1;
                    let read = page.datasets.len() as u64;
                    let total = count.get_or_insert(page.count);
                    *total = (*total).max(page.count);
                    pages_expected = Some(total.div_ceil(source.rows.max(1)).max(1));
                    records.extend(page.datasets);
                    start += read;
                    progress(PageProgress {
                        pages_read,
                        pages_expected,
                        records_read: records.len() as u64,
                    });
                    if read == 0 || start >= *total {
                        break;
                    }
                }
                let complete = error.is_none() && count.is_some_and(|c| start >= c);
                if error.is_none() && !complete {
                    error = Some(Text::new(
                        format!(
                            "CKAN 來源在讀完 {} 筆之前停止分頁",
                            count.unwrap_or_default()
                        ),
                        format!(
                            "the CKAN source stopped paging before all {} records were read",
                            count.unwrap_or_default()
                        ),
                    ));
                }
                (
                    CatalogFormat::CkanPackageSearch,
                    Listing { records, complete },
                    error,
                )
            }
            SourceKind::Dcat | SourceKind::Datagovtw => {
                let fetched = match fetcher.get(&source.url).await {
                    Ok(f) => f,
                    Err(why) => {
                        let why =
                            fetch_failed(Text::new("目錄", "the catalogue"), &source.url, &why);
                        return self
                            .harvest_failed(caller, source, format_hint, started_at, why, 0)
                            .await;
                    }
                };
                pages_read = 1;
                pages_expected = Some(1);
                let format = match source.kind {
                    SourceKind::Dcat => CatalogFormat::DcatJsonld,
                    _ => datagovtw_format(&fetched.body),
                };
                match format.parse_documents(&[&fetched.body], &resolve) {
                    Ok(listing) => {
                        progress(PageProgress {
                            pages_read,
                            pages_expected,
                            records_read: listing.records.len() as u64,
                        });
                        (format, listing, None)
                    }
                    Err(why) => {
                        return self
                            .harvest_failed(caller, source, format, started_at, why, 1)
                            .await;
                    }
                }
            }
        };
        if pages_read == 0 {
            let why =
                error.unwrap_or_else(|| Text::new("來源沒有回應", "the source answered nothing"));
            return self
                .harvest_failed(caller, source, format, started_at, why, 0)
                .await;
        }
        let complete = listing.complete;
        let report = ImportReport::new("datasets", format.code(), &source.url);
        let (import_run, report) = self
            .import_listing(caller, format, listing, &source.name, started_at, report)
            .await?;
        Ok(HarvestOutcome {
            source: source.name.clone(),
            import_run,
            report,
            pages_read,
            pages_expected,
            complete,
            error,
            started_at,
            finished_at: self.now(),
        })
    }

    async fn harvest_failed(
        &self,
        caller: &Caller,
        source: &HarvestSource,
        format: CatalogFormat,
        started_at: Timestamp,
        why: Text,
        pages_read: u64,
    ) -> DomainResult<HarvestOutcome> {
        let (import_run, report) = self
            .save_unreadable(caller, format, &source.url, started_at, why.clone())
            .await?;
        Ok(HarvestOutcome {
            source: source.name.clone(),
            import_run,
            report,
            pages_read,
            pages_expected: None,
            complete: false,
            error: Some(why),
            started_at,
            finished_at: self.now(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_read_as_people_write_them() {
        assert_eq!(parse_interval("1d"), Some(time::Duration::days(1)));
        assert_eq!(parse_interval(" 12h "), Some(time::Duration::hours(12)));
        assert_eq!(parse_interval("30m"), Some(time::Duration::minutes(30)));
        assert_eq!(parse_interval("2w"), Some(time::Duration::weeks(2)));
        assert_eq!(parse_interval("0d"), None);
        assert_eq!(parse_interval("1y"), None);
        assert_eq!(parse_interval("d"), None);
        assert_eq!(parse_interval("每日"), None);
    }

    #[test]
    fn a_ckan_portal_is_paged_through_its_action_api_in_a_stable_order() {
        assert_eq!(
            package_search_url("https://data.gov.uk/", 100, 200),
            "https://data.gov.uk/api/3/action/package_search?rows=100&start=200&sort=id%20asc"
        );
        assert_eq!(
            package_search_url("https://x.example/api/3/action/package_search?q=bus", 2, 0),
            "https://x.example/api/3/action/package_search?q=bus&rows=2&start=0&sort=id%20asc"
        );
    }

    #[test]
    fn a_source_with_a_bad_kind_url_or_interval_is_refused_with_the_reason() {
        assert!(HarvestSource::new("uk", "ckan", "https://data.gov.uk", "1d", 0).is_ok());
        assert!(
            HarvestSource::new("uk", "socrata", "https://x", "1d", 0)
                .unwrap_err()
                .contains("kind")
        );
        assert!(
            HarvestSource::new("uk", "ckan", "ftp://x", "1d", 0)
                .unwrap_err()
                .contains("url")
        );
        assert!(
            HarvestSource::new("uk", "ckan", "https://x", "daily", 0)
                .unwrap_err()
                .contains("interval")
        );
        assert_eq!(
            HarvestSource::new("uk", "ckan", "https://x", "", 5000)
                .unwrap()
                .rows,
            1000
        );
    }

    #[test]
    fn a_data_gov_tw_document_is_known_by_its_first_character() {
        assert_eq!(
            datagovtw_format(b"\xef\xbb\xbf[{}]"),
            CatalogFormat::DatagovtwJson
        );
        assert_eq!(
            datagovtw_format(b"{\"TITLE\":1}\n"),
            CatalogFormat::DatagovtwJsonl
        );
        assert_eq!(
            datagovtw_format("資料集識別碼,".as_bytes()),
            CatalogFormat::DatagovtwCsv
        );
    }
}
