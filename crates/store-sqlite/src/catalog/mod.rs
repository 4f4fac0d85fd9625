//! The catalogue on SQLite.

mod index;
mod links;
mod search;

pub(crate) use index::SearchIndex;
mod write;

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use civitas_core::audit::{AuditEvent, diff_json};
use civitas_core::catalog::links::LinkState;
use civitas_core::catalog::{
    CatalogImportPlan, Dataset, DatasetKey, DatasetRecord, DatasetStatus, DatasetVersion,
    FreshnessSnapshot, PlannedChange, SearchQuery, SearchResult,
};
use civitas_core::error::{DomainError, DomainResult};
use civitas_core::freshness::FreshnessState;
use civitas_core::notify::wants_notice;
use civitas_core::ports::{
    CatalogStore, FreshnessHistoryRow, FreshnessRow, FreshnessStored, FreshnessTransition,
};
use civitas_core::text::Text;
use civitas_core::time::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use crate::SqliteStore;
use crate::audit::{append, append_all};
use crate::convert::{bad_value, db_err, opt_ts, ts};
use crate::imports::insert_run;

const COLUMNS: &str = "id, source, source_key, record, version, status, withdrawn_at, series, created_at, updated_at, \
                       seen_at, data_updated_at, reviewed_at, freshness_state, freshness_assessed_at, freshness_due_at, \
                       freshness_explanation_zh, freshness_explanation_en";

fn dataset(r: &Row<'_>) -> rusqlite::Result<Dataset> {
    let record: String = r.get(3)?;
    let record: DatasetRecord =
        serde_json::from_str(&record).map_err(|_| bad_value(3, "dataset record"))?;
    let status: String = r.get(5)?;
    let freshness = match (
        r.get::<_, Option<String>>(13)?,
        r.get::<_, Option<i64>>(14)?,
    ) {
        (Some(state), Some(at)) => Some(FreshnessSnapshot {
            state: FreshnessState::ALL
                .into_iter()
                .find(|s| s.code() == state)
                .ok_or_else(|| bad_value(13, "freshness state"))?,
            assessed_at: ts(at)?,
            due_at: opt_ts(r.get(15)?)?,
            explanation: Text::new(
                r.get::<_, Option<String>>(16)?.unwrap_or_default(),
                r.get::<_, Option<String>>(17)?.unwrap_or_default(),
            ),
        }),
        _ => None,
    };
    Ok(Dataset {
        id: r.get(0)?,
        key: DatasetKey {
            source: r.get(1)?,
            key: r.get(2)?,
        },
        record,
        status: match status.as_str() {
            "withdrawn" => DatasetStatus::Withdrawn {
                at: ts(r.get::<_, Option<i64>>(6)?.unwrap_or(0))?,
            },
            _ => DatasetStatus::Active,
        },
        version: r.get(4)?,
        series: r.get(7)?,
        created_at: ts(r.get(8)?)?,
        updated_at: ts(r.get(9)?)?,
        seen_at: ts(r.get(10)?)?,
        data_updated_at: opt_ts(r.get(11)?)?,
        reviewed_at: opt_ts(r.get(12)?)?,
        freshness,
    })
}

fn by_id(conn: &Connection, id: i64) -> DomainResult<Option<Dataset>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM datasets_assessed WHERE id = ?1"),
        [id],
        dataset,
    )
    .optional()
    .map_err(db_err)
}

fn must(conn: &Connection, id: i64) -> DomainResult<Dataset> {
    by_id(conn, id)?.ok_or_else(|| DomainError::not_found("dataset", id.to_string()))
}

/// Every name an agency goes by, so that searching 社會局 finds its datasets.
/// One agency's names as the search index holds them (see `agency_names`).
fn agency_name(tx: &Transaction<'_>, code: &str) -> DomainResult<String> {
    tx.query_row(
        "SELECT name_zh || ' ' || COALESCE(short_name_zh, '') || ' ' || COALESCE(name_en, '')
         FROM agencies WHERE code = ?1",
        [code],
        |r| r.get(0),
    )
    .optional()
    .map(Option::unwrap_or_default)
    .map_err(db_err)
}

