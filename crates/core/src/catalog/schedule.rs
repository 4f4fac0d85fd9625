//! Harvests on a schedule: the configured sources (mirrored into the store so the web can list
//! them), each run recorded with its counts and error, which source is due next, and a
//! person's "run now" (queued for the server's harvester, audited).

use serde::Serialize;
use serde_json::json;

use super::harvest::{Fetcher, HarvestOutcome, HarvestSource, PageProgress};
use crate::authz::{Permission, Target};
use crate::error::{DomainError, DomainResult};
use crate::platform::{Caller, Platform};
use crate::text::Text;
use crate::time::Timestamp;

/// Why a run happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunTrigger {
    Schedule,
    /// Someone pressed "run now".
    Request,
    Cli,
}

impl RunTrigger {
    pub fn code(&self) -> &'static str {
        match self {
            RunTrigger::Schedule => "schedule",
            RunTrigger::Request => "request",
            RunTrigger::Cli => "cli",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [RunTrigger::Schedule, RunTrigger::Request, RunTrigger::Cli]
            .into_iter()
            .find(|t| t.code() == code)
    }
}

/// A source as the store holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceRow {
    pub name: String,
    pub kind: String,
    pub url: String,
    pub interval_seconds: Option<i64>,
    /// In the configuration now; unconfigured sources keep their history but never run.
    pub configured: bool,
    pub run_requested_at: Option<Timestamp>,
    pub run_requested_by: Option<String>,
}

/// One harvest run. `finished_at` is empty while it runs (or if the server stopped meanwhile).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HarvestRun {
    pub id: i64,
    pub source: String,
    pub trigger: RunTrigger,
    pub started_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    pub import_run: Option<i64>,
    pub received: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub duplicates: u64,
    pub rejected: u64,
    pub withdrawn: u64,
    pub pages_read: u64,
    pub complete: bool,
    pub error: Option<Text>,
}

/// A source with its latest run and when it runs next.
#[derive(Debug, Clone, Serialize)]
pub struct SourceStatus {
    pub source: SourceRow,
    pub last_run: Option<HarvestRun>,
    /// `None`: on demand only (or no longer configured).
    pub next_run: Option<Timestamp>,
}

impl SourceRow {
    pub fn from_source(s: &HarvestSource) -> Self {
        SourceRow {
            name: s.name.clone(),
            kind: s.kind.code().to_string(),
            url: s.url.clone(),
            interval_seconds: s.interval.map(|d| d.whole_seconds()),
            configured: true,
            run_requested_at: None,
            run_requested_by: None,
        }
    }
}

/// When a source runs next: now when someone asked or it never ran; else its interval after
/// the last run started.
pub fn next_run(
    source: &SourceRow,
    last: Option<&HarvestRun>,
    now: Timestamp,
) -> Option<Timestamp> {
    if !source.configured {
        return None;
    }
    if source.run_requested_at.is_some() {
        return Some(now);
    }
    let every = time::Duration::seconds(source.interval_seconds?);
    Some(last.map_or(now, |r| r.started_at.add(every)))
}

fn outcome_run(id: i64, trigger: RunTrigger, o: &HarvestOutcome) -> HarvestRun {
    HarvestRun {
        id,
        source: o.source.clone(),
        trigger,
        started_at: o.started_at,
        finished_at: Some(o.finished_at),
        import_run: Some(o.import_run),
        received: o.report.received,
        created: o.report.created,
        updated: o.report.updated,
        unchanged: o.report.unchanged,
        duplicates: o.report.duplicates,
        rejected: o.report.rejected.len() as u64,
        withdrawn: o.report.withdrawn,
        pages_read: o.pages_read,
        complete: o.complete,
        error: o.error.clone(),
    }
}

pub struct HarvestService<'a> {
    p: &'a Platform,
}

impl<'a> HarvestService<'a> {
    pub fn new(p: &'a Platform) -> Self {
        HarvestService { p }
    }

    fn require_manage(&self, caller: &Caller) -> DomainResult<crate::authz::Authorization> {
        // Harvests write records for every agency a source names: a city-wide permission.
        caller
            .principal
            .authorize(Permission::ManageCatalog, &Target::City)
    }

    /// Mirror the configuration at start: these sources are configured, every other one is not.
    /// Runs a stopped server left open are closed with that reason (what they stored stays;
    /// as incomplete runs they withdrew nothing).
    pub async fn sync_sources(&self, sources: &[HarvestSource]) -> DomainResult<()> {
        let rows: Vec<SourceRow> = sources.iter().map(SourceRow::from_source).collect();
        let now = self.p.now();
        self.p
            .stores
            .harvest
            .close_open_harvest_runs(
                now,
                &Text::new(
                    "服務在採集途中停止；下次採集會補齊",
                    "the server stopped during this run; the next run completes it",
                ),
            )
            .await?;
        self.p.stores.harvest.sync_harvest_sources(&rows, now).await
    }

    /// Every source with its last run and next run, configured ones first.
    pub async fn sources(&self, caller: &Caller) -> DomainResult<Vec<SourceStatus>> {
        self.require_manage(caller)?;
        self.statuses(self.p.now()).await
    }

    /// Every source's state as of `now` (one instant for all, so "due" compares like with like).
    async fn statuses(&self, now: Timestamp) -> DomainResult<Vec<SourceStatus>> {
        let mut out = Vec::new();
        for source in self.p.stores.harvest.harvest_sources().await? {
            let last_run = self
                .p
                .stores
                .harvest
                .harvest_runs(&source.name, 1)
                .await?
                .into_iter()
                .next();
            let next = next_run(&source, last_run.as_ref(), now);
            out.push(SourceStatus {
                source,
                last_run,
                next_run: next,
            });
        }
        out.sort_by(|a, b| {
            b.source
                .configured
                .cmp(&a.source.configured)
                .then_with(|| a.source.name.cmp(&b.source.name))
        });
        Ok(out)
    }

