//! The two serialisations: JSON-LD a harvester can read without fetching a context, and
//! Turtle whose literals survive any text an agency typed.

use serde_json::{Value, json};

use super::super::{catalog_jsonld, catalog_turtle};
use super::{BASE, city, dataset, health_bureau, info, record};

fn graph_node<'v>(doc: &'v Value, id: &str) -> &'v Value {
    doc["@graph"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["@id"] == id)
        .unwrap_or_else(|| panic!("no node {id}"))
}

#[test]
fn a_harvester_reads_one_dataset_as_json_ld_in_both_languages() {
    let datasets = [dataset(1, record("0015aa2e", "桃園市登革熱確診個案分布"))];
    let doc = catalog_jsonld(&info(), &[city(), health_bureau()], &datasets, BASE);

    let context = &doc["@context"];
    assert_eq!(context["dcat"], "http://www.w3.org/ns/dcat#");
    assert_eq!(context["dct"], "http://purl.org/dc/terms/");
    assert_eq!(context["xsd"], "http://www.w3.org/2001/XMLSchema#");

    let catalog = graph_node(&doc, "https://civitas.tycg.gov.tw/catalog");
    assert_eq!(catalog["@type"], json!(["dcat:Catalog"]));
    assert_eq!(
        catalog["dcat:dataset"],
        json!({"@id": "https://civitas.tycg.gov.tw/catalog/datasets/0015aa2e"})
    );

    let ds = graph_node(
        &doc,
        "https://civitas.tycg.gov.tw/catalog/datasets/0015aa2e",
    );
    assert_eq!(ds["@type"], json!(["dcat:Dataset"]));
    assert_eq!(
        ds["dct:title"],
        json!([
            {"@value": "桃園市登革熱確診個案分布", "@language": "zh-Hant-TW"},
            {"@value": "Dengue cases in Taoyuan", "@language": "en"},
        ])
    );
    assert_eq!(
        ds["dct:accrualPeriodicity"]["@id"],
        "http://publications.europa.eu/resource/authority/frequency/MONTHLY"
    );
    assert_eq!(
        ds["dct:accessRights"]["@id"],
        "http://publications.europa.eu/resource/authority/access-right/PUBLIC"
    );
    assert_eq!(
        ds["dct:temporal"],
        json!({
            "@type": ["dct:PeriodOfTime"],
            "dcat:startDate": {"@value": "2016-01-01", "@type": "xsd:date"},
            "dcat:endDate": {"@value": "2018-02-28", "@type": "xsd:date"},
        })
    );
    assert_eq!(
        ds["dct:modified"],
        json!({"@value": "2018-03-20T00:00:00Z", "@type": "xsd:dateTime"})
    );
    assert_eq!(
        ds["dcat:contactPoint"]["vcard:hasTelephone"]["@id"],
        "tel:03-3340935;ext=1234"
    );
    let themes: Vec<&str> = ds["dcat:theme"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["@id"].as_str().unwrap())
        .collect();
    assert_eq!(
        themes,
        [
            "https://civitas.tycg.gov.tw/catalog/categories/medical-care",
            "http://publications.europa.eu/resource/authority/data-theme/HEAL",
        ]
    );

    let publisher = graph_node(&doc, "https://civitas.tycg.gov.tw/agencies/380140000I");
    assert_eq!(
        publisher["@type"],
        json!(["foaf:Agent", "foaf:Organization"])
    );
    assert_eq!(
        publisher["foaf:name"],
        json!([
            {"@value": "桃園市政府衛生局", "@language": "zh-Hant-TW"},
            {"@value": "Department of Public Health", "@language": "en"},
        ])
    );

    let csv = graph_node(
        &doc,
        "https://civitas.tycg.gov.tw/catalog/datasets/0015aa2e/distributions/1",
    );
    assert_eq!(
        csv["dct:format"]["@id"],
        "http://publications.europa.eu/resource/authority/file-type/CSV"
    );
    assert_eq!(
        csv["dcat:byteSize"],
        json!({"@value": "2048", "@type": "xsd:decimal"})
    );
    assert_eq!(
        csv["cnt:characterEncoding"],
        json!([{"@value": "UTF-8"}, {"@value": "Big5"}])
    );
    assert_eq!(
        csv["spdx:checksum"]["spdx:checksumValue"]["@type"],
        "xsd:hexBinary"
    );
    assert_eq!(csv["dct:license"]["@id"], "https://data.gov.tw/license");
}