fn agency_names(tx: &Transaction<'_>) -> DomainResult<HashMap<String, String>> {
    let mut stmt = tx
        .prepare("SELECT code, name_zh, COALESCE(short_name_zh, ''), COALESCE(name_en, '') FROM agencies")
        .map_err(db_err)?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                format!(
                    "{} {} {}",
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?
                ),
            ))
        })
        .map_err(db_err)?
        .collect::<rusqlite::Result<HashMap<_, _>>>()
        .map_err(db_err)?;
    Ok(rows)
}

fn changes(before: &DatasetRecord, after: &DatasetRecord) -> serde_json::Value {
    diff_json(
        &serde_json::to_value(before).unwrap_or_default(),
        &serde_json::to_value(after).unwrap_or_default(),
    )
}

#[async_trait]
impl CatalogStore for SqliteStore {
    async fn datasets_from(&self, source: &str) -> DomainResult<Vec<Dataset>> {
        let source = source.to_string();
        self.pool
            .read(move |conn| {
                let mut stmt = conn
                    .prepare(&format!(
                        "SELECT {COLUMNS} FROM datasets_assessed WHERE source = ?1 ORDER BY id"
                    ))
                    .map_err(db_err)?;
                stmt.query_map([source], dataset)
                    .map_err(db_err)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(db_err)
            })
            .await
    }

    async fn dataset(&self, id: i64) -> DomainResult<Option<Dataset>> {
        self.pool.read(move |conn| by_id(conn, id)).await
    }

    async fn dataset_by_identifier(&self, identifier: &str) -> DomainResult<Option<Dataset>> {
        let identifier = identifier.to_string();
        self.pool
            .read(move |conn| {
                conn.query_row(
                    &format!("SELECT {COLUMNS} FROM datasets_assessed WHERE identifier = ?1 ORDER BY status = 'active' DESC, id LIMIT 1"),
                    [identifier],
                    dataset,
                )
                .optional()
                .map_err(db_err)
            })
            .await
    }

    async fn apply_catalog_import(
        &self,
        plan: &CatalogImportPlan,
        freshness: &[(String, FreshnessSnapshot)],
        started_at: Timestamp,
        at: Timestamp,
        actor_name: &str,
        audit: Vec<AuditEvent>,
    ) -> DomainResult<i64> {
        let plan = plan.clone();
        let freshness: HashMap<String, FreshnessSnapshot> = freshness.iter().cloned().collect();
        let actor = actor_name.to_string();
        self.pool
            .write(move |tx| {
                let names = agency_names(tx)?;
                let name_of = |code: &str| names.get(code).cloned().unwrap_or_default();
                for change in &plan.changes {
                    match change {
                        PlannedChange::Create {
                            record,
                            data_updated_at,
                        } => {
                            write::insert_dataset(
                                tx,
                                &plan.source,
                                record,
                                *data_updated_at,
                                freshness.get(&record.identifier),
                                at,
                                &actor,
                                &name_of(record.agency.as_str()),
                            )?;
                        }
                        PlannedChange::Update {
                            id,
                            before,
                            after,
                            data_updated_at,
                            reactivated,
                        } => {
                            write::update_dataset(
                                tx,
                                *id,
                                after,
                                &changes(before, after),
                                *data_updated_at,
                                freshness.get(&after.identifier),
                                *reactivated,
                                at,
                                &actor,
                                &name_of(after.agency.as_str()),
                            )?;
                        }
                    }
                }
                let mut seen = tx
                    .prepare_cached("UPDATE datasets SET seen_at = ?2 WHERE id = ?1")
                    .map_err(db_err)?;
                for id in &plan.unchanged {
                    seen.execute(params![id, at.as_millis()]).map_err(db_err)?;
                }
                for id in &plan.withdrawn {
                    write::withdraw(tx, *id, at)?;
                }
                append_all(tx, audit)?;
                insert_run(tx, &plan.report, started_at, at, &actor)
            })
            .await
    }

