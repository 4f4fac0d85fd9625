//! A report table with Chinese text, numbers, dates and awkward characters is exported in
//! all three formats and read back by independent readers (the csv crate, calamine).
// Tests may unwrap, index and panic: a failure should stop the test loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod csv_export;
mod edges;
mod libreoffice;
mod ods_export;
// Shared with the web tests, which use more of it.
#[allow(dead_code)]
mod office;
mod xlsx_export;

use std::io::{Cursor, Read};

use calamine::Data;
use civitas_export::{Cell, Column, Table};
use time::macros::{date, datetime};
use time::{Date, PrimitiveDateTime};

pub const SHEET: &str = "逾期資料集清單 2024-05";
pub const HEADERS: [&str; 7] = [
    "機關",
    "資料集名稱",
    "逾期天數",
    "準時率",
    "應更新日",
    "最後更新",
    "備註",
];
pub const AWKWARD: &str = r#"公車<路線> & "站牌" 's"#;
pub const SPACED: &str = "  空氣品質\t監測  站 ";
pub const FORMULA: &str = r#"=HYPERLINK("http://example.invalid","點我")"#;

/// The city-wide overdue list, as a report would hand it over.
pub fn overdue_list() -> Table {
    Table {
        title: "逾期資料集清單 2024/05".to_owned(),
        columns: HEADERS
            .iter()
            .zip([
                Some(24.0),
                Some(40.0),
                None,
                None,
                Some(12.0),
                Some(20.0),
                None,
            ])
            .map(|(h, w)| match w {
                Some(w) => Column::new(*h).with_width(w),
                None => Column::new(*h),
            })
            .collect(),
        rows: vec![
            vec![
                "桃園市政府交通局".into(),
                AWKWARD.into(),
                Cell::Int(12),
                Cell::Number(0.875),
                date!(2024 - 05 - 01).into(),
                // 01:30 UTC is 09:30 in Taipei; the fraction of a second is dropped.
                datetime!(2024-05-02 01:30:05.250 UTC).into(),
                "第一行\n第二行".into(),
            ],
            vec![
                "桃園市政府環境保護局".into(),
                SPACED.into(),
                Cell::Int(-3),
                Cell::Number(f64::NAN),
                Cell::Empty,
                None::<Date>.into(),
                Cell::Text(String::new()),
            ],
            vec![
                "臺灣𡘙測試機關".into(),
                FORMULA.into(),
                Cell::Int(0),
                Cell::Number(-0.0015),
                // Before Excel's calendar starts.
                date!(1899 - 12 - 31).into(),
                datetime!(2024-12-31 16:00:00 UTC).into(),
                "Windows\r\n換行".into(),
            ],
        ],
    }
}

/// What calamine reports for a cell, with date serials compared to the second.
#[derive(Debug, PartialEq)]
pub enum Seen {
    Text(String),
    Number(f64),
    /// Excel serial date rounded to whole seconds.
    Serial(i64),
    Iso(String),
    Empty,
}

pub fn seen(data: Option<&Data>) -> Seen {
    match data {
        None | Some(Data::Empty) => Seen::Empty,
        Some(Data::String(s)) => Seen::Text(s.clone()),
        Some(Data::Float(x)) => Seen::Number(*x),
        Some(Data::Int(n)) => Seen::Number(*n as f64),
        Some(Data::DateTime(d)) => {
            assert!(d.is_datetime(), "{d:?} is a date cell, not a number");
            Seen::Serial((d.as_f64() * 86_400.0).round() as i64)
        }
        Some(Data::DateTimeIso(s)) => Seen::Iso(s.clone()),
        Some(other) => panic!("unexpected cell {other:?}"),
    }
}

/// Seconds since Excel's day zero (1899-12-30), computed without rust_xlsxwriter.
pub fn serial(at: PrimitiveDateTime) -> Seen {
    Seen::Serial((at - datetime!(1899-12-30 00:00)).whole_seconds())
}

pub fn text(s: &str) -> Seen {
    Seen::Text(s.to_owned())
}

pub fn grid(range: &calamine::Range<Data>) -> Vec<Vec<Seen>> {
    (0..4)
        .map(|r| (0..7).map(|c| seen(range.get_value((r, c)))).collect())
        .collect()
}

pub fn header_row() -> Vec<Seen> {
    HEADERS.iter().map(|h| text(h)).collect()
}

/// The text of one part of a zip package.
pub fn zip_part(bytes: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut text = String::new();
    archive
        .by_name(name)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}
