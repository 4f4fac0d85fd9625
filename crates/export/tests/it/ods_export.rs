//! ODS: calamine reads it back, and the package is laid out as ODF requires.

use std::io::{Cursor, Read};

use calamine::{Ods, Reader, open_workbook_from_rs};
use civitas_export::{Format, write};

use crate::{
    AWKWARD, FORMULA, SHEET, SPACED, Seen, grid, header_row, overdue_list, text, zip_part,
};

const ODS_MIMETYPE: &[u8] = b"application/vnd.oasis.opendocument.spreadsheet";

#[test]
fn the_ods_reads_back_in_calamine_with_typed_dates() {
    let bytes = write(&overdue_list(), Format::Ods).unwrap();
    let mut book: Ods<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    assert_eq!(book.sheet_names(), vec![SHEET.to_owned()]);
    let range = book.worksheet_range(SHEET).unwrap();
    assert_eq!(range.end(), Some((3, 6)));

    let iso = |s: &str| Seen::Iso(s.to_owned());
    let expected = vec![
        header_row(),
        vec![
            text("桃園市政府交通局"),
            text(AWKWARD),
            Seen::Number(12.0),
            Seen::Number(0.875),
            iso("2024-05-01"),
            iso("2024-05-02T09:30:05"),
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
            text(FORMULA),
            Seen::Number(0.0),
            Seen::Number(-0.0015),
            // ODS has no 1900 floor: still a real date.
            iso("1899-12-31"),
            iso("2025-01-01T00:00:00"),
            text("Windows\n換行"),
        ],
    ];
    assert_eq!(grid(&range), expected);
}

#[test]
fn the_ods_package_has_the_layout_office_suites_expect() {
    let bytes = write(&overdue_list(), Format::Ods).unwrap();

    // The mimetype entry is first, stored and without extra field, so the type can be
    // sniffed at a fixed offset (ODF 1.3 part 2, 3.3).
    assert_eq!(&bytes[0..4], b"PK\x03\x04");
    assert_eq!(&bytes[8..10], &[0, 0], "stored, not deflated");
    assert_eq!(&bytes[26..28], &[8, 0], "name length");
    assert_eq!(&bytes[28..30], &[0, 0], "no extra field");
    assert_eq!(&bytes[30..38], b"mimetype");
    assert_eq!(&bytes[38..38 + ODS_MIMETYPE.len()], ODS_MIMETYPE);

    let mut archive = zip::ZipArchive::new(Cursor::new(bytes.clone())).unwrap();
    let names: Vec<String> = (0..archive.len())
        .map(|i| archive.by_index(i).unwrap().name().unwrap().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "mimetype",
            "META-INF/manifest.xml",
            "meta.xml",
            "styles.xml",
            "settings.xml",
            "content.xml"
        ]
    );
    let mut mimetype = archive.by_index(0).unwrap();
    assert_eq!(mimetype.compression(), zip::CompressionMethod::Stored);
    let mut content = Vec::new();
    mimetype.read_to_end(&mut content).unwrap();
    assert_eq!(content, ODS_MIMETYPE);
    drop(mimetype);

    for part in &names[1..] {
        assert_well_formed(part, &zip_part(&bytes, part));
    }
    let manifest = zip_part(&bytes, "META-INF/manifest.xml");
    for part in &names[2..] {
        assert!(
            manifest.contains(&format!(r#"manifest:full-path="{part}""#)),
            "{part}"
        );
    }
    assert!(manifest.contains(
        r#"manifest:full-path="/" manifest:version="1.3" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet""#
    ));

    let content = zip_part(&bytes, "content.xml");
    assert!(content.contains(
        r#"office:value-type="date" office:date-value="2024-05-01"><text:p>2024-05-01</text:p>"#
    ));
    assert!(content.contains(r#"office:value-type="float" office:value="12""#));
    assert!(content.contains("&lt;路線&gt; &amp; &quot;站牌&quot; &apos;s"));
    assert!(content.contains(r#"fo:font-weight="bold" style:font-weight-asian="bold""#));
    assert!(content.contains(r#"<table:table-cell table:style-name="ce_header" office:value-type="string"><text:p>機關</text:p>"#));
    assert!(
        content.contains(r#"style:column-width="4.577cm""#),
        "24 characters: 173 px at 96 dpi"
    );
    assert!(content.contains("<text:p>第一行</text:p><text:p>第二行</text:p>"));

    let settings = zip_part(&bytes, "settings.xml");
    assert!(settings.contains(&format!(
        r#"<config:config-item-map-entry config:name="{SHEET}">"#
    )));
    assert!(settings.contains(
        r#"<config:config-item config:name="VerticalSplitMode" config:type="short">2</config:config-item>"#
    ));
    let meta = zip_part(&bytes, "meta.xml");
    assert!(meta.contains("<dc:title>逾期資料集清單 2024/05</dc:title>"));
}

#[test]
fn the_same_table_gives_the_same_ods_bytes() {
    let table = overdue_list();
    assert_eq!(
        write(&table, Format::Ods).unwrap(),
        write(&table, Format::Ods).unwrap()
    );
}

fn assert_well_formed(name: &str, xml: &str) {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut depth = 0usize;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(_)) => depth += 1,
            Ok(quick_xml::events::Event::End(_)) => depth -= 1,
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("{name} is not well-formed: {e}"),
        }
    }
    assert_eq!(depth, 0, "{name} closes every element");
}
