//! The one error type of this crate.

/// Why a table could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// Every row must have exactly one cell per column (rows count from 1, after the header).
    #[error("row {row} has {found} cells but the table has {expected} columns")]
    RowLength {
        row: usize,
        expected: usize,
        found: usize,
    },
    /// Spreadsheets hold at most 1,048,576 rows (header included) and 16,384 columns.
    #[error("{rows} rows and {columns} columns do not fit in a spreadsheet")]
    TooLarge { rows: usize, columns: usize },
    /// A date-time so close to the end of the calendar that Taipei time cannot represent it.
    #[error("the date-time in row {row}, column {column} cannot be shown in Taipei time")]
    DateOutOfRange { row: usize, column: usize },
    #[error("could not write CSV")]
    Csv(#[source] csv::Error),
    #[error("could not write XLSX")]
    Xlsx(#[source] rust_xlsxwriter::XlsxError),
    #[error("could not write ODS")]
    Ods(#[source] zip::result::ZipError),
}

impl From<csv::Error> for ExportError {
    fn from(e: csv::Error) -> Self {
        Self::Csv(e)
    }
}

impl From<rust_xlsxwriter::XlsxError> for ExportError {
    fn from(e: rust_xlsxwriter::XlsxError) -> Self {
        Self::Xlsx(e)
    }
}

impl From<zip::result::ZipError> for ExportError {
    fn from(e: zip::result::ZipError) -> Self {
        Self::Ods(e)
    }
}

impl From<std::io::Error> for ExportError {
    // Writing into a Vec only fails through the zip layer; keep the cause.
    fn from(e: std::io::Error) -> Self {
        Self::Ods(zip::result::ZipError::Io(e))
    }
}