    async fn create_dataset(
        &self,
        source: &str,
        record: &DatasetRecord,
        data_updated_at: Option<Timestamp>,
        freshness: &FreshnessSnapshot,
        at: Timestamp,
        actor: &str,
        audit: AuditEvent,
    ) -> DomainResult<Dataset> {
        let record = record.clone();
        let source = source.to_string();
        let freshness = freshness.clone();
        let actor = actor.to_string();
        self.pool
            .write(move |tx| {
                let taken: bool = tx
                    .query_row(
                        "SELECT EXISTS (SELECT 1 FROM datasets WHERE identifier = ?1)",
                        params![record.identifier],
                        |r| r.get(0),
                    )
                    .map_err(db_err)?;
                if taken {
                    return Err(DomainError::AlreadyExists {
                        what: "dataset",
                        key: record.identifier.clone(),
                    });
                }
                let id = write::insert_dataset(
                    tx,
                    &source,
                    &record,
                    data_updated_at,
                    Some(&freshness),
                    at,
                    &actor,
                    &agency_name(tx, record.agency.as_str())?,
                )?;
                append(tx, audit)?;
                must(tx, id)
            })
            .await
    }

    async fn link_states(&self, dataset: Option<i64>) -> DomainResult<Vec<LinkState>> {
        self.pool
            .read(move |conn| links::states(conn, dataset))
            .await
    }

    async fn save_link_states(&self, states: &[LinkState]) -> DomainResult<()> {
        let states = states.to_vec();
        self.pool.write(move |tx| links::save(tx, &states)).await
    }

    async fn update_dataset(
        &self,
        id: i64,
        record: &DatasetRecord,
        at: Timestamp,
        actor: &str,
        audit: AuditEvent,
    ) -> DomainResult<Dataset> {
        let record = record.clone();
        let actor = actor.to_string();
        self.pool
            .write(move |tx| {
                let before = must(tx, id)?;
                write::update_dataset(
                    tx,
                    id,
                    &record,
                    &changes(&before.record, &record),
                    None,
                    None,
                    false,
                    at,
                    &actor,
                    &agency_name(tx, record.agency.as_str())?,
                )?;
                append(tx, audit)?;
                must(tx, id)
            })
            .await
    }

    async fn record_upload(
        &self,
        id: i64,
        record: &DatasetRecord,
        at: Timestamp,
        freshness: &FreshnessSnapshot,
        actor: &str,
        audit: AuditEvent,
    ) -> DomainResult<Dataset> {
        let record = record.clone();
        let actor = actor.to_string();
        let freshness = freshness.clone();
        self.pool
            .write(move |tx| {
                let before = must(tx, id)?;
                write::update_dataset(
                    tx,
                    id,
                    &record,
                    &changes(&before.record, &record),
                    Some(at),
                    Some(&freshness),
                    false,
                    at,
                    &actor,
                    &agency_name(tx, record.agency.as_str())?,
                )?;
                append(tx, audit)?;
                must(tx, id)
            })
            .await
    }

    async fn record_evidence(
        &self,
        id: i64,
        data_updated_at: Option<Timestamp>,
        reviewed_at: Option<Timestamp>,
        freshness: &FreshnessSnapshot,
        audit: AuditEvent,
    ) -> DomainResult<Dataset> {
        let freshness = freshness.clone();
        self.pool
            .write(move |tx| {
                let before = must(tx, id)?;
                tx.execute(
                    "UPDATE datasets SET data_updated_at = COALESCE(?2, data_updated_at),
                            reviewed_at = COALESCE(?3, reviewed_at) WHERE id = ?1",
                    params![
                        id,
                        data_updated_at.map(|t| t.as_millis()),
                        reviewed_at.map(|t| t.as_millis())
                    ],
                )
                .map_err(db_err)?;
                write::set_freshness(tx, id, &freshness)?;
                write::refresh_freshness_facet(
                    tx,
                    id,
                    before.freshness.as_ref().map(|f| f.state.code()),
                    freshness.state.code(),
                    matches!(before.status, DatasetStatus::Active),
                )?;
                append(tx, audit)?;
                must(tx, id)
            })
            .await
    }

    async fn versions(&self, id: i64) -> DomainResult<Vec<DatasetVersion>> {
        self.pool
            .read(move |conn| {
                let mut stmt = conn
                    .prepare_cached("SELECT version, at, actor, changes FROM dataset_versions WHERE dataset_id = ?1 ORDER BY version DESC")
                    .map_err(db_err)?;
                stmt.query_map([id], |r| {
                    let changes: String = r.get(3)?;
                    Ok(DatasetVersion {
                        version: r.get(0)?,
                        at: ts(r.get(1)?)?,
                        actor: r.get(2)?,
                        changes: serde_json::from_str(&changes).unwrap_or_default(),
                    })
                })
                .map_err(db_err)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(db_err)
            })
            .await
    }

