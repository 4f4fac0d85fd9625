//! Threat intelligence (migration 0015): STIX objects by version, indicators with their pattern
//! tests, alert matches and the city's sightings. The domain has planned every version and
//! every sighting; this keeps them.

use std::collections::{BTreeSet, HashMap};

use async_trait::async_trait;
use civitas_core::agencies::AgencyCode;
use civitas_core::alerts::{Fingerprint, Observable};
use civitas_core::audit::AuditEvent;
use civitas_core::error::{DomainError, DomainResult};
use civitas_core::import::ImportReport;
use civitas_core::intel::bundle::PlannedObject;
use civitas_core::intel::{
    AlertMatch, AlertObservables, CitySighting, IndexedIndicator, IndicatorFilter, IndicatorRow,
    Matchability, ObjectVersion, SightingFilter, SightingRow, SightingTally, StixId, StixObject,
    StixTimestamp, TestRow,
};
use civitas_core::page::{Page, PageRequest};
use civitas_core::ports::IntelStore;
use civitas_core::text::Text;
use civitas_core::time::Timestamp;
use rusqlite::{Connection, ErrorCode, OptionalExtension, Row, Transaction, params};

use crate::SqliteStore;
use crate::audit::append;
use crate::convert::{Params, bad_value, db_err, opt_ts, param_refs, ts};
use crate::imports::insert_run;

/// Look-ups go in chunks well under SQLite's limit on bound parameters.
const LOOKUP_CHUNK: usize = 500;

fn stix_id(r: &Row<'_>, i: usize) -> rusqlite::Result<StixId> {
    let text: String = r.get(i)?;
    StixId::parse(&text).map_err(|_| bad_value(i, "STIX id"))
}

fn opt_stix_id(r: &Row<'_>, i: usize) -> rusqlite::Result<Option<StixId>> {
    match r.get::<_, Option<String>>(i)? {
        Some(text) => StixId::parse(&text)
            .map(Some)
            .map_err(|_| bad_value(i, "STIX id")),
        None => Ok(None),
    }
}

fn stix_time(r: &Row<'_>, i: usize) -> rusqlite::Result<StixTimestamp> {
    let text: String = r.get(i)?;
    StixTimestamp::parse(&text).map_err(|_| bad_value(i, "STIX timestamp"))
}

fn stix_ms(r: &Row<'_>, i: usize) -> rusqlite::Result<StixTimestamp> {
    Ok(StixTimestamp::from_timestamp(ts(r.get(i)?)?))
}

fn count(r: &Row<'_>, i: usize) -> rusqlite::Result<u64> {
    Ok(u64::try_from(r.get::<_, i64>(i)?).unwrap_or(0))
}

