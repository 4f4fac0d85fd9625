//! Conversions between domain values and SQLite columns.

use civitas_core::error::DomainError;
use civitas_core::time::Timestamp;
use rusqlite::ErrorCode;

pub(crate) fn db_err(e: rusqlite::Error) -> DomainError {
    DomainError::store(e)
}

/// Map a uniqueness violation to `AlreadyExists`, anything else to a store failure.
pub(crate) fn unique_or_db<'k>(
    what: &'static str,
    key: &'k str,
) -> impl FnOnce(rusqlite::Error) -> DomainError + 'k {
    move |e| match &e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::ConstraintViolation => {
            DomainError::AlreadyExists {
                what,
                key: key.to_string(),
            }
        }
        _ => DomainError::store(e),
    }
}

pub(crate) fn ts(value: i64) -> rusqlite::Result<Timestamp> {
    Timestamp::from_millis(value).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Integer,
            "timestamp out of range".into(),
        )
    })
}

pub(crate) fn opt_ts(value: Option<i64>) -> rusqlite::Result<Option<Timestamp>> {
    value.map(ts).transpose()
}

pub(crate) fn bad_value(column: usize, what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        column,
        rusqlite::types::Type::Text,
        format!("unexpected {what} in the database").into(),
    )
}

/// Parameters for a dynamically built query: always bound, never spliced into the SQL.
pub(crate) type Params = Vec<Box<dyn rusqlite::ToSql + Send>>;

pub(crate) fn param_refs(params: &Params) -> Vec<&dyn rusqlite::ToSql> {
    params
        .iter()
        .map(|p| p.as_ref() as &dyn rusqlite::ToSql)
        .collect()
}

/// `column IN (?N, ?N+1, …)` with the agencies bound after `params`' numbered parameters;
/// `0` (false) for none.
pub(crate) fn in_list(
    column: &str,
    values: &[civitas_core::agencies::AgencyCode],
    params: &mut Params,
) -> String {
    let mut marks = Vec::new();
    for v in values {
        params.push(Box::new(v.to_string()));
        marks.push(format!("?{}", params.len()));
    }
    if marks.is_empty() {
        "0".into()
    } else {
        format!("{column} IN ({})", marks.join(", "))
    }
}