    async fn search(&self, query: &SearchQuery) -> DomainResult<SearchResult> {
        let query = query.clone();
        match &self.search_index {
            Some(index) => {
                let index = index.clone();
                self.pool
                    .read(move |conn| search::search_indexed(conn, &index, &query))
                    .await
            }
            None => {
                self.pool
                    .read(move |conn| search::search(conn, &query))
                    .await
            }
        }
    }

    async fn freshness_rows(&self) -> DomainResult<Vec<FreshnessRow>> {
        self.pool
            .read(|conn| {
                let mut stmt = conn
                    .prepare_cached(
                        // Unreachable: checked, and no address with fewer than two failures in a row
                        // (civitas_core::catalog::links::UNREACHABLE_AFTER).
                        "SELECT d.id, d.frequency, d.data_updated_at, d.reviewed_at, d.status = 'withdrawn', d.agency,
                                d.series, d.series_year, dead.at
                         FROM datasets d
                         LEFT JOIN (SELECT dataset_id, MAX(checked_at) AS at FROM link_checks
                                    GROUP BY dataset_id HAVING SUM(failures < 2) = 0) dead
                           ON dead.dataset_id = d.id",
                    )
                    .map_err(db_err)?;
                stmt.query_map([], |r| {
                    Ok(FreshnessRow {
                        id: r.get(0)?,
                        frequency: r.get(1)?,
                        data_updated_at: opt_ts(r.get(2)?)?,
                        reviewed_at: opt_ts(r.get(3)?)?,
                        withdrawn: r.get(4)?,
                        agency: r.get(5)?,
                        series: r.get(6)?,
                        series_year: r.get(7)?,
                        unreachable_at: opt_ts(r.get(8)?)?,
                    })
                })
                .map_err(db_err)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(db_err)
            })
            .await
    }

    async fn store_freshness(
        &self,
        snapshots: &[(i64, FreshnessSnapshot)],
        day: &str,
        history: &[FreshnessHistoryRow],
    ) -> DomainResult<FreshnessStored> {
        let snapshots = snapshots.to_vec();
        let day = day.to_string();
        let history = history.to_vec();
        self.pool
            .write(move |tx| {
                // Compare with what each dataset holds (streamed from the narrow table, no
                // copies) so that only assessments that differ are written: an hourly
                // recompute that finds nothing new writes nothing but the day's history.
                let at: HashMap<i64, usize> = snapshots
                    .iter()
                    .enumerate()
                    .map(|(i, (id, _))| (*id, i))
                    .collect();
                let mut held: Vec<Option<Option<String>>> = vec![None; snapshots.len()];
                {
                    let mut stmt = tx
                        .prepare(
                            "SELECT dataset_id, state, due_at, explanation_zh, explanation_en
                             FROM dataset_freshness",
                        )
                        .map_err(db_err)?;
                    let mut rows = stmt.query([]).map_err(db_err)?;
                    while let Some(r) = rows.next().map_err(db_err)? {
                        let id: i64 = r.get(0).map_err(db_err)?;
                        let Some((i, (_, snap))) =
                            at.get(&id).and_then(|i| snapshots.get(*i).map(|s| (*i, s)))
                        else {
                            continue;
                        };
                        let text = |col: usize| r.get_ref(col).ok().and_then(|v| v.as_str().ok());
                        let state = text(1);
                        let same = state == Some(snap.state.code())
                            && r.get::<_, Option<i64>>(2).map_err(db_err)?
                                == snap.due_at.map(|t| t.as_millis())
                            && text(3) == Some(snap.explanation.zh.as_str())
                            && text(4) == Some(snap.explanation.en.as_str());
                        if let Some(slot) = held.get_mut(i) {
                            *slot = if same {
                                Some(None)
                            } else {
                                Some(Some(state.unwrap_or_default().to_string()))
                            };
                        }
                    }
                }
                // Withdrawn datasets, from the narrow status index: the status column sits
                // after the description, so asking each row would read all of its pages.
                let withdrawn: HashSet<i64> = {
                    let mut stmt = tx
                        .prepare_cached("SELECT id FROM datasets WHERE status != 'active'")
                        .map_err(db_err)?;
                    stmt.query_map([], |r| r.get(0))
                        .map_err(db_err)?
                        .collect::<rusqlite::Result<_>>()
                        .map_err(db_err)?
                };
                let mut changed = 0u64;
                let mut transitions = Vec::new();
                for ((id, snap), held) in snapshots.iter().zip(held) {
                    // None: never assessed; Some(None): unchanged; Some(Some(old)): differs.
                    let old = match held {
                        Some(None) => continue,
                        Some(Some(old)) => Some(old),
                        None => None,
                    };
                    let active = !withdrawn.contains(id);
                    write::set_freshness(tx, *id, snap)?;
                    let old = old.as_deref();
                    if old != Some(snap.state.code()) {
                        changed += 1;
                        if active && wants_notice(snap.state) {
                            transitions.push(transition(tx, *id, old, snap)?);
                        }
                    }
                    write::refresh_freshness_facet(tx, *id, old, snap.state.code(), active)?;
                }
                tx.execute("DELETE FROM freshness_history WHERE day = ?1", [&day]).map_err(db_err)?;
                {
                    let mut insert = tx
                        .prepare_cached(
                            "INSERT INTO freshness_history (day, agency, frequency_class, state, count)
                             VALUES (?1, ?2, ?3, ?4, ?5)",
                        )
                        .map_err(db_err)?;
                    for h in &history {
                        insert
                            .execute(params![
                                day,
                                h.agency,
                                h.frequency_class,
                                h.state,
                                i64::try_from(h.count).unwrap_or(i64::MAX)
                            ])
                            .map_err(db_err)?;
                    }
                }
                Ok(FreshnessStored {
                    changed,
                    transitions,
                })
            })
            .await
    }