fn write_object(
    tx: &Transaction<'_>,
    planned: &PlannedObject,
    run_id: i64,
    at: Timestamp,
) -> DomainResult<()> {
    let object = &planned.object;
    let id = object.id.as_str();
    let version = object.version();
    let raw = serde_json::to_string(&object.to_json()).map_err(DomainError::store)?;
    tx.execute(
        "UPDATE intel_objects SET current = 0 WHERE stix_id = ?1 AND current = 1",
        [id],
    )
    .map_err(db_err)?;
    let inserted = tx.execute(
        "INSERT INTO intel_objects (stix_id, object_type, version, version_at, import_run_id, stored_at,
                                    current, revoked, created_by_ref, raw)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8, ?9)",
        params![
            id,
            object.object_type(),
            version.map(|v| v.as_str()).unwrap_or(""),
            version.map(|v| v.at().as_millis()),
            run_id,
            at.as_millis(),
            object.revoked,
            object.created_by_ref.as_ref().map(|r| r.as_str()),
            raw,
        ],
    );
    match inserted {
        Ok(_) => {}
        Err(rusqlite::Error::SqliteFailure(f, _)) if f.code == ErrorCode::ConstraintViolation => {
            return Err(DomainError::AlreadyExists {
                what: "STIX object version",
                key: format!("{id}@{}", version.map(|v| v.as_str()).unwrap_or("")),
            });
        }
        Err(e) => return Err(db_err(e)),
    }
    let object_id = tx.last_insert_rowid();
    if let Some(indicator) = object.as_indicator() {
        let not_matchable = match &indicator.matchability {
            Matchability::Matchable(_) => None,
            Matchability::Unsupported(why) => {
                Some(serde_json::to_string(why).map_err(DomainError::store)?)
            }
        };
        let modified = version.map(|v| v.as_str()).unwrap_or("");
        let modified_at = version.map(|v| v.at().as_millis()).unwrap_or(0);
        tx.execute(
            "INSERT INTO intel_indicators (stix_id, object_id, name, pattern, pattern_type, valid_from,
                                           valid_until, revoked, not_matchable, created_by_ref, modified,
                                           modified_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
             ON CONFLICT (stix_id) DO UPDATE SET
                 object_id = excluded.object_id, name = excluded.name, pattern = excluded.pattern,
                 pattern_type = excluded.pattern_type, valid_from = excluded.valid_from,
                 valid_until = excluded.valid_until, revoked = excluded.revoked,
                 not_matchable = excluded.not_matchable, created_by_ref = excluded.created_by_ref,
                 modified = excluded.modified, modified_at = excluded.modified_at",
            params![
                id,
                object_id,
                indicator.name,
                indicator.pattern,
                indicator.pattern_type,
                indicator.valid_from.at().as_millis(),
                indicator.valid_until.as_ref().map(|u| u.at().as_millis()),
                object.revoked,
                not_matchable,
                object.created_by_ref.as_ref().map(|r| r.as_str()),
                modified,
                modified_at,
            ],
        )
        .map_err(db_err)?;
        tx.execute("DELETE FROM intel_indicator_tests WHERE stix_id = ?1", [id])
            .map_err(db_err)?;
        if let Matchability::Matchable(plan) = &indicator.matchability {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO intel_indicator_tests (stix_id, alternative, position, kind, value)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(db_err)?;
            for (alternative, tests) in plan.alternatives.iter().enumerate() {
                for (position, test) in tests.iter().enumerate() {
                    let row = TestRow::of(test);
                    insert
                        .execute(params![
                            id,
                            alternative as i64,
                            position as i64,
                            row.kind,
                            row.value
                        ])
                        .map_err(db_err)?;
                }
            }
        }
    }
    Ok(())
}

fn tests_of(conn: &Connection, id: &str) -> DomainResult<Vec<TestRow>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT kind, value FROM intel_indicator_tests WHERE stix_id = ?1 ORDER BY alternative, position",
        )
        .map_err(db_err)?;
    stmt.query_map([id], |r| {
        Ok(TestRow {
            kind: r.get(0)?,
            value: r.get(1)?,
        })
    })
    .map_err(db_err)?
    .collect::<rusqlite::Result<Vec<_>>>()
    .map_err(db_err)
}

const INDICATOR_COLUMNS: &str = "i.stix_id, i.name, i.pattern, i.pattern_type, i.valid_from, i.valid_until, \
     i.revoked, i.not_matchable, i.created_by_ref, i.modified, \
     (SELECT COUNT(*) FROM intel_objects o WHERE o.stix_id = i.stix_id)";

fn indicator_row(r: &Row<'_>) -> rusqlite::Result<IndicatorRow> {
    let not_matchable = match r.get::<_, Option<String>>(7)? {
        Some(json) => {
            Some(serde_json::from_str::<Text>(&json).map_err(|_| bad_value(7, "reason"))?)
        }
        None => None,
    };
    Ok(IndicatorRow {
        id: stix_id(r, 0)?,
        name: r.get(1)?,
        pattern: r.get(2)?,
        pattern_type: r.get(3)?,
        valid_from: ts(r.get(4)?)?,
        valid_until: opt_ts(r.get(5)?)?,
        revoked: r.get(6)?,
        not_matchable,
        created_by_ref: opt_stix_id(r, 8)?,
        modified: r.get(9)?,
        versions: count(r, 10)?,
        tests: Vec::new(),
    })
}

const SIGHTING_COLUMNS: &str = "s.stix_id, s.indicator, s.group_key, s.where_sighted, s.first_seen, s.last_seen, \
     s.alert_count, s.created, s.modified, s.group_id, g.agency, i.name";

