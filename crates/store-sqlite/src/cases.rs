//! Incidents, forensic engagements, follow-up actions and evidence (migration 0014). The domain
//! decides every change; this keeps the record whole, appends its history rows, keeps every
//! revision, and refuses a save made from an older revision than the one stored.

use async_trait::async_trait;
use civitas_core::agencies::AgencyCode;
use civitas_core::alerts::AlertGroupRow;
use civitas_core::audit::AuditEvent;
use civitas_core::cases::query::{
    ActionFilter, CaseFile, IncidentFilter, IncidentRow, IncidentScope, IncidentWrite,
    StoredDeadlines,
};
use civitas_core::cases::{
    Action, CustodyItem, Deadline, ForensicEngagement, Incident, RecordId, sha256_hex,
};
use civitas_core::error::{DomainError, DomainResult};
use civitas_core::page::{Page, PageRequest};
use civitas_core::ports::CaseStore;
use civitas_core::time::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::SqliteStore;
use crate::audit::append_all;
use crate::convert::{Params, bad_value, db_err, param_refs, ts, unique_or_db};

const INCIDENT_COLUMNS: &str = "id, title, agency, category, status, determination, level, rule_set, \
                                aware_at, next_due_at, opened_at, updated_at, revision";

/// The serde name of a unit variant (`in_progress`), as the columns hold it.
fn word<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn parse_word<T: DeserializeOwned>(r: &Row<'_>, i: usize, what: &str) -> rusqlite::Result<T> {
    let text: String = r.get(i)?;
    serde_json::from_value(serde_json::Value::String(text)).map_err(|_| bad_value(i, what))
}

fn to_json<T: Serialize>(value: &T) -> DomainResult<String> {
    serde_json::to_string(value).map_err(|e| DomainError::store(format!("cannot encode: {e}")))
}

fn from_json<T: DeserializeOwned>(text: &str) -> DomainResult<T> {
    serde_json::from_str(text)
        .map_err(|e| DomainError::store(format!("unexpected case record in the database: {e}")))
}

fn stale(what: &str, id: &str, stored: i64, expected: u32) -> DomainError {
    DomainError::conflict(
        format!(
            "{what} {id} 已被他人修改（目前版本 {stored}，您看到的是 {expected}），請重新載入後再試"
        ),
        format!(
            "someone else changed {what} {id} (revision {stored}, you saw {expected}); reload and try again"
        ),
    )
}

/// Checks the stored revision before a save: `NotFound` or `Conflict` when it is not `expected`.
fn check_revision(
    tx: &Transaction<'_>,
    table: &str,
    what: &'static str,
    id: &str,
    expected: u32,
) -> DomainResult<()> {
    let stored: Option<i64> = tx
        .query_row(
            &format!("SELECT revision FROM {table} WHERE id = ?1"),
            [id],
            |r| r.get(0),
        )
        .optional()
        .map_err(db_err)?;
    match stored {
        None => Err(DomainError::not_found(what, id)),
        Some(stored) if stored != i64::from(expected) => Err(stale(what, id, stored, expected)),
        Some(_) => Ok(()),
    }
}

fn count(tx: &Transaction<'_>, table: &str, key_column: &str, id: &str) -> DomainResult<usize> {
    let n: i64 = tx
        .query_row(
            &format!("SELECT COUNT(*) FROM {table} WHERE {key_column} = ?1"),
            [id],
            |r| r.get(0),
        )
        .map_err(db_err)?;
    Ok(usize::try_from(n).unwrap_or(0))
}

fn keep_revision(
    tx: &Transaction<'_>,
    object_type: &str,
    id: &str,
    revision: i64,
    at: Timestamp,
    record: &str,
) -> DomainResult<()> {
    tx.execute(
        "INSERT INTO case_revisions (object_type, object_id, revision, saved_at, record)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![object_type, id, revision, at.as_millis(), record],
    )
    .map_err(unique_or_db("case revision", id))?;
    Ok(())
}

