//! Tables as downloads: CSV (UTF-8 with BOM), XLSX and ODS through `civitas-export`.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use civitas_core::text::Text;
use civitas_export::{Cell, Column, Format, Table};

use crate::error::{ApiError, ApiResult};

pub enum Value {
    Text(String),
    Int(i64),
}

/// Write `rows` under `headers` in the format named by `ext` (csv, xlsx or ods).
pub fn respond(
    ext: &str,
    title: &str,
    headers: &[&str],
    rows: Vec<Vec<Value>>,
    file_stem: &str,
) -> ApiResult<Response> {
    let format = Format::parse(ext).ok_or_else(|| {
        ApiError::new(
            "invalid_input",
            Text::new(
                format!("不支援的匯出格式：{ext}；可用 csv、xlsx、ods"),
                format!("unsupported export format: {ext}; use csv, xlsx or ods"),
            ),
        )
    })?;
    let table = Table {
        title: title.to_string(),
        columns: headers
            .iter()
            .map(|h| Column::new(*h).with_width((h.chars().count() as f64 * 2.2).max(10.0)))
            .collect(),
        rows: rows
            .into_iter()
            .map(|row| {
                row.into_iter()
                    .map(|v| match v {
                        Value::Text(t) => Cell::Text(t),
                        Value::Int(n) => Cell::Int(n),
                    })
                    .collect()
            })
            .collect(),
    };
    let bytes = civitas_export::write(&table, format).map_err(ApiError::internal)?;
    let mut r = bytes.into_response();
    if let Ok(v) = HeaderValue::from_str(format.media_type()) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{file_stem}.{}\"",
        format.extension()
    )) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}