fn sighting(r: &Row<'_>) -> rusqlite::Result<CitySighting> {
    Ok(CitySighting {
        id: stix_id(r, 0)?,
        sighting_of_ref: stix_id(r, 1)?,
        group_key: r.get(2)?,
        where_sighted_ref: stix_id(r, 3)?,
        observed_data_refs: Vec::new(),
        first_seen: stix_ms(r, 4)?,
        last_seen: stix_ms(r, 5)?,
        count: count(r, 6)?,
        created: stix_time(r, 7)?,
        modified: stix_time(r, 8)?,
    })
}

fn sighting_row(r: &Row<'_>) -> rusqlite::Result<SightingRow> {
    let agency = match r.get::<_, Option<String>>(10)? {
        Some(text) if !text.is_empty() => {
            Some(AgencyCode::parse(&text).map_err(|_| bad_value(10, "agency code"))?)
        }
        _ => None,
    };
    Ok(SightingRow {
        sighting: sighting(r)?,
        group_id: r.get(9)?,
        agency,
        indicator_name: r.get(11)?,
    })
}

/// What the stored matches of `indicator` in notification `group_id` add up to.
fn tally(
    tx: &Transaction<'_>,
    indicator: &str,
    group_id: i64,
) -> DomainResult<Option<SightingTally>> {
    let found = tx
        .query_row(
            "SELECT g.window_start, g.group_key, MIN(a.observed_at), MAX(a.observed_at), COUNT(*)
             FROM intel_matches m
             JOIN alerts a ON a.id = m.alert_id
             JOIN alert_groups g ON g.id = a.group_id
             WHERE m.indicator = ?1 AND a.group_id = ?2
             GROUP BY g.id",
            params![indicator, group_id],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    ts(r.get(2)?)?,
                    ts(r.get(3)?)?,
                    count(r, 4)?,
                ))
            },
        )
        .optional()
        .map_err(db_err)?;
    let Some((window_start, key, first_seen, last_seen, matched)) = found else {
        return Ok(None);
    };
    let stored = tx
        .query_row(
            &format!(
                "SELECT {SIGHTING_COLUMNS} FROM intel_sightings s
                 JOIN alert_groups g ON g.id = s.group_id
                 LEFT JOIN intel_indicators i ON i.stix_id = s.indicator
                 WHERE s.indicator = ?1 AND s.group_id = ?2"
            ),
            params![indicator, group_id],
            sighting,
        )
        .optional()
        .map_err(db_err)?;
    Ok(Some(SightingTally {
        indicator: StixId::parse(indicator).map_err(|why| DomainError::store(why.en))?,
        group_id,
        group_key: format!("{window_start}|{key}"),
        first_seen,
        last_seen,
        count: matched,
        stored,
    }))
}

#[async_trait]
impl IntelStore for SqliteStore {
    async fn intel_versions(&self, ids: &[StixId]) -> DomainResult<HashMap<StixId, ObjectVersion>> {
        let wanted: Vec<String> = ids.iter().map(|id| id.as_str().to_string()).collect();
        self.pool
            .read(move |conn| {
                let mut found = HashMap::new();
                for chunk in wanted.chunks(LOOKUP_CHUNK) {
                    let marks = vec!["?"; chunk.len()].join(", ");
                    let mut stmt = conn
                        .prepare_cached(&format!(
                            "SELECT stix_id, version FROM intel_objects
                             WHERE current = 1 AND stix_id IN ({marks})"
                        ))
                        .map_err(db_err)?;
                    let rows = stmt
                        .query_map(rusqlite::params_from_iter(chunk), |r| {
                            Ok((stix_id(r, 0)?, r.get::<_, String>(1)?))
                        })
                        .map_err(db_err)?;
                    for row in rows {
                        let (id, version) = row.map_err(db_err)?;
                        let version = if version.is_empty() {
                            None
                        } else {
                            Some(
                                StixTimestamp::parse(&version)
                                    .map_err(|why| DomainError::store(why.en))?,
                            )
                        };
                        found.insert(id, ObjectVersion(version));
                    }
                }
                Ok(found)
            })
            .await
    }