fn put_files(tx: &Transaction<'_>, files: &[CaseFile], at: Timestamp) -> DomainResult<()> {
    for file in files {
        tx.execute(
            "INSERT INTO blobs (sha256, media_type, byte_size, content, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (sha256) DO NOTHING",
            params![
                sha256_hex(&file.bytes),
                file.media_type,
                file.bytes.len() as i64,
                file.bytes,
                at.as_millis()
            ],
        )
        .map_err(db_err)?;
    }
    Ok(())
}

fn ms(at: Option<Timestamp>) -> Option<i64> {
    at.map(|t| t.as_millis())
}

// ---------------------------------------------------------------- incidents

fn write_incident(tx: &Transaction<'_>, write: &IncidentWrite, create: bool) -> DomainResult<()> {
    let i = &write.incident;
    let id = i.id.as_str();
    let record = to_json(i)?;
    let level = i.level().map(|l| i64::from(l.get()));
    let values = params![
        id,
        i.title,
        i.agency.as_str(),
        word(&i.category),
        word(&i.status),
        word(&i.determination),
        level,
        i.rule_set,
        i.aware_at().as_millis(),
        ms(write.next_due_at),
        i.opened_at.as_millis(),
        i.opened_by.as_str(),
        i.updated_at.as_millis(),
        i64::from(i.revision),
        record,
    ];
    if create {
        tx.execute(
            "INSERT INTO incidents (id, title, agency, category, status, determination, level, rule_set,
                 aware_at, next_due_at, opened_at, opened_by, updated_at, revision, record)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            values,
        )
        .map_err(unique_or_db("incident", id))?;
        for group in &write.notifications {
            tx.execute(
                "INSERT INTO incident_notifications (incident_id, group_id) VALUES (?1, ?2)",
                params![id, group],
            )
            .map_err(db_err)?;
        }
    } else {
        tx.execute(
            "UPDATE incidents SET title = ?2, agency = ?3, category = ?4, status = ?5,
                 determination = ?6, level = ?7, rule_set = ?8, aware_at = ?9, next_due_at = ?10,
                 opened_at = ?11, opened_by = ?12, updated_at = ?13, revision = ?14, record = ?15
             WHERE id = ?1",
            values,
        )
        .map_err(db_err)?;
    }
    keep_revision(
        tx,
        "incident",
        id,
        i64::from(i.revision),
        i.updated_at,
        &record,
    )?;
    // Level assessments and timeline entries are appended; a withdrawn entry is marked.
    let known = count(tx, "incident_levels", "incident_id", id)?;
    for (seq, a) in i.levels.iter().enumerate().skip(known) {
        tx.execute(
            "INSERT INTO incident_levels (incident_id, seq, at, by_user, previous_level, level, why, assessment)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                id,
                seq as i64,
                a.at.as_millis(),
                a.by.as_str(),
                a.previous.map(|l| i64::from(l.get())),
                i64::from(a.decision.level.get()),
                a.why,
                to_json(a)?
            ],
        )
        .map_err(db_err)?;
    }
    let known = count(tx, "incident_timeline", "incident_id", id)?;
    for (seq, e) in i.timeline.iter().enumerate() {
        if seq >= known {
            tx.execute(
                "INSERT INTO incident_timeline (incident_id, seq, kind, at, recorded_at, by_user, note)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    id,
                    seq as i64,
                    e.kind.as_str(),
                    e.at.as_millis(),
                    e.recorded_at.as_millis(),
                    e.by.as_str(),
                    e.note
                ],
            )
            .map_err(db_err)?;
        }
        if let Some(w) = &e.withdrawn {
            tx.execute(
                "UPDATE incident_timeline SET withdrawn_at = ?3, withdrawn_by = ?4, withdrawn_why = ?5
                 WHERE incident_id = ?1 AND seq = ?2 AND withdrawn_at IS NULL",
                params![id, seq as i64, w.at.as_millis(), w.by.as_str(), w.why],
            )
            .map_err(db_err)?;
        }
    }
    if let Some(deadlines) = &write.deadlines {
        insert_deadlines(tx, i, deadlines)?;
    }
    append_all(tx, write.audit.clone())
}

