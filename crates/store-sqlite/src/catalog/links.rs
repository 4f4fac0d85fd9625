//! The last check of each distribution address.

use civitas_core::catalog::links::LinkState;
use civitas_core::error::DomainResult;
use civitas_core::text::Text;
use rusqlite::{Connection, Transaction, params};

use crate::convert::{db_err, opt_ts, ts};

pub(crate) fn states(conn: &Connection, dataset: Option<i64>) -> DomainResult<Vec<LinkState>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT dataset_id, url, etag, last_modified, sha256, bytes, http_status, ok, reason_zh,
                    reason_en, checked_at, last_ok_at, failures
             FROM link_checks WHERE ?1 IS NULL OR dataset_id = ?1 ORDER BY dataset_id, url",
        )
        .map_err(db_err)?;
    stmt.query_map(params![dataset], |r| {
        let zh: Option<String> = r.get(8)?;
        let en: Option<String> = r.get(9)?;
        Ok(LinkState {
            dataset_id: r.get(0)?,
            url: r.get(1)?,
            etag: r.get(2)?,
            last_modified: r.get(3)?,
            sha256: r.get(4)?,
            bytes: r.get::<_, Option<i64>>(5)?.map(|b| b.max(0).unsigned_abs()),
            http_status: r.get(6)?,
            ok: r.get(7)?,
            reason: zh.map(|zh| Text::new(zh, en.unwrap_or_default())),
            checked_at: ts(r.get(10)?)?,
            last_ok_at: opt_ts(r.get(11)?)?,
            failures: r.get(12)?,
        })
    })
    .map_err(db_err)?
    .collect::<rusqlite::Result<Vec<_>>>()
    .map_err(db_err)
}

pub(crate) fn save(tx: &Transaction<'_>, states: &[LinkState]) -> DomainResult<()> {
    let mut stmt = tx
        .prepare_cached(
            "INSERT INTO link_checks (dataset_id, url, etag, last_modified, sha256, bytes, http_status, ok,
                                      reason_zh, reason_en, checked_at, last_ok_at, failures)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
             ON CONFLICT (dataset_id, url) DO UPDATE SET
                etag = excluded.etag, last_modified = excluded.last_modified, sha256 = excluded.sha256,
                bytes = excluded.bytes, http_status = excluded.http_status, ok = excluded.ok,
                reason_zh = excluded.reason_zh, reason_en = excluded.reason_en,
                checked_at = excluded.checked_at, last_ok_at = excluded.last_ok_at,
                failures = excluded.failures",
        )
        .map_err(db_err)?;
    for s in states {
        stmt.execute(params![
            s.dataset_id,
            s.url,
            s.etag,
            s.last_modified,
            s.sha256,
            s.bytes.map(|b| i64::try_from(b).unwrap_or(i64::MAX)),
            s.http_status,
            s.ok,
            s.reason.as_ref().map(|r| r.zh.clone()),
            s.reason.as_ref().map(|r| r.en.clone()),
            s.checked_at.as_millis(),
            s.last_ok_at.map(|t| t.as_millis()),
            s.failures,
        ])
        .map_err(db_err)?;
    }
    Ok(())
}