    async fn store_intel_import(
        &self,
        objects: Vec<PlannedObject>,
        report: &ImportReport,
        started_at: Timestamp,
        at: Timestamp,
        actor_name: &str,
        audit: AuditEvent,
    ) -> DomainResult<i64> {
        let report = report.clone();
        let actor = actor_name.to_string();
        self.pool
            .write(move |tx| {
                let run_id = insert_run(tx, &report, started_at, at, &actor)?;
                for planned in &objects {
                    write_object(tx, planned, run_id, at)?;
                }
                append(tx, audit)?;
                Ok(run_id)
            })
            .await
    }

    async fn indicator_generation(&self) -> DomainResult<i64> {
        self.pool
            .read(|conn| {
                conn.query_row(
                    "SELECT COALESCE(MAX(object_id), 0) FROM intel_indicators",
                    [],
                    |r| r.get(0),
                )
                .map_err(db_err)
            })
            .await
    }

    async fn indexed_indicators(&self) -> DomainResult<Vec<IndexedIndicator>> {
        self.pool
            .read(|conn| {
                let mut stmt = conn
                    .prepare(
                        "SELECT i.stix_id, i.name, i.valid_from, i.valid_until, t.alternative, t.kind, t.value
                         FROM intel_indicators i
                         JOIN intel_indicator_tests t ON t.stix_id = i.stix_id
                         WHERE i.revoked = 0 AND i.not_matchable IS NULL
                         ORDER BY i.stix_id, t.alternative, t.position",
                    )
                    .map_err(db_err)?;
                let mut rows = stmt.query([]).map_err(db_err)?;
                let mut out: Vec<IndexedIndicator> = Vec::new();
                let mut last_alternative = -1i64;
                while let Some(r) = rows.next().map_err(db_err)? {
                    let id: String = r.get(0).map_err(db_err)?;
                    let alternative: i64 = r.get(4).map_err(db_err)?;
                    let test = TestRow {
                        kind: r.get(5).map_err(db_err)?,
                        value: r.get(6).map_err(db_err)?,
                    };
                    let same = out.last().is_some_and(|i| i.id.as_str() == id);
                    if !same {
                        out.push(IndexedIndicator {
                            id: stix_id(r, 0).map_err(db_err)?,
                            name: r.get(1).map_err(db_err)?,
                            valid_from: ts(r.get(2).map_err(db_err)?).map_err(db_err)?,
                            valid_until: opt_ts(r.get(3).map_err(db_err)?).map_err(db_err)?,
                            alternatives: Vec::new(),
                        });
                        last_alternative = -1;
                    }
                    if let Some(indicator) = out.last_mut() {
                        if alternative != last_alternative {
                            indicator.alternatives.push(Vec::new());
                            last_alternative = alternative;
                        }
                        if let Some(tests) = indicator.alternatives.last_mut() {
                            tests.push(test);
                        }
                    }
                }
                Ok(out)
            })
            .await
    }

    async fn indicators(
        &self,
        filter: &IndicatorFilter,
        page: PageRequest,
    ) -> DomainResult<Page<IndicatorRow>> {
        let mut sql = String::new();
        let mut params: Params = Vec::new();
        if let Some(value) = &filter.value {
            sql.push_str(
                " AND i.stix_id IN (SELECT stix_id FROM intel_indicator_tests WHERE value = ?)",
            );
            params.push(Box::new(value.clone()));
        }
        if let Some(at) = filter.active_at {
            sql.push_str(
                " AND i.revoked = 0 AND i.not_matchable IS NULL AND i.valid_from <= ?
                  AND (i.valid_until IS NULL OR i.valid_until > ?)",
            );
            params.push(Box::new(at.as_millis()));
            params.push(Box::new(at.as_millis()));
        }
        self.pool
            .read(move |conn| {
                let total: i64 = conn
                    .query_row(
                        &format!("SELECT COUNT(*) FROM intel_indicators i WHERE 1=1{sql}"),
                        param_refs(&params).as_slice(),
                        |r| r.get(0),
                    )
                    .map_err(db_err)?;
                let mut stmt = conn
                    .prepare(&format!(
                        "SELECT {INDICATOR_COLUMNS} FROM intel_indicators i WHERE 1=1{sql}
                         ORDER BY i.modified_at DESC, i.stix_id LIMIT ? OFFSET ?"
                    ))
                    .map_err(db_err)?;
                let mut refs = param_refs(&params);
                let (limit, offset) = (page.limit() as i64, page.offset() as i64);
                refs.push(&limit);
                refs.push(&offset);
                let mut items = stmt
                    .query_map(refs.as_slice(), indicator_row)
                    .map_err(db_err)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(db_err)?;
                for item in &mut items {
                    item.tests = tests_of(conn, item.id.as_str())?;
                }
                Ok(Page {
                    items,
                    page: page.page,
                    per_page: page.per_page,
                    total: u64::try_from(total).unwrap_or(0),
                })
            })
            .await
    }