fn insert_deadlines(
    tx: &Transaction<'_>,
    i: &Incident,
    deadlines: &[Deadline],
) -> DomainResult<()> {
    let level = i.level().map(|l| i64::from(l.get()));
    for d in deadlines {
        tx.execute(
            "INSERT INTO incident_deadlines (incident_id, revision, obligation, rule_set, level,
                 started_at, due_at, computed_at, deadline)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                i.id.as_str(),
                i64::from(i.revision),
                d.obligation.as_str(),
                d.rule_set,
                level,
                ms(d.started_at),
                ms(d.due_at),
                i.updated_at.as_millis(),
                to_json(d)?
            ],
        )
        .map_err(unique_or_db("deadline", i.id.as_str()))?;
    }
    Ok(())
}

fn incident_row(r: &Row<'_>) -> rusqlite::Result<IncidentRow> {
    let id: String = r.get(0)?;
    let agency: String = r.get(2)?;
    Ok(IncidentRow {
        id: RecordId::parse(&id).map_err(|_| bad_value(0, "incident id"))?,
        title: r.get(1)?,
        agency: AgencyCode::parse(&agency).map_err(|_| bad_value(2, "agency code"))?,
        category: parse_word(r, 3, "incident category")?,
        status: parse_word(r, 4, "incident status")?,
        determination: parse_word(r, 5, "determination")?,
        level: r
            .get::<_, Option<i64>>(6)?
            .and_then(|l| u8::try_from(l).ok()),
        rule_set: r.get(7)?,
        aware_at: ts(r.get(8)?)?,
        next_due_at: r.get::<_, Option<i64>>(9)?.map(ts).transpose()?,
        opened_at: ts(r.get(10)?)?,
        updated_at: ts(r.get(11)?)?,
        revision: u32::try_from(r.get::<_, i64>(12)?).map_err(|_| bad_value(12, "revision"))?,
    })
}

fn record_of<T: DeserializeOwned>(
    conn: &Connection,
    sql: &str,
    id: &str,
) -> DomainResult<Option<T>> {
    let text: Option<String> = conn
        .query_row(sql, [id], |r| r.get(0))
        .optional()
        .map_err(db_err)?;
    text.map(|t| from_json(&t)).transpose()
}

fn records_of<T: DeserializeOwned>(
    conn: &Connection,
    sql: &str,
    params: &Params,
) -> DomainResult<Vec<T>> {
    let mut stmt = conn.prepare(sql).map_err(db_err)?;
    let texts = stmt
        .query_map(param_refs(params).as_slice(), |r| r.get::<_, String>(0))
        .map_err(db_err)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(db_err)?;
    texts.iter().map(|t| from_json(t)).collect()
}

fn visible_clause(column: &str, visible: &Option<Vec<AgencyCode>>, params: &mut Params) -> String {
    let Some(visible) = visible else {
        return String::new();
    };
    let marks = vec!["?"; visible.len()].join(", ");
    for code in visible {
        params.push(Box::new(code.as_str().to_string()));
    }
    if visible.is_empty() {
        " AND 0".to_string()
    } else {
        format!(" AND {column} IN ({marks})")
    }
}

// ---------------------------------------------------------------- engagements and actions

