//! Report export: one table written as CSV, XLSX or ODS (the open format Taiwan's government
//! uses for documents), so every report offers the same three downloads from one description.
//!
//! ```ignore
//! let table = Table {
//!     title: "逾期資料集清單".into(),
//!     columns: vec![Column::new("機關").with_width(24.0), Column::new("逾期天數")],
//!     rows: vec![vec!["桃園市政府交通局".into(), Cell::Int(12)]],
//! };
//! let format = Format::parse(query.format).ok_or(BadRequest)?;
//! let body = civitas_export::write(&table, format)?; // Content-Type: format.media_type()
//! ```

mod csv_file;
mod display;
mod error;
mod format;
mod ods;
mod sheet_name;
mod table;
mod xlsx_file;

pub use error::ExportError;
pub use format::Format;
pub use table::{Cell, Column, Table};

/// Write `table` in `format`, returning the file's bytes.
pub fn write(table: &Table, format: Format) -> Result<Vec<u8>, ExportError> {
    table.check_shape()?;
    match format {
        Format::Csv => csv_file::write(table),
        Format::Xlsx => {
            table.check_spreadsheet_limits()?;
            xlsx_file::write(table)
        }
        Format::Ods => {
            table.check_spreadsheet_limits()?;
            ods::write(table)
        }
    }
}