    async fn intel_objects_by(
        &self,
        object_type: &str,
        created_by: &StixId,
    ) -> DomainResult<Vec<StixObject>> {
        let object_type = object_type.to_string();
        let created_by = created_by.as_str().to_string();
        self.pool
            .read(move |conn| {
                let mut stmt = conn
                    .prepare(
                        "SELECT raw FROM intel_objects
                         WHERE object_type = ?1 AND current = 1 AND created_by_ref = ?2
                         ORDER BY stix_id",
                    )
                    .map_err(db_err)?;
                let raws = stmt
                    .query_map(params![object_type, created_by], |r| r.get::<_, String>(0))
                    .map_err(db_err)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(db_err)?;
                raws.iter()
                    .map(|raw| {
                        let value = serde_json::from_str(raw).map_err(DomainError::store)?;
                        StixObject::from_json(value).map_err(|why| DomainError::store(why.en))
                    })
                    .collect()
            })
            .await
    }

    async fn alerts_for_matching(
        &self,
        after_id: i64,
        limit: usize,
    ) -> DomainResult<Vec<AlertObservables>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.pool
            .read(move |conn| {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT id, fingerprint, observed_at, json_extract(record, '$.observables')
                         FROM alerts WHERE id > ?1 ORDER BY id LIMIT ?2",
                    )
                    .map_err(db_err)?;
                stmt.query_map(params![after_id, limit], |r| {
                    let bytes: Vec<u8> = r.get(1)?;
                    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                    let observables: Option<String> = r.get(3)?;
                    Ok(AlertObservables {
                        id: r.get(0)?,
                        fingerprint: Fingerprint::from_hex(&hex)
                            .ok_or_else(|| bad_value(1, "fingerprint"))?,
                        observed_at: ts(r.get(2)?)?,
                        observables: match observables {
                            Some(json) => serde_json::from_str::<Vec<Observable>>(&json)
                                .map_err(|_| bad_value(3, "observables"))?,
                            None => Vec::new(),
                        },
                    })
                })
                .map_err(db_err)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(db_err)
            })
            .await
    }

    async fn link_alert_matches(
        &self,
        matches: Vec<AlertMatch>,
        at: Timestamp,
    ) -> DomainResult<Vec<SightingTally>> {
        self.pool
            .write(move |tx| {
                let mut touched: BTreeSet<(String, i64)> = BTreeSet::new();
                {
                    let mut find = tx
                        .prepare_cached("SELECT id, group_id FROM alerts WHERE fingerprint = ?1")
                        .map_err(db_err)?;
                    let mut link = tx
                        .prepare_cached(
                            "INSERT OR IGNORE INTO intel_matches (alert_id, indicator, matched_at)
                             VALUES (?1, ?2, ?3)",
                        )
                        .map_err(db_err)?;
                    for m in &matches {
                        let alert = find
                            .query_row([m.fingerprint.as_bytes().as_slice()], |r| {
                                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
                            })
                            .optional()
                            .map_err(db_err)?;
                        let Some((alert_id, group_id)) = alert else {
                            continue;
                        };
                        link.execute(params![alert_id, m.indicator.as_str(), at.as_millis()])
                            .map_err(db_err)?;
                        touched.insert((m.indicator.as_str().to_string(), group_id));
                    }
                }
                let mut tallies = Vec::with_capacity(touched.len());
                for (indicator, group_id) in &touched {
                    tallies.extend(tally(tx, indicator, *group_id)?);
                }
                Ok(tallies)
            })
            .await
    }

    async fn save_sightings(
        &self,
        sightings: Vec<(i64, CitySighting)>,
        audit: Option<AuditEvent>,
    ) -> DomainResult<()> {
        self.pool
            .write(move |tx| {
                {
                    let mut upsert = tx
                        .prepare_cached(
                            "INSERT INTO intel_sightings (stix_id, indicator, group_id, group_key, where_sighted,
                                                          first_seen, last_seen, alert_count, created, modified)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                             ON CONFLICT (stix_id) DO UPDATE SET
                                 first_seen = MIN(first_seen, excluded.first_seen),
                                 last_seen = MAX(last_seen, excluded.last_seen),
                                 alert_count = MAX(alert_count, excluded.alert_count),
                                 modified = excluded.modified",
                        )
                        .map_err(db_err)?;
                    for (group_id, s) in &sightings {
                        upsert
                            .execute(params![
                                s.id.as_str(),
                                s.sighting_of_ref.as_str(),
                                group_id,
                                s.group_key,
                                s.where_sighted_ref.as_str(),
                                s.first_seen.at().as_millis(),
                                s.last_seen.at().as_millis(),
                                i64::try_from(s.count).unwrap_or(i64::MAX),
                                s.created.as_str(),
                                s.modified.as_str(),
                            ])
                            .map_err(db_err)?;
                    }
                }
                if let Some(audit) = audit {
                    append(tx, audit)?;
                }
                Ok(())
            })
            .await
    }

    async fn taxii_resume(&self, collection_key: &str) -> DomainResult<Option<String>> {
        let key = collection_key.to_string();
        self.pool
            .read(move |conn| {
                conn.query_row(
                    "SELECT added_after FROM intel_taxii_polls WHERE collection_key = ?1",
                    [key],
                    |r| r.get(0),
                )
                .optional()
                .map_err(db_err)
            })
            .await
    }

    async fn save_taxii_resume(
        &self,
        collection_key: &str,
        added_after: &str,
        at: Timestamp,
    ) -> DomainResult<()> {
        let (key, after) = (collection_key.to_string(), added_after.to_string());
        self.pool
            .write(move |tx| {
                tx.execute(
                    "INSERT INTO intel_taxii_polls (collection_key, added_after, polled_at)
                     VALUES (?1, ?2, ?3)
                     ON CONFLICT (collection_key) DO UPDATE SET
                         added_after = excluded.added_after, polled_at = excluded.polled_at",
                    params![key, after, at.as_millis()],
                )
                .map_err(db_err)?;
                Ok(())
            })
            .await
    }

    async fn sightings(
        &self,
        filter: &SightingFilter,
        page: PageRequest,
    ) -> DomainResult<Page<SightingRow>> {
        let mut sql = String::new();
        let mut params: Params = Vec::new();
        if let Some(visible) = &filter.visible {
            // Notifications of no agency are for city-wide readers only.
            let marks = vec!["?"; visible.len()].join(", ");
            sql.push_str(&format!(" AND g.agency IN ({marks})"));
            for code in visible {
                params.push(Box::new(code.as_str().to_string()));
            }
        }
        if let Some(indicator) = &filter.indicator {
            sql.push_str(" AND s.indicator = ?");
            params.push(Box::new(indicator.as_str().to_string()));
        }
        let from = "FROM intel_sightings s JOIN alert_groups g ON g.id = s.group_id
                    LEFT JOIN intel_indicators i ON i.stix_id = s.indicator";
        self.pool
            .read(move |conn| {
                let total: i64 = conn
                    .query_row(
                        &format!("SELECT COUNT(*) {from} WHERE 1=1{sql}"),
                        param_refs(&params).as_slice(),
                        |r| r.get(0),
                    )
                    .map_err(db_err)?;
                let mut stmt = conn
                    .prepare(&format!(
                        "SELECT {SIGHTING_COLUMNS} {from} WHERE 1=1{sql}
                         ORDER BY s.last_seen DESC, s.stix_id LIMIT ? OFFSET ?"
                    ))
                    .map_err(db_err)?;
                let mut refs = param_refs(&params);
                let (limit, offset) = (page.limit() as i64, page.offset() as i64);
                refs.push(&limit);
                refs.push(&offset);
                let items = stmt
                    .query_map(refs.as_slice(), sighting_row)
                    .map_err(db_err)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(db_err)?;
                Ok(Page {
                    items,
                    page: page.page,
                    per_page: page.per_page,
                    total: u64::try_from(total).unwrap_or(0),
                })
            })
            .await
    }
}
