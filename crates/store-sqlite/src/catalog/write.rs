//! Writing datasets: the row, its facet values and totals, its search text and its versions,
//! always together so that search and counts never disagree with the records.

use civitas_core::catalog::{
    DatasetRecord, FreshnessSnapshot, frequency_class, index_tokens, series_key,
};
use civitas_core::error::DomainResult;
use civitas_core::time::Timestamp;
use rusqlite::{OptionalExtension, Transaction, params};

use crate::convert::db_err;

/// Execute through the connection's statement cache: imports run these per dataset.
fn run<P: rusqlite::Params>(tx: &Transaction<'_>, sql: &str, params: P) -> rusqlite::Result<usize> {
    tx.prepare_cached(sql)?.execute(params)
}

/// The facet values a dataset contributes.
pub(crate) fn facet_values(
    record: &DatasetRecord,
    freshness: Option<&str>,
) -> Vec<(&'static str, String)> {
    let mut out = vec![
        ("agency", record.agency.to_string()),
        (
            "category",
            record.category.clone().unwrap_or_else(|| "(未分類)".into()),
        ),
        (
            "frequency",
            frequency_class(&record.frequency()).to_string(),
        ),
        ("access", record.access_level.code().to_string()),
        (
            "license",
            record.license.clone().unwrap_or_else(|| "(未填寫)".into()),
        ),
        ("kind", record.kind.code().to_string()),
    ];
    for format in record.formats() {
        out.push(("format", format));
    }
    if let Some(state) = freshness {
        out.push(("freshness", state.to_string()));
    }
    out
}

fn bump_total(tx: &Transaction<'_>, facet: &str, value: &str, by: i64) -> DomainResult<()> {
    run(
        tx,
        "INSERT INTO dataset_facet_totals (facet, value, count) VALUES (?1, ?2, ?3)
         ON CONFLICT (facet, value) DO UPDATE SET count = count + excluded.count",
        params![facet, value, by],
    )
    .map_err(db_err)?;
    Ok(())
}

/// Remove a dataset's facet rows and take them off the totals (when it counted there).
pub(crate) fn clear_facets(tx: &Transaction<'_>, id: i64, counted: bool) -> DomainResult<()> {
    if counted {
        let mut stmt = tx
            .prepare_cached("SELECT facet, value FROM dataset_facets WHERE dataset_id = ?1")
            .map_err(db_err)?;
        let rows: Vec<(String, String)> = stmt
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(db_err)?
            .collect::<rusqlite::Result<_>>()
            .map_err(db_err)?;
        for (facet, value) in rows {
            bump_total(tx, &facet, &value, -1)?;
        }
    }
    run(tx, "DELETE FROM dataset_facets WHERE dataset_id = ?1", [id]).map_err(db_err)?;
    Ok(())
}

pub(crate) fn write_facets(
    tx: &Transaction<'_>,
    id: i64,
    record: &DatasetRecord,
    freshness: Option<&str>,
    active: bool,
) -> DomainResult<()> {
    let mut stmt = tx
        .prepare_cached("INSERT INTO dataset_facets (dataset_id, facet, value) VALUES (?1, ?2, ?3)")
        .map_err(db_err)?;
    for (facet, value) in facet_values(record, freshness) {
        stmt.execute(params![id, facet, value]).map_err(db_err)?;
        if active {
            bump_total(tx, facet, &value, 1)?;
        }
    }
    Ok(())
}

pub(crate) fn write_search(
    tx: &Transaction<'_>,
    id: i64,
    record: &DatasetRecord,
    agency_names: &str,
) -> DomainResult<()> {
    run(tx, "DELETE FROM dataset_search WHERE rowid = ?1", [id]).map_err(db_err)?;
    let title = format!(
        "{} {}",
        record.title_zh,
        record.title_en.as_deref().unwrap_or("")
    );
    let description = format!(
        "{} {}",
        record.description_zh,
        record.description_en.as_deref().unwrap_or("")
    );
    let fields: Vec<String> = record
        .fields
        .iter()
        .map(|f| format!("{} {}", f.name, f.label.as_deref().unwrap_or("")))
        .collect();
    run(
        tx,
        "INSERT INTO dataset_search (rowid, title, keywords, description, fields, agency) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            id,
            index_tokens(&title),
            index_tokens(&record.keywords.join(" ")),
            index_tokens(&description),
            index_tokens(&fields.join(" ")),
            index_tokens(agency_names)
        ],
    )
    .map_err(db_err)?;
    Ok(())
}

pub(crate) fn record_json(record: &DatasetRecord) -> DomainResult<String> {
    serde_json::to_string(record).map_err(civitas_core::DomainError::store)
}

/// Insert a new dataset; returns its id.
#[allow(clippy::too_many_arguments)]
pub(crate) fn insert_dataset(
    tx: &Transaction<'_>,
    source: &str,
    record: &DatasetRecord,
    data_updated_at: Option<Timestamp>,
    freshness: Option<&FreshnessSnapshot>,
    at: Timestamp,
    actor: &str,
    agency_names: &str,
) -> DomainResult<i64> {
    let series = series_key(&record.title_zh);
    run(
        tx,
        "INSERT INTO datasets (source, source_key, identifier, agency, title_zh, title_en, description_zh, frequency,
                               access_level, formats, series, series_year, record, version, status, created_at,
                               updated_at, seen_at, data_updated_at)
         VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 1, 'active', ?13, ?13, ?13, ?14)",
        params![
            source,
            record.identifier,
            record.agency.as_str(),
            record.title_zh,
            record.title_en,
            record.description_zh,
            record.frequency,
            record.access_level.code(),
            record.formats().join(","),
            series.as_ref().map(|s| s.0.clone()),
            series.map(|s| s.1),
            record_json(record)?,
            at.as_millis(),
            data_updated_at.map(|t| t.as_millis())
        ],
    )
    .map_err(crate::convert::unique_or_db("dataset", &record.identifier))?;
    let id = tx.last_insert_rowid();
    if let Some(f) = freshness {
        set_freshness(tx, id, f)?;
    }
    write_facets(tx, id, record, freshness.map(|f| f.state.code()), true)?;
    write_search(tx, id, record, agency_names)?;
    run(
        tx,
        "INSERT INTO dataset_versions (dataset_id, version, at, actor, changes) VALUES (?1, 1, ?2, ?3, ?4)",
        params![id, at.as_millis(), actor, serde_json::json!({"created": true}).to_string()],
    )
    .map_err(db_err)?;
    Ok(id)
}

