//! Reading an uploaded CSV as a table for the data API: header, rows, and keeping only the
//! fields a grant allows.

use crate::error::{DomainError, DomainResult};
use crate::import::decode_text;
use crate::text::Text;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvTable {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

pub fn parse_csv_table(bytes: &[u8]) -> DomainResult<CsvTable> {
    let (text, _) = decode_text(bytes).map_err(|t| DomainError::invalid("file", t))?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let columns: Vec<String> = reader
        .headers()
        .map_err(|e| {
            DomainError::invalid(
                "file",
                Text::new(
                    format!("CSV 標題列無法讀取：{e}"),
                    format!("the CSV header cannot be read: {e}"),
                ),
            )
        })?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if columns.is_empty() || columns.iter().all(String::is_empty) {
        return Err(DomainError::invalid(
            "file",
            Text::new("CSV 沒有標題列", "the CSV has no header row"),
        ));
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            DomainError::invalid(
                "file",
                Text::new(
                    format!("CSV 第 {} 行格式損壞：{e}", i + 2),
                    format!("CSV line {} is broken: {e}", i + 2),
                ),
            )
        })?;
        rows.push(record.iter().map(str::to_string).collect());
    }
    Ok(CsvTable { columns, rows })
}

impl CsvTable {
    /// The table as UTF-8 CSV.
    pub fn to_csv(&self) -> DomainResult<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let fail = |e: csv::Error| DomainError::store(format!("writing CSV: {e}"));
        w.write_record(&self.columns).map_err(fail)?;
        for r in &self.rows {
            w.write_record(r).map_err(fail)?;
        }
        w.into_inner()
            .map_err(|e| DomainError::store(format!("writing CSV: {e}")))
    }

    /// Only `fields` (by name, in the table's order); all when `fields` is empty.
    pub fn project(&self, fields: &[String]) -> CsvTable {
        if fields.is_empty() {
            return self.clone();
        }
        let keep: Vec<usize> = self
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| fields.iter().any(|f| f == *c))
            .map(|(i, _)| i)
            .collect();
        CsvTable {
            columns: keep
                .iter()
                .filter_map(|i| self.columns.get(*i).cloned())
                .collect(),
            rows: self
                .rows
                .iter()
                .map(|r| {
                    keep.iter()
                        .map(|i| r.get(*i).cloned().unwrap_or_default())
                        .collect()
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grant_for_two_fields_sees_only_those_columns() {
        let t =
            parse_csv_table("name,spaces,owner\n站前,120,市府\n藝文,80,民間\n".as_bytes()).unwrap();
        let p = t.project(&["spaces".into(), "name".into()]);
        assert_eq!(p.columns, vec!["name", "spaces"]);
        assert_eq!(p.rows, vec![vec!["站前", "120"], vec!["藝文", "80"]]);
        assert_eq!(t.project(&[]).columns.len(), 3);
    }

    #[test]
    fn a_broken_file_says_which_line() {
        let err = parse_csv_table("a,b\n1,2\n3,4,5\n".as_bytes()).unwrap_err();
        assert!(
            err.message(crate::time::Language::En).contains("line 3"),
            "{err}"
        );
    }
}