    pub async fn runs(
        &self,
        caller: &Caller,
        source: &str,
        limit: u32,
    ) -> DomainResult<Vec<HarvestRun>> {
        self.require_manage(caller)?;
        self.p.stores.harvest.harvest_runs(source, limit).await
    }

    /// "Run now": the server's harvester takes it up within seconds. Audited.
    pub async fn request_run(&self, caller: &Caller, source: &str) -> DomainResult<()> {
        let auth = self.require_manage(caller)?;
        let known = self
            .p
            .stores
            .harvest
            .harvest_sources()
            .await?
            .into_iter()
            .find(|s| s.name == source && s.configured);
        if known.is_none() {
            return Err(DomainError::not_found("harvest source", source));
        }
        let at = self.p.now();
        let event = caller.event(
            at,
            &auth,
            "harvest.request",
            "harvest_source",
            source,
            json!({ "source": source }),
        );
        self.p
            .stores
            .harvest
            .request_harvest(source, &caller.principal.user_name, at, event)
            .await
    }

    /// The configured sources due now, soonest first (requested ones before scheduled ones).
    pub async fn due(&self) -> DomainResult<Vec<(String, RunTrigger)>> {
        let now = self.p.now();
        let mut due: Vec<(Timestamp, bool, String)> = self
            .statuses(now)
            .await?
            .into_iter()
            .filter_map(|s| {
                let at = s.next_run.filter(|t| *t <= now)?;
                Some((at, s.source.run_requested_at.is_none(), s.source.name))
            })
            .collect();
        due.sort();
        Ok(due
            .into_iter()
            .map(|(_, scheduled, name)| {
                let trigger = if scheduled {
                    RunTrigger::Schedule
                } else {
                    RunTrigger::Request
                };
                (name, trigger)
            })
            .collect())
    }

    /// Harvest `source` and record the run (started before, finished after), also when the
    /// harvest itself fails.
    pub async fn run(
        &self,
        caller: &Caller,
        source: &HarvestSource,
        trigger: RunTrigger,
        fetcher: &dyn Fetcher,
        progress: &(dyn Fn(PageProgress) + Send + Sync),
    ) -> DomainResult<(HarvestRun, Option<HarvestOutcome>)> {
        self.require_manage(caller)?;
        let harvest = &self.p.stores.harvest;
        if !harvest
            .harvest_sources()
            .await?
            .iter()
            .any(|s| s.name == source.name)
        {
            // A one-off source from the command line is recorded like a configured one.
            let mut row = SourceRow::from_source(source);
            row.configured = false;
            harvest.add_harvest_source(&row, self.p.now()).await?;
        }
        let started = self.p.now();
        let id = harvest
            .start_harvest_run(&source.name, trigger, started)
            .await?;
        match self
            .p
            .catalog()
            .harvest(caller, source, fetcher, progress)
            .await
        {
            Ok(outcome) => {
                let run = outcome_run(id, trigger, &outcome);
                harvest.finish_harvest_run(&run).await?;
                Ok((run, Some(outcome)))
            }
            Err(e) => {
                let run = HarvestRun {
                    id,
                    source: source.name.clone(),
                    trigger,
                    started_at: started,
                    finished_at: Some(self.p.now()),
                    import_run: None,
                    received: 0,
                    created: 0,
                    updated: 0,
                    unchanged: 0,
                    duplicates: 0,
                    rejected: 0,
                    withdrawn: 0,
                    pages_read: 0,
                    complete: false,
                    error: Some(Text::new(
                        e.message(crate::time::Language::ZhTw),
                        e.message(crate::time::Language::En),
                    )),
                };
                harvest.finish_harvest_run(&run).await?;
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(interval: Option<i64>, requested: bool, configured: bool) -> SourceRow {
        SourceRow {
            name: "uk".into(),
            kind: "ckan".into(),
            url: "https://data.gov.uk".into(),
            interval_seconds: interval,
            configured,
            run_requested_at: requested.then(|| Timestamp::from_millis(1).unwrap()),
            run_requested_by: None,
        }
    }

    #[test]
    fn a_source_runs_an_interval_after_its_last_start_at_once_when_asked_and_never_when_unconfigured()
     {
        let now = Timestamp::from_millis(10 * 86_400_000).unwrap();
        let last = HarvestRun {
            id: 1,
            source: "uk".into(),
            trigger: RunTrigger::Schedule,
            started_at: now.sub(time::Duration::hours(5)),
            finished_at: None,
            import_run: None,
            received: 0,
            created: 0,
            updated: 0,
            unchanged: 0,
            duplicates: 0,
            rejected: 0,
            withdrawn: 0,
            pages_read: 0,
            complete: false,
            error: None,
        };
        let day = Some(86_400);
        assert_eq!(
            next_run(&row(day, false, true), Some(&last), now),
            Some(now.add(time::Duration::hours(19)))
        );
        assert_eq!(next_run(&row(day, false, true), None, now), Some(now));
        assert_eq!(next_run(&row(None, false, true), Some(&last), now), None);
        assert_eq!(
            next_run(&row(None, true, true), Some(&last), now),
            Some(now)
        );
        assert_eq!(next_run(&row(day, true, false), None, now), None);
    }
}