fn write_engagement(
    tx: &Transaction<'_>,
    e: &ForensicEngagement,
    create: bool,
    at: Timestamp,
) -> DomainResult<()> {
    let id = e.id.as_str();
    let record = to_json(e)?;
    let values = params![
        id,
        e.incident.as_str(),
        e.vendor,
        word(&e.status),
        e.report_due.as_millis(),
        e.requested_at.as_millis(),
        i64::from(e.revision),
        record
    ];
    if create {
        tx.execute(
            "INSERT INTO forensic_engagements (id, incident_id, vendor, status, report_due, requested_at, revision, record)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            values,
        )
        .map_err(unique_or_db("forensic engagement", id))?;
    } else {
        tx.execute(
            "UPDATE forensic_engagements SET incident_id = ?2, vendor = ?3, status = ?4, report_due = ?5,
                 requested_at = ?6, revision = ?7, record = ?8 WHERE id = ?1",
            values,
        )
        .map_err(db_err)?;
    }
    keep_revision(
        tx,
        "forensic_engagement",
        id,
        i64::from(e.revision),
        at,
        &record,
    )?;
    let known = count(tx, "forensic_reports", "engagement_id", id)?;
    for r in e.reports.iter().skip(known) {
        tx.execute(
            "INSERT INTO forensic_reports (engagement_id, version, sha256, file_name, byte_size,
                 received_at, received_by, sections)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                id,
                i64::from(r.version),
                r.sha256,
                r.file_name,
                i64::try_from(r.size).unwrap_or(i64::MAX),
                r.received_at.as_millis(),
                r.received_by.as_str(),
                to_json(&r.sections)?
            ],
        )
        .map_err(|e| match &e {
            rusqlite::Error::SqliteFailure(f, _)
                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                DomainError::invalid(
                    "file",
                    civitas_core::text::Text::new(
                        "報告版本須附上檔案，且不能重複或覆寫既有版本",
                        "a report version needs its file and never replaces an earlier version",
                    ),
                )
            }
            _ => db_err(e),
        })?;
    }
    let known = count(tx, "forensic_findings", "engagement_id", id)?;
    for f in e.findings.iter().skip(known) {
        tx.execute(
            "INSERT INTO forensic_findings (engagement_id, finding_id, root_cause, report_version,
                 recorded_at, recorded_by, finding)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                id,
                f.id.as_str(),
                word(&f.root_cause),
                i64::from(f.from_version),
                f.recorded_at.as_millis(),
                f.recorded_by.as_str(),
                to_json(f)?
            ],
        )
        .map_err(unique_or_db("finding", f.id.as_str()))?;
    }
    Ok(())
}

fn write_action(tx: &Transaction<'_>, a: &Action, create: bool) -> DomainResult<()> {
    let id = a.id.as_str();
    let record = to_json(a)?;
    let values = params![
        id,
        a.incident.as_str(),
        a.finding.as_ref().map(|f| f.as_str().to_string()),
        a.owner_agency.as_str(),
        a.owner.as_str(),
        word(&a.status),
        word(&a.priority),
        a.due_at.as_millis(),
        ms(a.verified_at),
        a.verified_by.as_ref().map(|u| u.as_str().to_string()),
        a.created_at.as_millis(),
        a.updated_at.as_millis(),
        i64::from(a.revision),
        record
    ];
    if create {
        tx.execute(
            "INSERT INTO case_actions (id, incident_id, finding_id, owner_agency, owner, status, priority,
                 due_at, verified_at, verified_by, created_at, updated_at, revision, record)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            values,
        )
        .map_err(unique_or_db("action", id))?;
    } else {
        tx.execute(
            "UPDATE case_actions SET incident_id = ?2, finding_id = ?3, owner_agency = ?4, owner = ?5,
                 status = ?6, priority = ?7, due_at = ?8, verified_at = ?9, verified_by = ?10,
                 created_at = ?11, updated_at = ?12, revision = ?13, record = ?14
             WHERE id = ?1",
            values,
        )
        .map_err(db_err)?;
    }
    keep_revision(
        tx,
        "action",
        id,
        i64::from(a.revision),
        a.updated_at,
        &record,
    )?;
    let known = count(tx, "case_action_history", "action_id", id)?;
    for (seq, h) in a.history.iter().enumerate().skip(known) {
        tx.execute(
            "INSERT INTO case_action_history (action_id, seq, from_status, to_status, at, by_user, note)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                id,
                seq as i64,
                word(&h.from),
                word(&h.to),
                h.at.as_millis(),
                h.by.as_ref().map(|u| u.as_str().to_string()),
                h.note
            ],
        )
        .map_err(db_err)?;
    }
    let known = count(tx, "case_action_evidence", "action_id", id)?;
    for (seq, e) in a.evidence.iter().enumerate().skip(known) {
        tx.execute(
            "INSERT INTO case_action_evidence (action_id, seq, name, sha256, added_by, added_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                id,
                seq as i64,
                e.name,
                e.sha256,
                e.added_by.as_str(),
                e.added_at.as_millis()
            ],
        )
        .map_err(|err| match &err {
            rusqlite::Error::SqliteFailure(f, _)
                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                DomainError::invalid(
                    "evidence",
                    civitas_core::text::Text::new(
                        format!("證據 {} 的檔案未隨同上傳", e.name),
                        format!("the file of evidence {} was not sent with it", e.name),
                    ),
                )
            }
            _ => db_err(err),
        })?;
    }
    let known = count(tx, "case_action_extensions", "action_id", id)?;
    for (seq, x) in a.extensions.iter().enumerate().skip(known) {
        tx.execute(
            "INSERT INTO case_action_extensions (action_id, seq, from_due, to_due, reason, requested_by, approved_by, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                id,
                seq as i64,
                x.from.as_millis(),
                x.to.as_millis(),
                x.reason,
                x.requested_by.as_str(),
                x.approved_by.as_str(),
                x.at.as_millis()
            ],
        )
        .map_err(db_err)?;
    }
    let known = count(tx, "case_action_recurrence_checks", "action_id", id)?;
    for (seq, c) in a.recurrence_checks.iter().enumerate().skip(known) {
        tx.execute(
            "INSERT INTO case_action_recurrence_checks (action_id, seq, after_days, at, evidence)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                id,
                seq as i64,
                i64::from(c.after_days),
                c.at.as_millis(),
                to_json(&c.evidence)?
            ],
        )
        .map_err(db_err)?;
    }
    Ok(())
}