/// Scans Turtle the way a parser would: inside a `"…"` literal no raw line break may
/// appear, and every literal that opens must close.
fn assert_literals_well_formed(turtle: &str) {
    let mut in_literal = false;
    let mut escaped = false;
    for (line_no, line) in turtle.split('\n').enumerate() {
        assert!(!in_literal, "a literal runs over line {line_no}: {line}");
        for c in line.chars() {
            match (in_literal, escaped, c) {
                (true, true, _) => escaped = false,
                (true, false, '\\') => escaped = true,
                (true, false, '"') => in_literal = false,
                (true, false, '\r') => panic!("raw carriage return in line {line_no}"),
                (false, _, '"') => in_literal = true,
                _ => {}
            }
        }
    }
    assert!(!in_literal, "an unterminated literal at the end");
}

#[test]
fn text_with_quotes_line_breaks_and_backslashes_stays_inside_its_turtle_literal() {
    let mut tricky = record("tricky-1", "「桃園」\"quoted\" title");
    tricky.description_zh = "第一行\n第二行\r\n\t他說：\"好\" \\ 反斜線 \u{7}鈴".into();
    tricky.keywords = vec!["a\"b".into(), "c\\d".into()];
    tricky.title_en = Some("Line one\nline two".into());
    let turtle = catalog_turtle(
        &info(),
        &[city(), health_bureau()],
        &[dataset(1, tricky)],
        BASE,
    );

    assert_literals_well_formed(&turtle);
    assert!(turtle.contains(
        r#"dct:description "第一行\n第二行\r\n\t他說：\"好\" \\ 反斜線 \u0007鈴"@zh-Hant-TW"#
    ));
    assert!(turtle.contains(r#"dct:title "「桃園」\"quoted\" title"@zh-Hant-TW"#));
    assert!(turtle.contains(r#"dct:title "Line one\nline two"@en"#));
    assert!(turtle.contains(r#"dcat:keyword "a\"b"@zh-Hant-TW"#));
    assert!(turtle.contains(r#"dcat:keyword "c\\d"@zh-Hant-TW"#));
    assert!(turtle.contains(r#"dct:issued "2018-03-20T00:00:00Z"^^xsd:dateTime"#));
    assert!(turtle.contains(r#"dcat:startDate "2016-01-01"^^xsd:date"#));
    assert!(turtle.contains("@prefix dcat: <http://www.w3.org/ns/dcat#> ."));
    assert!(
        turtle.contains(
            "<https://civitas.tycg.gov.tw/catalog/datasets/tricky-1>\n    a dcat:Dataset ;"
        )
    );
}

#[test]
fn json_ld_and_turtle_name_the_same_subjects() {
    let datasets = [dataset(1, record("0015aa2e", "桃園市登革熱確診個案分布"))];
    let agencies = [city(), health_bureau()];
    let doc = catalog_jsonld(&info(), &agencies, &datasets, BASE);
    let turtle = catalog_turtle(&info(), &agencies, &datasets, BASE);
    let ids: Vec<&str> = doc["@graph"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["@id"].as_str().unwrap())
        .collect();
    let subjects: Vec<&str> = turtle
        .lines()
        .filter(|l| l.starts_with('<'))
        .map(|l| l.trim_start_matches('<').trim_end_matches('>'))
        .collect();
    assert_eq!(ids, subjects);
}
