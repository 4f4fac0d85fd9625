//! XLSX: calamine reads typed cells back; the sheet XML shows the frozen bold header.

use std::io::Cursor;

use calamine::{Reader, Xlsx, open_workbook_from_rs};
use civitas_export::{Format, write};
use time::macros::datetime;

use crate::{
    AWKWARD, FORMULA, SHEET, SPACED, Seen, grid, header_row, overdue_list, serial, text, zip_part,
};

#[test]
fn the_xlsx_has_real_numbers_and_dates_that_another_reader_understands() {
    let bytes = write(&overdue_list(), Format::Xlsx).unwrap();
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.clone())).unwrap();
    assert_eq!(book.sheet_names(), vec![SHEET.to_owned()]);
    let range = book.worksheet_range(SHEET).unwrap();
    assert_eq!(
        range.end(),
        Some((3, 6)),
        "header and three rows, seven columns"
    );

    let expected = vec![
        header_row(),
        vec![
            text("桃園市政府交通局"),
            text(AWKWARD),
            Seen::Number(12.0),
            Seen::Number(0.875),
            serial(datetime!(2024-05-01 00:00)),
            serial(datetime!(2024-05-02 09:30:05)),
            text("第一行\n第二行"),
        ],
        vec![
            text("桃園市政府環境保護局"),
            text(SPACED),
            Seen::Number(-3.0),
            text("NaN"),
            Seen::Empty,
            Seen::Empty,
            Seen::Empty,
        ],
        vec![
            text("臺灣𡘙測試機關"),
            // A text cell in a spreadsheet is never run as a formula.
            text(FORMULA),
            Seen::Number(0.0),
            Seen::Number(-0.0015),
            text("1899-12-31"),
            serial(datetime!(2025-01-01 00:00:00)),
            text("Windows\n換行"),
        ],
    ];
    assert_eq!(grid(&range), expected);

    let sheet = zip_part(&bytes, "xl/worksheets/sheet1.xml");
    assert!(
        sheet.contains(
            r#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#
        ),
        "header row frozen: {sheet}"
    );
    assert!(sheet.contains(r#"<col min="1" max="1" width="24.7109375" customWidth="1"/>"#));
    assert!(sheet.contains(r#"<col min="2" max="2" width="40.7109375" customWidth="1"/>"#));
    let styles = zip_part(&bytes, "xl/styles.xml");
    assert!(styles.contains("<b/>"), "a bold font for the header");
    assert!(styles.contains(r#"formatCode="yyyy-mm-dd""#));
    assert!(styles.contains(r#"formatCode="yyyy-mm-dd hh:mm:ss""#));
}
