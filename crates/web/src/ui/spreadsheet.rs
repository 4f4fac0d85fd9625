//! Tables as downloads. CSV is written here; XLSX and ODS arrive with the export crate.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use civitas_core::text::Text;

use crate::error::{ApiError, ApiResult};

pub enum Value {
    Text(String),
    Int(i64),
}

pub fn respond(
    ext: &str,
    _title: &str,
    headers: &[&str],
    rows: Vec<Vec<Value>>,
    file_stem: &str,
) -> ApiResult<Response> {
    match ext {
        "csv" => {
            let mut out = b"\xEF\xBB\xBF".to_vec();
            {
                let mut w = csv::Writer::from_writer(&mut out);
                w.write_record(headers).map_err(ApiError::internal)?;
                for row in rows {
                    w.write_record(row.iter().map(|v| match v {
                        Value::Text(t) => t.clone(),
                        Value::Int(n) => n.to_string(),
                    }))
                    .map_err(ApiError::internal)?;
                }
                w.flush().map_err(ApiError::internal)?;
            }
            let mut r = out.into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            if let Ok(v) =
                HeaderValue::from_str(&format!("attachment; filename=\"{file_stem}.csv\""))
            {
                r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            Ok(r)
        }
        other => Err(ApiError::new(
            "invalid_input",
            Text::new(
                format!("不支援的匯出格式：{other}"),
                format!("unsupported export format: {other}"),
            ),
        )),
    }
}
