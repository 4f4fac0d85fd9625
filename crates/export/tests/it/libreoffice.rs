//! LibreOffice opens the XLSX and ODS exports and reads the same cells: Chinese text as text,
//! numbers as numbers, dates as dates (shown in Taipei time), awkward whitespace kept.

use civitas_export::{Cell, Format};

use crate::office::{Field, open_in_libreoffice};
use crate::{AWKWARD, FORMULA, HEADERS, SPACED, overdue_list};

#[test]
fn libreoffice_reads_the_overdue_list_from_xlsx_and_ods() {
    let mut table = overdue_list();
    // Tabs inside a multi-line cell: LibreOffice dropped these from the ODS once.
    table.rows.push(vec![
        "多行\t機關".into(),
        "第一行\t甲\n第二行\t乙".into(),
        Cell::Int(9_007_199_254_740_991),
        Cell::Number(1.0e-7),
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
    ]);
    let xlsx = civitas_export::write(&table, Format::Xlsx).unwrap();
    let ods = civitas_export::write(&table, Format::Ods).unwrap();
    let sheets = open_in_libreoffice(&[("list-x.xlsx", &xlsx), ("list-o.ods", &ods)]);
    for sheet in &sheets {
        let t = |s: &str| Field::text(s);
        let v = |s: &str| Field::value(s);
        // Excel's calendar starts in 1900, so the XLSX writes the earlier date as text.
        let before_1900 = if sheet.name.ends_with(".xlsx") {
            t("1899-12-31")
        } else {
            v("1899-12-31")
        };
        let expected = vec![
            HEADERS.iter().map(|h| t(h)).collect::<Vec<_>>(),
            vec![
                t("桃園市政府交通局"),
                t(AWKWARD),
                v("12"),
                v("0.875"),
                v("2024-05-01"),
                v("2024-05-02 09:30:05"),
                t("第一行\n第二行"),
            ],
            vec![
                t("桃園市政府環境保護局"),
                t(SPACED),
                v("-3"),
                t("NaN"),
                Field::Empty,
                Field::Empty,
                Field::Empty,
            ],
            vec![
                t("臺灣𡘙測試機關"),
                t(FORMULA),
                v("0"),
                v("-0.0015"),
                before_1900,
                v("2025-01-01 00:00:00"),
                t("Windows\n換行"),
            ],
            vec![
                t("多行\t機關"),
                t("第一行\t甲\n第二行\t乙"),
                v("9007199254740991"),
                v("0.0000001"),
                Field::Empty,
                Field::Empty,
                Field::Empty,
            ],
        ];
        assert_eq!(sheet.rows, expected, "{}", sheet.name);
    }
}
