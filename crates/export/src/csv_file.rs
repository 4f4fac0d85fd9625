//! CSV: UTF-8 with a byte-order mark, because Excel in Taiwan otherwise reads the file as
//! Big5 and garbles the Chinese; CRLF line ends as RFC 4180 asks.

use crate::{Cell, ExportError, Table, display};

const BOM: &[u8] = b"\xEF\xBB\xBF";

pub(crate) fn write(table: &Table) -> Result<Vec<u8>, ExportError> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(BOM.to_vec());
    writer.write_record(table.columns.iter().map(|c| neutralise(&c.header)))?;
    for (r, row) in table.rows.iter().enumerate() {
        let fields = row
            .iter()
            .enumerate()
            .map(|(c, cell)| field(cell, r + 1, c + 1))
            .collect::<Result<Vec<_>, _>>()?;
        writer.write_record(&fields)?;
    }
    writer
        .into_inner()
        .map_err(|e| ExportError::Csv(csv::Error::from(e.into_error())))
}

fn field(cell: &Cell, row: usize, column: usize) -> Result<String, ExportError> {
    Ok(match cell {
        Cell::Text(text) => neutralise(text),
        Cell::Int(n) => n.to_string(),
        Cell::Number(x) => display::number(*x),
        Cell::Date(date) => display::date(*date),
        Cell::DateTime(at) => display::date_time(
            display::taipei(*at).ok_or(ExportError::DateOutOfRange { row, column })?,
            ' ',
        ),
        Cell::Empty => String::new(),
    })
}

/// Text that a spreadsheet would run as a formula (`=HYPERLINK(…)`, `+cmd|…`, `@SUM(…)`)
/// gets a leading apostrophe: CSV has no way to say "this is text", and agency-supplied
/// names end up in these files (OWASP's advice on CSV injection). A lone sign is left alone.
fn neutralise(text: &str) -> String {
    let risky = text.starts_with(['=', '+', '-', '@', '\t', '\r']) && text.chars().nth(1).is_some();
    if risky {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::neutralise;

    #[test]
    fn text_that_would_run_as_a_formula_is_defused() {
        assert_eq!(
            neutralise("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("-2+3"), "'-2+3");
        assert_eq!(neutralise("-"), "-");
        assert_eq!(neutralise("桃園市=好"), "桃園市=好");
    }
}