    async fn freshness_history(&self, from_day: &str) -> DomainResult<Vec<FreshnessHistoryRow>> {
        let from = from_day.to_string();
        self.pool
            .read(move |conn| {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT day, agency, frequency_class, state, count FROM freshness_history
                         WHERE day >= ?1 ORDER BY day, agency",
                    )
                    .map_err(db_err)?;
                stmt.query_map([from], |r| {
                    Ok(FreshnessHistoryRow {
                        day: r.get(0)?,
                        agency: r.get(1)?,
                        frequency_class: r.get(2)?,
                        state: r.get(3)?,
                        count: u64::try_from(r.get::<_, i64>(4)?).unwrap_or(0),
                    })
                })
                .map_err(db_err)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(db_err)
            })
            .await
    }

    async fn active_datasets(&self) -> DomainResult<Vec<Dataset>> {
        self.pool
            .read(|conn| {
                let mut stmt = conn
                    .prepare(&format!(
                        "SELECT {COLUMNS} FROM datasets_assessed WHERE status = 'active' ORDER BY id"
                    ))
                    .map_err(db_err)?;
                stmt.query_map([], dataset)
                    .map_err(db_err)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(db_err)
            })
            .await
    }

    async fn count_datasets(&self) -> DomainResult<u64> {
        self.pool
            .read(|conn| {
                conn.query_row(
                    "SELECT COUNT(*) FROM datasets WHERE status = 'active'",
                    [],
                    |r| r.get::<_, i64>(0),
                )
                .map(|n| u64::try_from(n).unwrap_or(0))
                .map_err(db_err)
            })
            .await
    }
}

/// A dataset's change of state, with what a notice about it needs.
fn transition(
    tx: &Transaction<'_>,
    id: i64,
    old: Option<&str>,
    snap: &FreshnessSnapshot,
) -> DomainResult<FreshnessTransition> {
    let (identifier, agency, title_zh) = tx
        .query_row(
            "SELECT identifier, agency, title_zh FROM datasets WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .map_err(db_err)?;
    Ok(FreshnessTransition {
        id,
        identifier,
        agency,
        title_zh,
        old_state: old.and_then(|o| FreshnessState::ALL.into_iter().find(|s| s.code() == o)),
        new_state: snap.state,
        due_at: snap.due_at,
    })
}
