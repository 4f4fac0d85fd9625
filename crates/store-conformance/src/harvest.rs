//! The harvest story every store must tell the same way: sources mirrored from the
//! configuration (a removed one kept, unconfigured), a "run now" request cleared when a run
//! starts, and runs finished with their counts and listed newest first.

use civitas_core::catalog::schedule::{HarvestRun, RunTrigger, SourceRow};
use civitas_core::ports::Stores;
use civitas_core::text::Text;

use super::{at, event};

fn source(name: &str, interval: Option<i64>) -> SourceRow {
    SourceRow {
        name: name.into(),
        kind: "ckan".into(),
        url: format!("https://{name}.example/"),
        interval_seconds: interval,
        configured: true,
        run_requested_at: None,
        run_requested_by: None,
    }
}

pub async fn harvest_sources_and_runs_are_kept_with_their_counts_and_reasons(s: &Stores) {
    let h = &s.harvest;
    h.sync_harvest_sources(&[source("uk", Some(86_400)), source("eu", None)], at(0))
        .await
        .unwrap();
    // The next configuration drops eu and changes uk's interval.
    h.sync_harvest_sources(&[source("uk", Some(3_600))], at(1))
        .await
        .unwrap();
    let listed = h.harvest_sources().await.unwrap();
    assert_eq!(listed.len(), 2, "a removed source keeps its history");
    let eu = listed.iter().find(|x| x.name == "eu").unwrap();
    assert!(!eu.configured);
    let uk = listed.iter().find(|x| x.name == "uk").unwrap();
    assert_eq!((uk.configured, uk.interval_seconds), (true, Some(3_600)));

    h.request_harvest("uk", "admin", at(2), event(2, "harvest.request", "uk"))
        .await
        .unwrap();
    let uk = h
        .harvest_sources()
        .await
        .unwrap()
        .into_iter()
        .find(|x| x.name == "uk")
        .unwrap();
    assert_eq!(uk.run_requested_at, Some(at(2)));
    assert_eq!(uk.run_requested_by.as_deref(), Some("admin"));

    let first = h
        .start_harvest_run("uk", RunTrigger::Request, at(3))
        .await
        .unwrap();
    let uk = h
        .harvest_sources()
        .await
        .unwrap()
        .into_iter()
        .find(|x| x.name == "uk")
        .unwrap();
    assert_eq!(uk.run_requested_at, None, "the request is taken up");
    let running = h.harvest_runs("uk", 10).await.unwrap();
    assert_eq!(running[0].finished_at, None);

    let cut = HarvestRun {
        id: first,
        source: "uk".into(),
        trigger: RunTrigger::Request,
        started_at: at(3),
        finished_at: Some(at(4)),
        import_run: None,
        received: 2,
        created: 1,
        updated: 0,
        unchanged: 0,
        duplicates: 0,
        rejected: 1,
        withdrawn: 0,
        pages_read: 1,
        complete: false,
        error: Some(Text::new("第 2 頁逾時", "page 2 timed out")),
    };
    h.finish_harvest_run(&cut).await.unwrap();
    let second = h
        .start_harvest_run("uk", RunTrigger::Schedule, at(5))
        .await
        .unwrap();
    let done = HarvestRun {
        id: second,
        trigger: RunTrigger::Schedule,
        started_at: at(5),
        finished_at: Some(at(6)),
        received: 4,
        created: 2,
        unchanged: 1,
        pages_read: 2,
        complete: true,
        error: None,
        ..cut.clone()
    };
    h.finish_harvest_run(&done).await.unwrap();
    let runs = h.harvest_runs("uk", 10).await.unwrap();
    assert_eq!(runs, vec![done, cut], "newest first, exactly as recorded");
    assert_eq!(h.harvest_runs("uk", 1).await.unwrap().len(), 1);
    assert!(h.harvest_runs("eu", 10).await.unwrap().is_empty());

    // A run the server never finished is closed with the reason when it starts again.
    let open = h
        .start_harvest_run("uk", RunTrigger::Schedule, at(9))
        .await
        .unwrap();
    let reason = Text::new("服務停止", "the server stopped");
    assert_eq!(h.close_open_harvest_runs(at(10), &reason).await.unwrap(), 1);
    let closed = h.harvest_runs("uk", 1).await.unwrap().remove(0);
    assert_eq!(closed.id, open);
    assert_eq!(
        (closed.finished_at, closed.error),
        (Some(at(10)), Some(reason))
    );
    assert!(!closed.complete);

    // A one-off source is added once and never marked configured by it.
    let mut once = source("https://portal.example", None);
    once.configured = false;
    h.add_harvest_source(&once, at(7)).await.unwrap();
    h.add_harvest_source(&once, at(8)).await.unwrap();
    assert_eq!(h.harvest_sources().await.unwrap().len(), 3);
}
