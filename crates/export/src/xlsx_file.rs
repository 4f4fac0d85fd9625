//! XLSX through rust_xlsxwriter: bold frozen header, real date cells.

use rust_xlsxwriter::{ColNum, DocProperties, ExcelDateTime, Format, RowNum, Workbook, Worksheet};
use time::{Date, PrimitiveDateTime};

use crate::sheet_name::sheet_name;
use crate::{Cell, ExportError, Table, display};

const DATE_FORMAT: &str = "yyyy-mm-dd";
const DATE_TIME_FORMAT: &str = "yyyy-mm-dd hh:mm:ss";

struct Styles {
    header: Format,
    date: Format,
    date_time: Format,
    wrapped: Format,
}

pub(crate) fn write(table: &Table) -> Result<Vec<u8>, ExportError> {
    let styles = Styles {
        header: Format::new().set_bold(),
        date: Format::new().set_num_format(DATE_FORMAT),
        date_time: Format::new().set_num_format(DATE_TIME_FORMAT),
        wrapped: Format::new().set_text_wrap(),
    };
    let mut book = Workbook::new();
    book.set_properties(&DocProperties::new().set_title(&table.title));
    let sheet = book.add_worksheet();
    sheet.set_name(sheet_name(&table.title))?;
    for (c, column) in table.columns.iter().enumerate() {
        let col = col_num(c, table)?;
        sheet.write_string_with_format(0, col, &column.header, &styles.header)?;
        if let Some(width) = column.usable_width() {
            sheet.set_column_width(col, width)?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    for (r, row) in table.rows.iter().enumerate() {
        let row_num = RowNum::try_from(r + 1).map_err(|_| too_large(table))?;
        for (c, cell) in row.iter().enumerate() {
            let col = col_num(c, table)?;
            write_cell(sheet, &styles, (row_num, col), cell)?;
        }
    }
    Ok(book.save_to_buffer()?)
}

fn write_cell(
    sheet: &mut Worksheet,
    styles: &Styles,
    (row, col): (RowNum, ColNum),
    cell: &Cell,
) -> Result<(), ExportError> {
    let written = match cell {
        Cell::Text(text) if text.is_empty() => return Ok(()),
        Cell::Text(text) if text.contains(['\n', '\r']) => {
            sheet.write_string_with_format(row, col, display::unix_line_ends(text), &styles.wrapped)
        }
        Cell::Text(text) => sheet.write_string(row, col, text),
        // Spreadsheet numbers are doubles: integers beyond ±2^53 lose their last digits.
        Cell::Int(n) => sheet.write_number(row, col, *n as f64),
        Cell::Number(x) if x.is_finite() => sheet.write_number(row, col, *x),
        Cell::Number(x) => sheet.write_string(row, col, display::number(*x)),
        Cell::Date(date) => match excel_date(*date) {
            Some(day) => sheet.write_datetime_with_format(row, col, &day, &styles.date),
            None => sheet.write_string(row, col, display::date(*date)),
        },
        Cell::DateTime(at) => {
            let local = display::taipei(*at).ok_or(ExportError::DateOutOfRange {
                row: row as usize,
                column: usize::from(col) + 1,
            })?;
            match excel_date_time(local) {
                Some(moment) => {
                    sheet.write_datetime_with_format(row, col, &moment, &styles.date_time)
                }
                None => sheet.write_string(row, col, display::date_time(local, ' ')),
            }
        }
        Cell::Empty => return Ok(()),
    };
    written?;
    Ok(())
}

/// Excel's calendar runs from 1900 to 9999; other dates are written as text.
fn excel_date(date: Date) -> Option<ExcelDateTime> {
    // rust_xlsxwriter accepts 1899-12-31 as serial 0, which Excel shows as "1900-01-00".
    let year = u16::try_from(date.year()).ok().filter(|y| *y >= 1900)?;
    ExcelDateTime::from_ymd(year, u8::from(date.month()), date.day()).ok()
}

fn excel_date_time(at: PrimitiveDateTime) -> Option<ExcelDateTime> {
    excel_date(at.date())?
        .and_hms(u16::from(at.hour()), at.minute(), at.second())
        .ok()
}

fn col_num(index: usize, table: &Table) -> Result<ColNum, ExportError> {
    ColNum::try_from(index).map_err(|_| too_large(table))
}

fn too_large(table: &Table) -> ExportError {
    ExportError::TooLarge {
        rows: table.rows.len().saturating_add(1),
        columns: table.columns.len(),
    }
}
