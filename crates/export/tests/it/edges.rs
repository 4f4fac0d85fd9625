//! What the caller gets wrong, empty reports, and format names.

use std::io::Cursor;

use calamine::{Data, Reader};
use civitas_export::{Column, ExportError, Format, Table, write};

use crate::overdue_list;

#[test]
fn a_row_with_a_missing_cell_is_refused_in_every_format() {
    let mut table = overdue_list();
    table.rows[1].pop();
    for format in Format::ALL {
        match write(&table, format) {
            Err(ExportError::RowLength {
                row: 2,
                expected: 7,
                found: 6,
            }) => {}
            other => panic!("{format:?}: {other:?}"),
        }
    }
}

#[test]
fn an_empty_report_still_opens_with_its_headers() {
    let table = Table {
        title: String::new(),
        columns: vec![Column::new("機關")],
        rows: vec![],
    };
    for format in [Format::Xlsx, Format::Ods] {
        let bytes = write(&table, format).unwrap();
        let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).unwrap();
        assert_eq!(book.sheet_names(), vec!["Sheet1".to_owned()]);
        let range = book.worksheet_range("Sheet1").unwrap();
        assert_eq!(range.get_value((0, 0)), Some(&Data::String("機關".into())));
        assert_eq!(range.height(), 1, "{format:?}");
    }
    let bytes = write(&table, Format::Csv).unwrap();
    assert_eq!(bytes, "\u{feff}機關\r\n".as_bytes());
}

#[test]
fn formats_are_named_as_in_download_links() {
    assert_eq!(Format::parse("ods"), Some(Format::Ods));
    assert_eq!(Format::parse("XLSX"), Some(Format::Xlsx));
    assert_eq!(Format::parse("pdf"), None);
    assert_eq!(Format::Csv.media_type(), "text/csv; charset=utf-8");
    assert_eq!(
        Format::Xlsx.media_type(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert_eq!(
        Format::Ods.media_type(),
        "application/vnd.oasis.opendocument.spreadsheet"
    );
    for format in Format::ALL {
        assert_eq!(Format::parse(format.extension()), Some(format));
    }
}