/// Replace a dataset's description with a new version.
#[allow(clippy::too_many_arguments)]
pub(crate) fn update_dataset(
    tx: &Transaction<'_>,
    id: i64,
    record: &DatasetRecord,
    changes: &serde_json::Value,
    data_updated_at: Option<Timestamp>,
    freshness: Option<&FreshnessSnapshot>,
    reactivate: bool,
    at: Timestamp,
    actor: &str,
    agency_names: &str,
) -> DomainResult<()> {
    let (version, was_active): (i64, bool) = tx
        .query_row(
            "SELECT version, status = 'active' FROM datasets WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(db_err)?;
    let series = series_key(&record.title_zh);
    run(
        tx,
        "UPDATE datasets SET agency = ?2, title_zh = ?3, title_en = ?4, description_zh = ?5, frequency = ?6,
                access_level = ?7, formats = ?8, series = ?9, series_year = ?10, record = ?11, version = ?12,
                updated_at = ?13, seen_at = ?13, data_updated_at = COALESCE(?14, data_updated_at)
         WHERE id = ?1",
        params![
            id,
            record.agency.as_str(),
            record.title_zh,
            record.title_en,
            record.description_zh,
            record.frequency,
            record.access_level.code(),
            record.formats().join(","),
            series.as_ref().map(|s| s.0.clone()),
            series.map(|s| s.1),
            record_json(record)?,
            version + 1,
            at.as_millis(),
            data_updated_at.map(|t| t.as_millis())
        ],
    )
    .map_err(db_err)?;
    if reactivate {
        run(
            tx,
            "UPDATE datasets SET status = 'active', withdrawn_at = NULL WHERE id = ?1",
            [id],
        )
        .map_err(db_err)?;
    }
    if let Some(f) = freshness {
        set_freshness(tx, id, f)?;
    }
    let state: Option<String> = tx
        .query_row(
            "SELECT state FROM dataset_freshness WHERE dataset_id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()
        .map_err(db_err)?;
    clear_facets(tx, id, was_active)?;
    write_facets(tx, id, record, state.as_deref(), was_active || reactivate)?;
    write_search(tx, id, record, agency_names)?;
    run(
        tx,
        "INSERT INTO dataset_versions (dataset_id, version, at, actor, changes) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, version + 1, at.as_millis(), actor, changes.to_string()],
    )
    .map_err(db_err)?;
    Ok(())
}

pub(crate) fn set_freshness(
    tx: &Transaction<'_>,
    id: i64,
    f: &FreshnessSnapshot,
) -> DomainResult<()> {
    run(
        tx,
        "INSERT INTO dataset_freshness (dataset_id, state, assessed_at, due_at, explanation_zh, explanation_en)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (dataset_id) DO UPDATE SET state = excluded.state, assessed_at = excluded.assessed_at,
             due_at = excluded.due_at, explanation_zh = excluded.explanation_zh,
             explanation_en = excluded.explanation_en",
        params![
            id,
            f.state.code(),
            f.assessed_at.as_millis(),
            f.due_at.map(|t| t.as_millis()),
            f.explanation.zh,
            f.explanation.en
        ],
    )
    .map_err(db_err)?;
    Ok(())
}

/// Change only the freshness facet of a dataset (and the totals, when it is active).
pub(crate) fn refresh_freshness_facet(
    tx: &Transaction<'_>,
    id: i64,
    old: Option<&str>,
    new: &str,
    active: bool,
) -> DomainResult<()> {
    if old == Some(new) {
        return Ok(());
    }
    run(
        tx,
        "DELETE FROM dataset_facets WHERE dataset_id = ?1 AND facet = 'freshness'",
        [id],
    )
    .map_err(db_err)?;
    run(
        tx,
        "INSERT INTO dataset_facets (dataset_id, facet, value) VALUES (?1, 'freshness', ?2)",
        params![id, new],
    )
    .map_err(db_err)?;
    if active {
        if let Some(old) = old {
            bump_total(tx, "freshness", old, -1)?;
        }
        bump_total(tx, "freshness", new, 1)?;
    }
    Ok(())
}

pub(crate) fn withdraw(tx: &Transaction<'_>, id: i64, at: Timestamp) -> DomainResult<()> {
    let active: bool = tx
        .query_row(
            "SELECT status = 'active' FROM datasets WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .map_err(db_err)?;
    if !active {
        return Ok(());
    }
    let mut stmt = tx
        .prepare_cached("SELECT facet, value FROM dataset_facets WHERE dataset_id = ?1")
        .map_err(db_err)?;
    let rows: Vec<(String, String)> = stmt
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(db_err)?
        .collect::<rusqlite::Result<_>>()
        .map_err(db_err)?;
    for (facet, value) in rows {
        bump_total(tx, &facet, &value, -1)?;
    }
    run(
        tx,
        "UPDATE datasets SET status = 'withdrawn', withdrawn_at = ?2 WHERE id = ?1",
        params![id, at.as_millis()],
    )
    .map_err(db_err)?;
    Ok(())
}
