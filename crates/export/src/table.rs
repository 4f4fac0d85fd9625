//! The table every report hands over: a title, columns and typed cells.

use time::{Date, OffsetDateTime};

use crate::ExportError;

/// Rows a spreadsheet holds, header included (Excel and LibreOffice alike).
const MAX_SPREADSHEET_ROWS: usize = 1_048_576;
/// Columns a spreadsheet holds (Excel, and LibreOffice since 7.4).
const MAX_SPREADSHEET_COLUMNS: usize = 16_384;
/// Excel's widest column, in characters.
const MAX_WIDTH: f64 = 255.0;

/// One sheet of a report. `title` becomes the sheet name (made valid for both spreadsheet
/// formats) and the document title; every row has one cell per column.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub title: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
}

/// A column: its header and, optionally, its width in characters of "0" in the default
/// font (the spreadsheet unit; a Chinese character takes about two).
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub header: String,
    pub width: Option<f64>,
}

/// One value. Dates and numbers stay typed so that spreadsheets can sort and sum them.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    Number(f64),
    Date(Date),
    /// An instant, shown as Taipei wall-clock time to the second.
    DateTime(OffsetDateTime),
    Empty,
}

impl Column {
    /// A column of the default width.
    pub fn new(header: impl Into<String>) -> Column {
        Column {
            header: header.into(),
            width: None,
        }
    }

    /// The same column, `width` characters wide.
    pub fn with_width(self, width: f64) -> Column {
        Column {
            width: Some(width),
            ..self
        }
    }

    /// The width to write: none for a missing, non-positive or non-finite width,
    /// at most Excel's 255 characters.
    pub(crate) fn usable_width(&self) -> Option<f64> {
        self.width
            .filter(|w| w.is_finite() && *w > 0.0)
            .map(|w| w.min(MAX_WIDTH))
    }
}

impl Table {
    /// Every row must have exactly one cell per column; a short row is a bug upstream.
    pub(crate) fn check_shape(&self) -> Result<(), ExportError> {
        let expected = self.columns.len();
        match self
            .rows
            .iter()
            .enumerate()
            .find(|(_, row)| row.len() != expected)
        {
            Some((index, row)) => Err(ExportError::RowLength {
                row: index + 1,
                expected,
                found: row.len(),
            }),
            None => Ok(()),
        }
    }

    pub(crate) fn check_spreadsheet_limits(&self) -> Result<(), ExportError> {
        let rows = self.rows.len().saturating_add(1);
        let columns = self.columns.len();
        if rows > MAX_SPREADSHEET_ROWS || columns > MAX_SPREADSHEET_COLUMNS {
            return Err(ExportError::TooLarge { rows, columns });
        }
        Ok(())
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Cell {
        Cell::Text(text)
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Cell {
        Cell::Text(text.to_owned())
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Cell {
        Cell::Int(n)
    }
}

impl From<f64> for Cell {
    fn from(x: f64) -> Cell {
        Cell::Number(x)
    }
}

impl From<Date> for Cell {
    fn from(date: Date) -> Cell {
        Cell::Date(date)
    }
}

impl From<OffsetDateTime> for Cell {
    fn from(at: OffsetDateTime) -> Cell {
        Cell::DateTime(at)
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(value: Option<T>) -> Cell {
        value.map_or(Cell::Empty, Into::into)
    }
}