fn write_evidence_item(
    tx: &Transaction<'_>,
    item: &CustodyItem,
    create: bool,
    at: Timestamp,
) -> DomainResult<()> {
    let id = item.id.as_str();
    let record = to_json(item)?;
    if create {
        tx.execute(
            "INSERT INTO evidence_items (id, incident_id, name, collected_by, collected_at, sha256, record)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                id,
                item.incident.as_str(),
                item.name,
                item.collected_by,
                item.collected_at.as_millis(),
                item.sha256,
                record
            ],
        )
        .map_err(unique_or_db("evidence item", id))?;
    } else {
        tx.execute(
            "UPDATE evidence_items SET record = ?2 WHERE id = ?1",
            params![id, record],
        )
        .map_err(db_err)?;
    }
    let known = count(tx, "evidence_handovers", "item_id", id)?;
    for (seq, h) in item.handovers.iter().enumerate().skip(known) {
        tx.execute(
            "INSERT INTO evidence_handovers (item_id, seq, from_holder, to_holder, at, purpose, recorded_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                id,
                seq as i64,
                h.from,
                h.to,
                h.at.as_millis(),
                h.purpose,
                h.recorded_by.as_str()
            ],
        )
        .map_err(db_err)?;
    }
    keep_revision(
        tx,
        "evidence",
        id,
        item.handovers.len() as i64 + 1,
        at,
        &record,
    )
}

#[async_trait]
impl CaseStore for SqliteStore {
    async fn next_case_number(&self, prefix: &str, year: i32) -> DomainResult<u32> {
        let prefix = prefix.to_string();
        self.pool
            .write(move |tx| {
                let last: i64 = tx
                    .query_row(
                        "INSERT INTO case_counters (prefix, year, last) VALUES (?1, ?2, 1)
                         ON CONFLICT (prefix, year) DO UPDATE SET last = last + 1
                         RETURNING last",
                        params![prefix, year],
                        |r| r.get(0),
                    )
                    .map_err(db_err)?;
                u32::try_from(last).map_err(|_| DomainError::store("case counter out of range"))
            })
            .await
    }

