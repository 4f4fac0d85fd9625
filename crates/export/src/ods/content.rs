//! content.xml: the styles the cells use and the one table. Written without whitespace
//! between elements, which ODF readers (calamine among them) would take for cell content.

use std::fmt::Write;

use super::parts::ODF_VERSION;
use super::xml::escape_into;
use crate::{Cell, ExportError, Table, display};

const HEADER_STYLE: &str = "ce_header";
const DATE_STYLE: &str = "ce_date";
const DATE_TIME_STYLE: &str = "ce_datetime";
const WRAP_STYLE: &str = "ce_wrap";

pub(super) fn content(table: &Table, sheet: &str) -> Result<String, ExportError> {
    let mut out = String::with_capacity(1024 + table.rows.len() * table.columns.len() * 48);
    out.push_str(r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" office:version=""#);
    out.push_str(ODF_VERSION);
    out.push_str(r#""><office:automatic-styles>"#);
    cell_styles(&mut out);
    column_styles(&mut out, table);
    out.push_str(
        r#"</office:automatic-styles><office:body><office:spreadsheet><table:table table:name=""#,
    );
    escape_into(&mut out, sheet);
    out.push_str(r#"">"#);
    columns(&mut out, table);
    // Header rows also repeat on every printed page.
    out.push_str("<table:table-header-rows><table:table-row>");
    for column in &table.columns {
        text_cell(&mut out, &column.header, Some(HEADER_STYLE));
    }
    pad_empty_row(&mut out, table);
    out.push_str("</table:table-row></table:table-header-rows>");
    for (r, row) in table.rows.iter().enumerate() {
        out.push_str("<table:table-row>");
        for (c, cell) in row.iter().enumerate() {
            write_cell(&mut out, cell).ok_or(ExportError::DateOutOfRange {
                row: r + 1,
                column: c + 1,
            })?;
        }
        pad_empty_row(&mut out, table);
        out.push_str("</table:table-row>");
    }
    out.push_str("</table:table></office:spreadsheet></office:body></office:document-content>");
    Ok(out)
}

/// Bold in all three scripts (CJK text takes the "asian" font properties), ISO dates,
/// wrapped multi-line text.
fn cell_styles(out: &mut String) {
    const DATE: &str = r#"<number:year number:style="long"/><number:text>-</number:text><number:month number:style="long"/><number:text>-</number:text><number:day number:style="long"/>"#;
    const TIME: &str = r#"<number:text> </number:text><number:hours number:style="long"/><number:text>:</number:text><number:minutes number:style="long"/><number:text>:</number:text><number:seconds number:style="long"/>"#;
    let _ = write!(
        out,
        r#"<number:date-style style:name="N_date">{DATE}</number:date-style><number:date-style style:name="N_datetime">{DATE}{TIME}</number:date-style><style:style style:name="{HEADER_STYLE}" style:family="table-cell" style:parent-style-name="Default"><style:text-properties fo:font-weight="bold" style:font-weight-asian="bold" style:font-weight-complex="bold"/></style:style><style:style style:name="{DATE_STYLE}" style:family="table-cell" style:parent-style-name="Default" style:data-style-name="N_date"/><style:style style:name="{DATE_TIME_STYLE}" style:family="table-cell" style:parent-style-name="Default" style:data-style-name="N_datetime"/><style:style style:name="{WRAP_STYLE}" style:family="table-cell" style:parent-style-name="Default"><style:table-cell-properties fo:wrap-option="wrap"/></style:style>"#
    );
}

fn column_styles(out: &mut String, table: &Table) {
    for (c, column) in table.columns.iter().enumerate() {
        if let Some(width) = column.usable_width() {
            let _ = write!(
                out,
                r#"<style:style style:name="co{c}" style:family="table-column"><style:table-column-properties style:column-width="{:.3}cm"/></style:style>"#,
                width_cm(width)
            );
        }
    }
}

/// Excel's character width to centimetres, the way Excel turns it into pixels
/// (7-pixel digits in the default font, 5 pixels of padding) at 96 pixels an inch.
fn width_cm(characters: f64) -> f64 {
    let pixels = if characters < 1.0 {
        (characters * 12.0).round()
    } else {
        (characters * 7.0).round() + 5.0
    };
    pixels / 96.0 * 2.54
}

fn columns(out: &mut String, table: &Table) {
    if table.columns.is_empty() {
        // A table needs at least one column.
        out.push_str("<table:table-column/>");
    }
    for (c, column) in table.columns.iter().enumerate() {
        if column.usable_width().is_some() {
            let _ = write!(out, r#"<table:table-column table:style-name="co{c}"/>"#);
        } else {
            out.push_str("<table:table-column/>");
        }
    }
}

/// A row needs at least one cell.
fn pad_empty_row(out: &mut String, table: &Table) {
    if table.columns.is_empty() {
        out.push_str("<table:table-cell/>");
    }
}

/// `None` when a date-time cannot be shown in Taipei time.
fn write_cell(out: &mut String, cell: &Cell) -> Option<()> {
    match cell {
        Cell::Text(text) if text.is_empty() => out.push_str("<table:table-cell/>"),
        Cell::Text(text) => {
            let multi_line = text.contains(['\n', '\r']);
            text_cell(out, text, multi_line.then_some(WRAP_STYLE));
        }
        Cell::Int(n) => float_cell(out, &n.to_string()),
        Cell::Number(x) if x.is_finite() => float_cell(out, &display::number(*x)),
        Cell::Number(x) => text_cell(out, &display::number(*x), None),
        Cell::Date(date) => {
            let iso = display::date(*date);
            date_cell(out, DATE_STYLE, &iso, &iso);
        }
        Cell::DateTime(at) => {
            let local = display::taipei(*at)?;
            date_cell(
                out,
                DATE_TIME_STYLE,
                &display::date_time(local, 'T'),
                &display::date_time(local, ' '),
            );
        }
        Cell::Empty => out.push_str("<table:table-cell/>"),
    }
    Some(())
}

fn float_cell(out: &mut String, value: &str) {
    let _ = write!(
        out,
        r#"<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p></table:table-cell>"#
    );
}

fn date_cell(out: &mut String, style: &str, value: &str, shown: &str) {
    let _ = write!(
        out,
        r#"<table:table-cell table:style-name="{style}" office:value-type="date" office:date-value="{value}"><text:p>{shown}</text:p></table:table-cell>"#
    );
}

fn text_cell(out: &mut String, text: &str, style: Option<&str>) {
    out.push_str("<table:table-cell");
    if let Some(style) = style {
        let _ = write!(out, r#" table:style-name="{style}""#);
    }
    out.push_str(r#" office:value-type="string""#);
    if text.contains('\t') {
        // LibreOffice Calc drops the `<text:tab/>` of these cells when it opens the file
        // (tests/it/libreoffice.rs); it takes the whole text from this attribute instead.
        out.push_str(r#" office:string-value=""#);
        escape_into(out, &display::unix_line_ends(text));
        out.push('"');
    }
    out.push('>');
    for line in display::unix_line_ends(text).split('\n') {
        paragraph(out, line);
    }
    out.push_str("</table:table-cell>");
}

/// One line as a `text:p`. ODF collapses white space like HTML, so a run of spaces keeps
/// one literal space only between words and spells the rest as `<text:s/>`; tabs become
/// `<text:tab/>`.
fn paragraph(out: &mut String, line: &str) {
    if line.is_empty() {
        out.push_str("<text:p/>");
        return;
    }
    out.push_str("<text:p>");
    let mut chars = line.chars().peekable();
    let mut at_start = true;
    while let Some(ch) = chars.next() {
        match ch {
            ' ' => {
                let mut run = 1;
                while chars.next_if_eq(&' ').is_some() {
                    run += 1;
                }
                let between_words = !at_start && chars.peek().is_some_and(|c| *c != '\t');
                if between_words {
                    out.push(' ');
                    run -= 1;
                }
                match run {
                    0 => {}
                    1 => out.push_str("<text:s/>"),
                    n => {
                        let _ = write!(out, r#"<text:s text:c="{n}"/>"#);
                    }
                }
            }
            '\t' => out.push_str("<text:tab/>"),
            c => {
                let mut buf = [0u8; 4];
                escape_into(out, c.encode_utf8(&mut buf));
            }
        }
        at_start = false;
    }
    out.push_str("</text:p>");
}

#[cfg(test)]
mod tests {
    use super::{paragraph, text_cell};

    fn p(line: &str) -> String {
        let mut out = String::new();
        paragraph(&mut out, line);
        out
    }

    #[test]
    fn spaces_that_odf_would_collapse_are_spelled_out() {
        assert_eq!(p("桃園 市"), "<text:p>桃園 市</text:p>");
        assert_eq!(
            p("  a   b "),
            r#"<text:p><text:s text:c="2"/>a <text:s text:c="2"/>b<text:s/></text:p>"#
        );
        assert_eq!(p("a\tb"), "<text:p>a<text:tab/>b</text:p>");
        assert_eq!(p("<&>"), "<text:p>&lt;&amp;&gt;</text:p>");
        assert_eq!(p(""), "<text:p/>");
    }

    #[test]
    fn a_cell_with_a_tab_also_carries_its_whole_text() {
        let mut out = String::new();
        text_cell(&mut out, "甲\t乙\r\n丙", None);
        assert_eq!(
            out,
            r#"<table:table-cell office:value-type="string" office:string-value="甲&#9;乙&#10;丙"><text:p>甲<text:tab/>乙</text:p><text:p>丙</text:p></table:table-cell>"#
        );
        let mut out = String::new();
        text_cell(&mut out, "甲 乙", None);
        assert!(!out.contains("string-value"), "{out}");
    }
}
