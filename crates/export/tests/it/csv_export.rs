//! CSV: Excel must show the Chinese, and the csv crate must read every cell back.

use civitas_export::{Format, write};

use crate::{AWKWARD, HEADERS, SPACED, overdue_list};

#[test]
fn the_csv_opens_in_excel_with_chinese_intact_and_reads_back_cell_for_cell() {
    let bytes = write(&overdue_list(), Format::Csv).unwrap();
    let body = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .expect("UTF-8 byte-order mark first");
    assert!(body.starts_with("機關,資料集名稱,".as_bytes()));
    assert!(body.ends_with(b"\r\n"), "RFC 4180 line ends");

    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body);
    let records: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    let expected: Vec<Vec<&str>> = vec![
        HEADERS.to_vec(),
        vec![
            "桃園市政府交通局",
            AWKWARD,
            "12",
            "0.875",
            "2024-05-01",
            "2024-05-02 09:30:05",
            "第一行\n第二行",
        ],
        vec!["桃園市政府環境保護局", SPACED, "-3", "NaN", "", "", ""],
        vec![
            "臺灣𡘙測試機關",
            // Defused: a spreadsheet opening the CSV shows it instead of running it.
            r#"'=HYPERLINK("http://example.invalid","點我")"#,
            "0",
            "-0.0015",
            "1899-12-31",
            "2025-01-01 00:00:00",
            "Windows\r\n換行",
        ],
    ];
    assert_eq!(records, expected);
}