    async fn notifications_by_id(&self, ids: &[i64]) -> DomainResult<Vec<AlertGroupRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids = ids.to_vec();
        self.pool
            .read(move |conn| {
                let marks = vec!["?"; ids.len()].join(", ");
                let mut stmt = conn
                    .prepare(&format!(
                        "SELECT {} FROM alert_groups WHERE id IN ({marks}) ORDER BY id",
                        crate::alerts::GROUP_COLUMNS
                    ))
                    .map_err(db_err)?;
                let refs: Vec<&dyn rusqlite::ToSql> =
                    ids.iter().map(|i| i as &dyn rusqlite::ToSql).collect();
                stmt.query_map(refs.as_slice(), crate::alerts::group_row)
                    .map_err(db_err)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(db_err)
            })
            .await
    }

    async fn create_incident(&self, write: IncidentWrite) -> DomainResult<()> {
        self.pool
            .write(move |tx| write_incident(tx, &write, true))
            .await
    }

    async fn save_incident(
        &self,
        write: IncidentWrite,
        expected_revision: u32,
    ) -> DomainResult<()> {
        self.pool
            .write(move |tx| {
                check_revision(
                    tx,
                    "incidents",
                    "incident",
                    write.incident.id.as_str(),
                    expected_revision,
                )?;
                write_incident(tx, &write, false)
            })
            .await
    }

    async fn incident(&self, id: &RecordId) -> DomainResult<Option<Incident>> {
        let id = id.as_str().to_string();
        self.pool
            .read(move |conn| record_of(conn, "SELECT record FROM incidents WHERE id = ?1", &id))
            .await
    }

    async fn incidents(
        &self,
        filter: &IncidentFilter,
        page: PageRequest,
    ) -> DomainResult<Page<IncidentRow>> {
        let mut params: Params = Vec::new();
        let mut sql = visible_clause("agency", &filter.visible, &mut params);
        if let Some(agency) = &filter.agency {
            sql.push_str(" AND agency = ?");
            params.push(Box::new(agency.as_str().to_string()));
        }
        if let Some(status) = &filter.status {
            sql.push_str(" AND status = ?");
            params.push(Box::new(word(status)));
        }
        if filter.open {
            sql.push_str(" AND status <> 'closed'");
        }
        if let Some(before) = filter.due_before {
            sql.push_str(" AND next_due_at IS NOT NULL AND next_due_at < ?");
            params.push(Box::new(before.as_millis()));
        }
        self.pool
            .read(move |conn| {
                let total: i64 = conn
                    .query_row(
                        &format!("SELECT COUNT(*) FROM incidents WHERE 1=1{sql}"),
                        param_refs(&params).as_slice(),
                        |r| r.get(0),
                    )
                    .map_err(db_err)?;
                let mut stmt = conn
                    .prepare(&format!(
                        "SELECT {INCIDENT_COLUMNS} FROM incidents WHERE 1=1{sql}
                         ORDER BY next_due_at IS NULL, next_due_at, opened_at DESC, id DESC
                         LIMIT ? OFFSET ?"
                    ))
                    .map_err(db_err)?;
                let mut refs = param_refs(&params);
                let (limit, offset) = (page.limit() as i64, page.offset() as i64);
                refs.push(&limit);
                refs.push(&offset);
                let items = stmt
                    .query_map(refs.as_slice(), incident_row)
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

    async fn incidents_of_notification(&self, group_id: i64) -> DomainResult<Vec<RecordId>> {
        self.pool
            .read(move |conn| {
                let mut stmt = conn
                    .prepare(
                        "SELECT incident_id FROM incident_notifications WHERE group_id = ?1
                         ORDER BY incident_id",
                    )
                    .map_err(db_err)?;
                let ids = stmt
                    .query_map([group_id], |r| r.get::<_, String>(0))
                    .map_err(db_err)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(db_err)?;
                ids.iter()
                    .map(|id| {
                        RecordId::parse(id).map_err(|_| {
                            DomainError::store("unexpected incident id in the database")
                        })
                    })
                    .collect()
            })
            .await
    }

    async fn stored_deadlines(&self, incident: &RecordId) -> DomainResult<Vec<StoredDeadlines>> {
        let id = incident.as_str().to_string();
        self.pool
            .read(move |conn| {
                let mut stmt = conn
                    .prepare(
                        "SELECT revision, computed_at, deadline FROM incident_deadlines
                         WHERE incident_id = ?1 ORDER BY revision, rowid",
                    )
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map([id], |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, i64>(1)?,
                            r.get::<_, String>(2)?,
                        ))
                    })
                    .map_err(db_err)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(db_err)?;
                let mut out: Vec<StoredDeadlines> = Vec::new();
                for (revision, computed_at, text) in rows {
                    let revision = u32::try_from(revision)
                        .map_err(|_| DomainError::store("revision out of range"))?;
                    let deadline: Deadline = from_json(&text)?;
                    match out.last_mut() {
                        Some(last) if last.revision == revision => last.deadlines.push(deadline),
                        _ => out.push(StoredDeadlines {
                            revision,
                            computed_at: ts(computed_at).map_err(db_err)?,
                            deadlines: vec![deadline],
                        }),
                    }
                }
                Ok(out)
            })
            .await
    }

    async fn create_engagement(
        &self,
        engagement: &ForensicEngagement,
        audit: Vec<AuditEvent>,
    ) -> DomainResult<()> {
        let e = engagement.clone();
        self.pool
            .write(move |tx| {
                write_engagement(tx, &e, true, e.requested_at)?;
                append_all(tx, audit)
            })
            .await
    }

    async fn save_engagement(
        &self,
        engagement: &ForensicEngagement,
        expected_revision: u32,
        files: Vec<CaseFile>,
        audit: Vec<AuditEvent>,
    ) -> DomainResult<()> {
        let e = engagement.clone();
        let at = audit.first().map(|a| a.at).unwrap_or(e.requested_at);
        self.pool
            .write(move |tx| {
                check_revision(
                    tx,
                    "forensic_engagements",
                    "forensic engagement",
                    e.id.as_str(),
                    expected_revision,
                )?;
                put_files(tx, &files, at)?;
                write_engagement(tx, &e, false, at)?;
                append_all(tx, audit)
            })
            .await
    }

    async fn engagement(&self, id: &RecordId) -> DomainResult<Option<ForensicEngagement>> {
        let id = id.as_str().to_string();
        self.pool
            .read(move |conn| {
                record_of(
                    conn,
                    "SELECT record FROM forensic_engagements WHERE id = ?1",
                    &id,
                )
            })
            .await
    }

    async fn engagements(&self, incident: &RecordId) -> DomainResult<Vec<ForensicEngagement>> {
        let params: Params = vec![Box::new(incident.as_str().to_string())];
        self.pool
            .read(move |conn| {
                records_of(
                    conn,
                    "SELECT record FROM forensic_engagements WHERE incident_id = ? ORDER BY requested_at, id",
                    &params,
                )
            })
            .await
    }

    async fn create_action(&self, action: &Action, audit: Vec<AuditEvent>) -> DomainResult<()> {
        let a = action.clone();
        self.pool
            .write(move |tx| {
                write_action(tx, &a, true)?;
                append_all(tx, audit)
            })
            .await
    }

    async fn save_action(
        &self,
        action: &Action,
        expected_revision: u32,
        files: Vec<CaseFile>,
        audit: Vec<AuditEvent>,
    ) -> DomainResult<()> {
        let a = action.clone();
        self.pool
            .write(move |tx| {
                check_revision(
                    tx,
                    "case_actions",
                    "action",
                    a.id.as_str(),
                    expected_revision,
                )?;
                put_files(tx, &files, a.updated_at)?;
                write_action(tx, &a, false)?;
                append_all(tx, audit)
            })
            .await
    }

    async fn action(&self, id: &RecordId) -> DomainResult<Option<Action>> {
        let id = id.as_str().to_string();
        self.pool
            .read(move |conn| record_of(conn, "SELECT record FROM case_actions WHERE id = ?1", &id))
            .await
    }

    async fn actions(&self, filter: &ActionFilter) -> DomainResult<Vec<Action>> {
        let mut params: Params = Vec::new();
        let mut sql = visible_clause("owner_agency", &filter.visible, &mut params);
        if let Some(incident) = &filter.incident {
            sql.push_str(" AND incident_id = ?");
            params.push(Box::new(incident.as_str().to_string()));
        }
        if let Some(owner) = &filter.owner {
            sql.push_str(" AND owner = ?");
            params.push(Box::new(owner.as_str().to_string()));
        }
        if let Some(status) = &filter.status {
            sql.push_str(" AND status = ?");
            params.push(Box::new(word(status)));
        }
        self.pool
            .read(move |conn| {
                records_of(
                    conn,
                    &format!("SELECT record FROM case_actions WHERE 1=1{sql} ORDER BY due_at, id"),
                    &params,
                )
            })
            .await
    }

    async fn create_evidence_item(
        &self,
        item: &CustodyItem,
        file: CaseFile,
        audit: Vec<AuditEvent>,
    ) -> DomainResult<()> {
        let item = item.clone();
        let at = audit.first().map(|a| a.at).unwrap_or(item.collected_at);
        self.pool
            .write(move |tx| {
                put_files(tx, std::slice::from_ref(&file), at)?;
                write_evidence_item(tx, &item, true, at)?;
                append_all(tx, audit)
            })
            .await
    }

    async fn save_evidence_item(
        &self,
        item: &CustodyItem,
        expected_handovers: usize,
        audit: Vec<AuditEvent>,
    ) -> DomainResult<()> {
        let item = item.clone();
        let at = audit.first().map(|a| a.at).unwrap_or(item.collected_at);
        self.pool
            .write(move |tx| {
                let id = item.id.as_str();
                let exists: Option<i64> = tx
                    .query_row("SELECT 1 FROM evidence_items WHERE id = ?1", [id], |r| {
                        r.get(0)
                    })
                    .optional()
                    .map_err(db_err)?;
                if exists.is_none() {
                    return Err(DomainError::not_found("evidence item", id));
                }
                let stored = count(tx, "evidence_handovers", "item_id", id)?;
                if stored != expected_handovers {
                    return Err(stale(
                        "evidence item",
                        id,
                        stored as i64 + 1,
                        u32::try_from(expected_handovers + 1).unwrap_or(u32::MAX),
                    ));
                }
                write_evidence_item(tx, &item, false, at)?;
                append_all(tx, audit)
            })
            .await
    }

    async fn evidence_items(&self, incident: &RecordId) -> DomainResult<Vec<CustodyItem>> {
        let params: Params = vec![Box::new(incident.as_str().to_string())];
        self.pool
            .read(move |conn| {
                records_of(
                    conn,
                    "SELECT record FROM evidence_items WHERE incident_id = ? ORDER BY collected_at, id",
                    &params,
                )
            })
            .await
    }

    async fn incident_records(&self, scope: &IncidentScope) -> DomainResult<Vec<Incident>> {
        let mut params: Params = Vec::new();
        let mut sql = visible_clause("agency", &scope.visible, &mut params);
        if let Some(agency) = &scope.agency {
            sql.push_str(" AND agency = ?");
            params.push(Box::new(agency.as_str().to_string()));
        }
        if let Some(from) = scope.aware_from {
            sql.push_str(" AND aware_at >= ?");
            params.push(Box::new(from.as_millis()));
        }
        if let Some(to) = scope.aware_to {
            sql.push_str(" AND aware_at < ?");
            params.push(Box::new(to.as_millis()));
        }
        if scope.open {
            sql.push_str(" AND status <> 'closed'");
        }
        self.pool
            .read(move |conn| {
                records_of(
                    conn,
                    &format!("SELECT record FROM incidents WHERE 1=1{sql} ORDER BY aware_at, id"),
                    &params,
                )
            })
            .await
    }
}
