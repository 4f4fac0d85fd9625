//! Stories about the DCAT-AP export, some over Taoyuan's real supply list (1,429 datasets in
//! `fixtures/catalog`) and validated with pyshacl against the official shapes in
//! `fixtures/dcat` (see the READMEs there for sources and licences).

use crate::agencies::{Agency, AgencyCode, AgencyKind};
use crate::catalog::sources::taoyuan;
use crate::catalog::{
    AccessLevel, Dataset, DatasetKey, DatasetKind, DatasetRecord, DatasetStatus, Distribution,
    DistributionKind,
};
use crate::text::Text;
use crate::time::Timestamp;

use super::{CatalogInfo, Place};

mod serialisation;
mod shacl;
mod stories;

pub const BASE: &str = "https://civitas.tycg.gov.tw";
const CITY: &str = "380000000A";

/// 2018-03-20, the day the supply list was taken.
fn listed_at() -> Timestamp {
    Timestamp::from_millis(1_521_504_000_000).unwrap()
}

fn code(text: &str) -> AgencyCode {
    AgencyCode::parse(text).unwrap()
}

pub fn info() -> CatalogInfo {
    CatalogInfo {
        title: Text::new(
            "桃園市政府資料目錄",
            "Taoyuan City Government Data Catalogue",
        ),
        description: Text::new(
            "桃園市政府各機關提供的資料集。",
            "Datasets provided by the agencies of Taoyuan City Government.",
        ),
        publisher: code(CITY),
        homepage: format!("{BASE}/catalog"),
        issued: Some(listed_at()),
        licence_url: Some("https://data.gov.tw/license".into()),
        // Approximate extent of Taoyuan City (WGS 84), enough for a catalogue-level bbox.
        place: Some(Place {
            slug: "taoyuan".into(),
            name: Text::new("桃園市", "Taoyuan City"),
            bbox_wkt: Some(
                "POLYGON((120.97 24.58, 121.49 24.58, 121.49 25.13, 120.97 25.13, 120.97 24.58))"
                    .into(),
            ),
            centroid_wkt: Some("POINT(121.25 24.87)".into()),
        }),
    }
}

pub fn agency(code_text: &str, name_zh: &str, name_en: Option<&str>, kind: AgencyKind) -> Agency {
    Agency {
        code: code(code_text),
        name_zh: name_zh.into(),
        name_en: name_en.map(Into::into),
        short_name_zh: None,
        parent: (kind != AgencyKind::CityGovernment).then(|| code(CITY)),
        kind,
        active: true,
        retired_at: None,
        successor: None,
        created_at: listed_at(),
        updated_at: listed_at(),
    }
}

pub fn city() -> Agency {
    agency(
        CITY,
        "桃園市政府",
        Some("Taoyuan City Government"),
        AgencyKind::CityGovernment,
    )
}

pub fn dataset(id: i64, record: DatasetRecord) -> Dataset {
    Dataset {
        id,
        key: DatasetKey {
            source: taoyuan::SOURCE.into(),
            key: record.identifier.clone(),
        },
        data_updated_at: record.source_modified,
        record,
        status: DatasetStatus::Active,
        version: 1,
        series: None,
        created_at: listed_at(),
        updated_at: listed_at(),
        seen_at: listed_at(),
        reviewed_at: None,
        freshness: None,
    }
}

/// A record as a steward might write it, with both languages and one CSV file.
pub fn record(identifier: &str, title_zh: &str) -> DatasetRecord {
    DatasetRecord {
        identifier: identifier.into(),
        title_zh: title_zh.into(),
        title_en: Some("Dengue cases in Taoyuan".into()),
        description_zh: "桃園市登革熱確診個案分布。".into(),
        description_en: Some("Confirmed dengue cases by district.".into()),
        agency: code("380140000I"),
        category: Some("就醫".into()),
        category_code: None,
        keywords: vec!["登革熱".into(), "個案".into()],
        kind: DatasetKind::RawData,
        frequency: "每月".into(),
        license: Some("政府資料開放授權條款－第1版".into()),
        license_url: Some("https://data.gov.tw/license".into()),
        cost: None,
        cost_url: None,
        cost_law: None,
        access_level: AccessLevel::Open,
        contact_name: Some("王小明".into()),
        contact_email: Some("dengue@tycg.gov.tw".into()),
        contact_phone: Some("03-3340935#1234".into()),
        temporal_from: Some("2016-01-01".into()),
        temporal_to: Some("2018/2/28".into()),
        spatial: Some("桃園市".into()),
        language: Some("zh-TW".into()),
        landing_page: Some(format!(
            "https://data.tycg.gov.tw/opendata/datalist/datasetMeta?oid={identifier}"
        )),
        record_count: None,
        notes: None,
        fields: Vec::new(),
        distributions: vec![Distribution {
            title: None,
            kind: DistributionKind::Download,
            format: Some("CSV".into()),
            encoding: Some("UTF-8, Big5".into()),
            access_url: None,
            download_url: Some("https://data.tycg.gov.tw/dengue.csv".into()),
            media_type: None,
            byte_size: Some(2048),
            checksum_sha256: Some("ab".repeat(32)),
            modified: Some(listed_at()),
        }],
        issued: Some(listed_at()),
        source_modified: Some(listed_at()),
    }
}

pub fn health_bureau() -> Agency {
    agency(
        "380140000I",
        "桃園市政府衛生局",
        Some("Department of Public Health"),
        AgencyKind::Bureau,
    )
}

/// Taoyuan's 2018 supply list as the catalogue would hold it, with the agencies named as
/// the list writes them (`380120000J 【社會局】`).
pub fn taoyuan_catalogue() -> (Vec<Agency>, Vec<Dataset>) {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/catalog/taoyuan_open_data_supply_list_2018.nocontact.csv"
    ))
    .unwrap();
    let rows = taoyuan::parse(&bytes).unwrap();
    let mut agencies = vec![city()];
    let mut datasets = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let record = row.result.clone().unwrap();
        if !agencies.iter().any(|a| a.code == record.agency) {
            let name = bracketed_name(&row.raw, record.agency.as_str())
                .unwrap_or_else(|| record.agency.to_string());
            let kind = if name.ends_with("區公所") {
                AgencyKind::District
            } else if name.contains("公司") {
                AgencyKind::Enterprise
            } else {
                AgencyKind::Bureau
            };
            agencies.push(agency(record.agency.as_str(), &name, None, kind));
        }
        datasets.push(dataset(i as i64 + 1, record));
    }
    (agencies, datasets)
}

/// `380120000J 【社會局】` → 社會局.
fn bracketed_name(raw: &str, code: &str) -> Option<String> {
    let after = &raw[raw.find(code)? + code.len()..];
    let open = after.find('【')? + '【'.len_utf8();
    let close = after[open..].find('】')? + open;
    Some(after[open..close].trim().to_string())
}
