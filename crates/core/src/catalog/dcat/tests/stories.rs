//! What the export decides: which datasets are offered, how yearly runs become series, and
//! how access levels read in EU terms.

use serde_json::{Value, json};

use super::super::catalog_jsonld;
use super::{BASE, city, dataset, health_bureau, info, record};
use crate::catalog::{AccessLevel, Dataset, DatasetStatus};
use crate::time::Timestamp;

const EU: &str = "http://publications.europa.eu/resource/authority/";

fn export(datasets: &[Dataset]) -> Value {
    catalog_jsonld(&info(), &[city(), health_bureau()], datasets, BASE)
}

fn node<'v>(doc: &'v Value, id: &str) -> Option<&'v Value> {
    doc["@graph"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["@id"] == id)
}

fn dataset_iri(identifier: &str) -> String {
    format!("{BASE}/catalog/datasets/{identifier}")
}

#[test]
fn a_dataset_withdrawn_from_its_source_is_no_longer_offered() {
    let kept = dataset(1, record("kept", "桃園市登革熱確診個案分布"));
    let mut gone = dataset(2, record("gone", "桃園市已下架資料"));
    gone.status = DatasetStatus::Withdrawn {
        at: Timestamp::from_millis(1_521_504_000_000).unwrap(),
    };
    let doc = export(&[kept, gone]);
    assert!(node(&doc, &dataset_iri("kept")).is_some());
    assert!(node(&doc, &dataset_iri("gone")).is_none());
    let catalog = node(&doc, &format!("{BASE}/catalog")).unwrap();
    assert_eq!(catalog["dcat:dataset"], json!({"@id": dataset_iri("kept")}));
}

#[test]
fn yearly_budgets_form_one_annual_series_whose_members_never_change() {
    let mut datasets = Vec::new();
    for (id, year) in [(1, 106), (2, 104), (3, 105)] {
        let mut r = record(
            &format!("budget-{year}"),
            &format!("{year}年度桃園市政府總預算"),
        );
        r.frequency = "每年".into();
        datasets.push(dataset(id, r));
    }
    let doc = export(&datasets);
    let series_iri = format!(
        "{BASE}/catalog/series/380140000I/%E6%A1%83%E5%9C%92%E5%B8%82%E6%94%BF%E5%BA%9C%E7%B8%BD%E9%A0%90%E7%AE%97"
    );
    let series = node(&doc, &series_iri).expect("the series is exported");
    assert_eq!(series["@type"], json!(["dcat:DatasetSeries"]));
    assert_eq!(
        series["dct:title"],
        json!({"@value": "桃園市政府總預算", "@language": "zh-Hant-TW"})
    );
    assert_eq!(
        series["dct:accrualPeriodicity"]["@id"],
        format!("{EU}frequency/ANNUAL")
    );
    assert_eq!(series["dcat:first"]["@id"], dataset_iri("budget-104"));
    assert_eq!(series["dcat:last"]["@id"], dataset_iri("budget-106"));
    assert!(
        series["dct:description"][0]["@value"]
            .as_str()
            .unwrap()
            .contains("民國104年至106年")
    );

    let member = node(&doc, &dataset_iri("budget-106")).unwrap();
    assert_eq!(member["dcat:inSeries"]["@id"], series_iri);
    assert_eq!(member["dcat:prev"]["@id"], dataset_iri("budget-105"));
    assert_eq!(
        member["dct:accrualPeriodicity"]["@id"],
        format!("{EU}frequency/NEVER")
    );
    let oldest = node(&doc, &dataset_iri("budget-104")).unwrap();
    assert!(oldest.get("dcat:prev").is_none());

    let catalog = node(&doc, &format!("{BASE}/catalog")).unwrap();
    let listed: Vec<&str> = catalog["dcat:dataset"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["@id"].as_str().unwrap())
        .collect();
    assert!(listed.contains(&series_iri.as_str()));
    assert_eq!(listed.len(), 4, "three members and their series");
}

#[test]
fn access_levels_read_as_eu_access_rights() {
    let cases = [
        (AccessLevel::Open, "PUBLIC"),
        (AccessLevel::City, "RESTRICTED"),
        (AccessLevel::Restricted, "RESTRICTED"),
        (AccessLevel::PersonalData, "NON_PUBLIC"),
    ];
    for (level, code) in cases {
        let mut r = record("x", "桃園市測試資料");
        r.access_level = level;
        let doc = export(&[dataset(1, r)]);
        let ds = node(&doc, &dataset_iri("x")).unwrap();
        assert_eq!(
            ds["dct:accessRights"]["@id"],
            format!("{EU}access-right/{code}"),
            "{level:?}"
        );
        let concept = node(&doc, &format!("{EU}access-right/{code}")).unwrap();
        assert_eq!(
            concept["@type"],
            json!(["dct:RightsStatement", "skos:Concept"])
        );
    }
}

#[test]
fn an_agency_missing_from_the_register_is_still_named_by_its_code() {
    let mut r = record("x", "桃園市測試資料");
    r.agency = crate::agencies::AgencyCode::parse("TY-UNKNOWN").unwrap();
    let doc = export(&[dataset(1, r)]);
    let agent = node(&doc, &format!("{BASE}/agencies/TY-UNKNOWN")).unwrap();
    assert_eq!(agent["foaf:name"], json!({"@value": "TY-UNKNOWN"}));
}

#[test]
fn a_record_without_description_files_or_dates_still_meets_the_mandatory_fields() {
    let mut r = record("bare", "桃園市最少欄位資料");
    r.description_zh = "  ".into();
    r.description_en = None;
    r.title_en = None;
    r.temporal_from = Some("20107-12-15".into());
    r.temporal_to = None;
    r.landing_page = Some("tyc.tycg.gov.tw/magazines/2".into());
    r.distributions[0].download_url = None;
    r.distributions[0].format = Some("URL".into());
    let doc = export(&[dataset(1, r)]);
    let ds = node(&doc, &dataset_iri("bare")).unwrap();
    assert_eq!(ds["dct:description"]["@value"], "桃園市最少欄位資料");
    assert!(ds.get("dct:temporal").is_none(), "no made-up dates");
    assert!(
        ds.get("dcat:landingPage").is_none(),
        "no relative addresses"
    );
    let file = node(&doc, &format!("{}/distributions/1", dataset_iri("bare"))).unwrap();
    assert_eq!(file["dcat:accessURL"]["@id"], dataset_iri("bare"));
    assert_eq!(file["dct:format"]["rdfs:label"]["@value"], "URL");
}
