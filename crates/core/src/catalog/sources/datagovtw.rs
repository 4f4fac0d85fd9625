//! data.gov.tw (政府資料開放平臺) dataset metadata: the per-dataset JSON as scraped in 2017–18
//! (one object a line: TITLE, NODE, AGENCY, RESOURCE[] …) and the whole-catalogue export, CSV
//! (UTF-8 with a BOM) or JSON, whose columns are 資料集識別碼, 資料集名稱 … Times are Taipei time.

use serde_json::Value;

use super::ckan::{AgencyHint, ResolveAgency, json_text};
use super::taoyuan::taipei_time;
use super::{bad_field, name_and_label, none_if_empty, parse_count, split_list};
use crate::catalog::model::{
    AccessLevel, DatasetKind, DatasetRecord, Distribution, DistributionKind, FieldDef,
};
use crate::catalog::plan::ParsedDataset;
use crate::import::decode_text;
use crate::text::Text;
use crate::time::Timestamp;

pub const SOURCE: &str = "data.gov.tw";
const LICENSE_URL: &str = "https://data.gov.tw/license";
const API_FORMATS: &[&str] = &["API", "WEBSERVICES", "WMS", "WFS", "RSS", "CAP"];
/// The export's columns a file must have to be read as one.
const REQUIRED: &[&str] = &["資料集識別碼", "資料集名稱", "提供機關"];

/// `2017/05/22 20:26`, `2026-03-10 00:00:00.000000` or `2017/09/12`, in Taipei time.
fn datagovtw_time(text: &str) -> Option<Timestamp> {
    let text = text.trim().replace('/', "-");
    let text = text.split('.').next().unwrap_or("");
    match text.len() {
        16 => taipei_time(&format!("{text}:00")),
        _ => taipei_time(text),
    }
}

fn optional_time(field: &str, text: &str) -> Result<Option<Timestamp>, Text> {
    match text.trim() {
        "" => Ok(None),
        t => datagovtw_time(t)
            .map(Some)
            .ok_or_else(|| bad_field(field, t)),
    }
}

/// `2.16.886.101.20003.20082|數位發展部` (an OID and the name, as in `publisherOID`) or a name.
fn agency_hint(cell: &str) -> AgencyHint {
    let (oid, name) = cell.split_once('|').unwrap_or(("", cell));
    AgencyHint {
        code: none_if_empty(oid),
        name: none_if_empty(name),
        id: None,
    }
}

/// 資料集類型 as data.gov.tw labels it: 系統介接程式 is the standard's SERVICES.
fn kind(text: &str) -> DatasetKind {
    match text.trim() {
        "系統介接程式" | "API" => DatasetKind::Service,
        other => DatasetKind::parse(other).unwrap_or_default(),
    }
}

fn license_url(license: Option<&str>) -> Option<String> {
    license
        .filter(|l| l.starts_with("政府資料開放授權條款"))
        .map(|_| LICENSE_URL.to_string())
}

fn fields(items: Vec<String>) -> Vec<FieldDef> {
    items
        .into_iter()
        .map(|item| {
            let (name, label) = name_and_label(&item);
            FieldDef {
                name,
                label,
                data_type: None,
                description: None,
            }
        })
        .filter(|f| !f.name.is_empty())
        .collect()
}

fn distribution(
    format: Option<String>,
    url: Option<String>,
    encoding: Option<String>,
) -> Distribution {
    let format = format.map(|f| f.to_uppercase());
    let api = format.as_deref().is_some_and(|f| API_FORMATS.contains(&f));
    Distribution {
        title: None,
        kind: if api {
            DistributionKind::Api
        } else {
            DistributionKind::Download
        },
        format,
        // 其他 ("other") names no encoding.
        encoding: encoding.filter(|e| e != "其他"),
        access_url: url.clone().filter(|_| api),
        download_url: url.filter(|_| !api),
        media_type: None,
        byte_size: None,
        checksum_sha256: None,
        modified: None,
    }
}

/// The data's last update: the newest resource update, else the metadata update time.
fn data_modified(distributions: &[Distribution], metadata: Option<Timestamp>) -> Option<Timestamp> {
    distributions
        .iter()
        .filter_map(|d| d.modified)
        .max()
        .or(metadata)
}

/// A string, or a list of strings, at `key` of a scraped record.
fn list(value: &Value, key: &str) -> Vec<String> {
    match value.get(key) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().and_then(none_if_empty))
            .collect(),
        Some(Value::String(s)) => split_list(s),
        _ => Vec::new(),
    }
}

fn scraped_record(v: &Value, resolve: ResolveAgency<'_>) -> Result<DatasetRecord, Text> {
    let get = |key: &str| json_text(v, key);
    let identifier = get("NODE")
        .ok_or_else(|| Text::new("缺少資料集識別碼（NODE）", "the dataset has no id (NODE)"))?;
    let title =
        get("TITLE").ok_or_else(|| Text::new("缺少資料集名稱", "the dataset has no title"))?;
    let agency = agency_hint(&get("AGENCY").unwrap_or_default()).resolve(resolve)?;
    let mut distributions = Vec::new();
    let mut record_count = None;
    for r in v
        .get("RESOURCE")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
    {
        let mut d = distribution(
            json_text(r, "RES_FILETYPE"),
            json_text(r, "RES_URL"),
            json_text(r, "RES_ENCODE"),
        );
        d.title = json_text(r, "RES_DESC");
        d.modified = optional_time(
            "RES_DATE_UPDATE_META",
            &json_text(r, "RES_DATE_UPDATE_META").unwrap_or_default(),
        )?;
        // 0 is what the platform shows when the agency gave no count.
        let count = json_text(r, "REC_COUNT")
            .and_then(|c| parse_count(&c))
            .filter(|c| *c > 0);
        record_count = record_count.max(count);
        distributions.push(d);
    }
    let metadata = optional_time(
        "DATE_UPDATE_META",
        &get("DATE_UPDATE_META").unwrap_or_default(),
    )?;
    let license = get("LICENCE");
    Ok(DatasetRecord {
        landing_page: get("相關網址")
            .or_else(|| Some(format!("https://data.gov.tw/dataset/{identifier}"))),
        identifier,
        title_zh: title,
        title_en: None,
        description_zh: get("DESC").unwrap_or_default(),
        description_en: None,
        agency,
        category: get("SERVICE_TYPE"),
        category_code: None,
        keywords: list(v, "KEYWORDS"),
        kind: kind(&get("DATA_TYPE").unwrap_or_default()),
        frequency: get("UPDATE_FREQ").unwrap_or_default(),
        license_url: license_url(license.as_deref()),
        license,
        cost: get("CHARGE"),
        cost_url: None,
        cost_law: None,
        access_level: AccessLevel::Open,
        contact_name: get("AGENCY_CONTACT"),
        contact_email: None,
        contact_phone: None,
        temporal_from: None,
        temporal_to: None,
        spatial: None,
        language: None,
        record_count,
        notes: get("NOTES"),
        fields: fields(list(v, "SCHEMA")),
        source_modified: data_modified(&distributions, metadata),
        distributions,
        issued: optional_time("DATE_PUBLISH", &get("DATE_PUBLISH").unwrap_or_default())?,
    })
}

/// The per-dataset metadata, one JSON object a line. Blank lines are skipped.
pub fn parse_jsonl(bytes: &[u8], resolve: ResolveAgency<'_>) -> Result<Vec<ParsedDataset>, Text> {
    let (text, _) = decode_text(bytes)?;
    let rows = (1u64..)
        .zip(text.lines())
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(line, raw)| ParsedDataset {
            line,
            raw: raw.to_string(),
            result: match serde_json::from_str::<Value>(raw) {
                Ok(v) if v.is_object() => scraped_record(&v, resolve),
                Ok(_) => Err(Text::new(
                    "這一行不是 JSON 物件",
                    "this line is not a JSON object",
                )),
                Err(e) => Err(Text::new(
                    format!("JSON 格式損壞：{e}"),
                    format!("broken JSON: {e}"),
                )),
            },
        })
        .collect();
    Ok(rows)
}

/// One row of the catalogue export, CSV or JSON, read through its column names.
fn export_record(
    get: &dyn Fn(&str) -> String,
    resolve: ResolveAgency<'_>,
) -> Result<DatasetRecord, Text> {
    let identifier = none_if_empty(&get("資料集識別碼"))
        .ok_or_else(|| Text::new("缺少資料集識別碼", "the dataset has no id"))?;
    let title = none_if_empty(&get("資料集名稱"))
        .ok_or_else(|| Text::new("缺少資料集名稱", "the dataset has no title"))?;
    let agency = agency_hint(&get("提供機關")).resolve(resolve)?;
    // One resource per ';'-separated item of these three columns.
    let split = |column: &str| {
        get(column)
            .split(';')
            .map(none_if_empty)
            .collect::<Vec<_>>()
    };
    let (formats, urls, encodings) = (split("檔案格式"), split("資料下載網址"), split("編碼格式"));
    let count = formats.len().max(urls.len());
    let distributions: Vec<Distribution> = (0..count)
        .map(|i| {
            let at = |list: &[Option<String>]| list.get(i).cloned().flatten();
            distribution(at(&formats), at(&urls), at(&encodings))
        })
        .filter(|d| d.format.is_some() || d.download_url.is_some() || d.access_url.is_some())
        .collect();
    let metadata = optional_time("詮釋資料更新時間", &get("詮釋資料更新時間"))?;
    let license = none_if_empty(&get("授權方式"));
    let amount = get("資料量");
    let kind_cell = match get("資料集類型") {
        k if k.trim().is_empty() => get("資料提供屬性"),
        k => k,
    };
    Ok(DatasetRecord {
        landing_page: Some(format!("https://data.gov.tw/dataset/{identifier}")),
        identifier,
        title_zh: title,
        title_en: None,
        description_zh: get("資料集描述").trim().to_string(),
        description_en: None,
        agency,
        category: none_if_empty(&get("服務分類")),
        category_code: None,
        keywords: Vec::new(),
        kind: kind(&kind_cell),
        frequency: get("更新頻率").trim().to_string(),
        license_url: license_url(license.as_deref()),
        license,
        cost: none_if_empty(&get("計費方式")),
        cost_url: None,
        cost_law: None,
        access_level: AccessLevel::Open,
        contact_name: none_if_empty(&get("提供機關聯絡人姓名")),
        contact_email: None,
        contact_phone: none_if_empty(&get("提供機關聯絡人電話")),
        temporal_from: None,
        temporal_to: None,
        spatial: None,
        language: None,
        record_count: parse_count(&amount),
        notes: none_if_empty(&get("備註")),
        fields: fields(split_list(&get("主要欄位說明"))),
        // The export states no resource times: the metadata update time is all there is.
        source_modified: data_modified(&distributions, metadata),
        distributions,
        issued: optional_time("上架日期", &get("上架日期"))?,
    })
}

fn not_an_export(column: &str) -> Text {
    Text::new(
        format!("這不是政府資料開放平臺的資料集清單：缺少「{column}」欄位"),
        format!("this is not a data.gov.tw catalogue export: the '{column}' column is missing"),
    )
}

/// The catalogue export as CSV (`/api/front/dataset/export?format=csv`).
pub fn parse_export_csv(
    bytes: &[u8],
    resolve: ResolveAgency<'_>,
) -> Result<Vec<ParsedDataset>, Text> {
    let (text, _) = decode_text(bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| {
            Text::new(
                format!("無法讀取標題列：{e}"),
                format!("cannot read the header row: {e}"),
            )
        })?
        .clone();
    let index: std::collections::HashMap<&str, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim(), i))
        .collect();
    if let Some(missing) = REQUIRED.iter().find(|c| !index.contains_key(*c)) {
        return Err(not_an_export(missing));
    }
    let mut out = Vec::new();
    for (i, row) in (2u64..).zip(reader.records()) {
        let line = row
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map_or(i, |p| p.line());
        out.push(match row {
            Ok(r) => {
                let get = |column: &str| {
                    index
                        .get(column)
                        .and_then(|i| r.get(*i))
                        .unwrap_or("")
                        .to_string()
                };
                ParsedDataset {
                    line,
                    raw: r.iter().collect::<Vec<_>>().join(","),
                    result: export_record(&get, resolve),
                }
            }
            Err(e) => ParsedDataset {
                line,
                raw: String::new(),
                result: Err(Text::new(
                    format!("CSV 列格式損壞：{e}"),
                    format!("broken CSV row: {e}"),
                )),
            },
        });
    }
    Ok(out)
}

/// The catalogue export as JSON (`…/export?format=json`): an array of rows keyed by column.
pub fn parse_export_json(
    bytes: &[u8],
    resolve: ResolveAgency<'_>,
) -> Result<Vec<ParsedDataset>, Text> {
    let (text, _) = decode_text(bytes)?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| {
        Text::new(
            format!("不是有效的 JSON：{e}"),
            format!("not valid JSON: {e}"),
        )
    })?;
    let rows = doc
        .as_array()
        .ok_or_else(|| not_an_export("資料集識別碼"))?;
    if let Some(missing) = rows
        .first()
        .and_then(|r| REQUIRED.iter().find(|c| r.get(**c).is_none()))
    {
        return Err(not_an_export(missing));
    }
    Ok((1u64..)
        .zip(rows)
        .map(|(line, row)| {
            let get = |column: &str| json_text(row, column).unwrap_or_default();
            ParsedDataset {
                line,
                raw: row.to_string(),
                result: export_record(&get, resolve),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;
    use crate::agencies::AgencyCode;
    use crate::catalog::plan::plan_catalog_import;
    use crate::freshness::UpdateFrequency;
    use crate::import::ImportReport;

    fn scrape() -> Vec<u8> {
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/catalog/datagovtw_2017_iot_metadata.nocontact.jsonl"
        ))
        .unwrap()
    }

    /// Taoyuan's agencies by the names data.gov.tw gives them (codes from the city's supply list).
    fn taoyuan(hint: &AgencyHint) -> Option<AgencyCode> {
        let code = match hint.name.as_deref()? {
            "桃園市政府消防局" => "380320000A",
            "桃園市政府環境保護局" => "380150000I",
            "桃園市政府水務局" => "380250000G",
            "桃園市政府勞動局" => "380240000J",
            "桃園市政府人事處" => "380210000A",
            "桃園市政府研究發展考核委員會" => "380220000A",
            _ => return None,
        };
        AgencyCode::parse(code).ok()
    }

    fn everyone(_: &AgencyHint) -> Option<AgencyCode> {
        AgencyCode::parse("TW-ANY").ok()
    }

    #[test]
    fn the_whole_2017_scrape_reads_and_its_ten_repeated_datasets_count_once() {
        let rows = parse_jsonl(&scrape(), &everyone).unwrap();
        assert_eq!(rows.len(), 936);
        assert!(rows.iter().all(|r| r.result.is_ok()));
        // 926 datasets; 10 NODEs were saved under two folders. 9 of the copies are identical,
        // one differs only in its comment count, which is no part of the description.
        let mut seen: HashMap<String, Value> = HashMap::new();
        let (mut same, mut differ) = (0, 0);
        for r in &rows {
            let mut v: Value = serde_json::from_str(&r.raw).unwrap();
            v.as_object_mut().unwrap().remove("_source_path");
            match seen.get(v["NODE"].as_str().unwrap()) {
                Some(first) if *first == v => same += 1,
                Some(_) => differ += 1,
                None => {
                    seen.insert(v["NODE"].as_str().unwrap().to_string(), v);
                }
            }
        }
        assert_eq!((seen.len(), same, differ), (926, 9, 1));

        let known: HashSet<AgencyCode> = [AgencyCode::parse("TW-ANY").unwrap()].into();
        let now = Timestamp::parse_rfc3339("2018-04-01T00:00:00Z").unwrap();
        let plan = plan_catalog_import(
            &[],
            rows,
            SOURCE,
            true,
            &known,
            now,
            ImportReport::new("datasets", "jsonl", SOURCE),
        );
        assert_eq!((plan.report.created, plan.report.duplicates), (926, 10));
        assert!(plan.report.rejected.is_empty() && plan.report.reconciles());
    }

    #[test]
    fn every_frequency_data_gov_tw_wrote_is_understood_or_reported_missing() {
        let rows = parse_jsonl(&scrape(), &everyone).unwrap();
        let parsed: Vec<UpdateFrequency> = rows
            .iter()
            .map(|r| r.result.as_ref().unwrap().frequency())
            .collect();
        let missing = parsed
            .iter()
            .filter(|f| **f == UpdateFrequency::Missing)
            .count();
        let unknown = parsed
            .iter()
            .filter(|f| matches!(f, UpdateFrequency::Unknown(_)))
            .count();
        assert_eq!((missing, unknown), (128, 0));
    }

    #[test]
    fn only_taoyuans_56_datasets_are_taken_the_rest_name_their_unknown_agency() {
        let rows = parse_jsonl(&scrape(), &taoyuan).unwrap();
        let taken = rows.iter().filter(|r| r.result.is_ok()).count();
        assert_eq!((taken, rows.len() - taken), (56, 880));
        let weather = rows[2..]
            .iter()
            .find_map(|r| {
                r.result
                    .as_ref()
                    .err()
                    .filter(|e| e.zh.contains("交通部中央氣象局"))
            })
            .unwrap();
        assert_eq!(
            weather.zh,
            "提供機關「交通部中央氣象局」不在機關清單中；請先新增此機關，或設定來源機關與機關代碼的對應"
        );
        assert!(weather.en.starts_with(
            "the providing agency '交通部中央氣象局' is not in the organisation tree"
        ));
    }

    #[test]
    fn a_metadata_edit_is_not_taken_for_a_data_update() {
        let rows = parse_jsonl(&scrape(), &taoyuan).unwrap();
        // In 116 of the 936 records the description was edited after the newest resource.
        let edited_later = rows
            .iter()
            .filter(|r| {
                let v: Value = serde_json::from_str(&r.raw).unwrap();
                let meta = datagovtw_time(v["DATE_UPDATE_META"].as_str().unwrap());
                scraped_record(&v, &everyone).unwrap().source_modified < meta
            })
            .count();
        assert_eq!(edited_later, 116);

        let hotlines = rows
            .iter()
            .filter_map(|r| r.result.as_ref().ok())
            .find(|d| d.identifier == "31241")
            .unwrap();
        assert_eq!(hotlines.title_zh, "桃園市災害通報一覽表");
        assert_eq!(hotlines.agency.as_str(), "380320000A");
        // Its CSV last changed 2016/11/07 08:47; the description was edited 2018/02/02 11:22.
        assert_eq!(
            hotlines.distributions[0].modified.unwrap().to_rfc3339(),
            "2016-11-07T00:47:00Z"
        );
        assert_eq!(
            hotlines.source_modified.unwrap().to_rfc3339(),
            "2016-11-07T00:47:00Z"
        );
        assert_eq!(
            hotlines.issued.unwrap().to_rfc3339(),
            "2016-05-03T16:00:00Z"
        );
        assert_eq!(hotlines.kind, DatasetKind::Service, "系統介接程式");
        assert_eq!(hotlines.frequency, "不定期");
        assert_eq!(hotlines.category.as_deref(), Some("公共資訊"));
        assert_eq!(hotlines.license_url.as_deref(), Some(LICENSE_URL));
        assert_eq!(hotlines.fields[1].name, "電話");
        assert_eq!(
            hotlines.fields[1].label.as_deref(),
            Some("桃園市災害通報單位電話")
        );
        assert_eq!(
            hotlines.formats(),
            ["CSV"],
            "data.gov.tw's own CSV/XLSX/… conversions are not resources"
        );
        assert_eq!(
            hotlines.landing_page.as_deref(),
            Some("https://data.gov.tw/dataset/31241")
        );
    }

    #[test]
    fn a_service_dataset_keeps_its_fields_and_its_related_page() {
        let rows = parse_jsonl(&scrape(), &everyone).unwrap();
        let flood = rows[0].result.as_ref().unwrap();
        assert_eq!(
            (flood.identifier.as_str(), flood.title_zh.as_str()),
            ("5981", "水利防災資訊")
        );
        assert_eq!(flood.fields.len(), 8);
        assert_eq!(flood.fields[0].name, "警戒原因");
        assert_eq!(flood.keywords, ["水情", "警戒資訊", "防災"]);
        assert_eq!(
            flood.landing_page.as_deref(),
            Some("https://data.wra.gov.tw/WraStandardWrisp/Query/StandardDetail.aspx?DictID=285")
        );
        let kml = &flood.distributions[0];
        assert_eq!(
            (kml.format.as_deref(), kml.encoding.as_deref()),
            (Some("KML"), Some("UTF-8"))
        );
        assert_eq!(
            kml.download_url.as_deref(),
            Some("http://fhy.wra.gov.tw/Pub_Web_2011/kml/WRAWarm.kml")
        );
        assert_eq!(
            flood.source_modified.unwrap().to_rfc3339(),
            "2017-11-22T02:14:00Z"
        );
    }

    /// HAND-MADE, not a real download: four rows written in the export's column names
    /// (catalog.md §2.3), with values from the 2017 scrape. Row 4 lacks a title, row 5 has
    /// an unreadable date. Resources are ';'-separated as in the real export.
    const HAND_MADE_EXPORT: &str = "\u{feff}資料集識別碼,資料集名稱,資料提供屬性,服務分類,品質檢測,檔案格式,資料下載網址,編碼格式,資料集類型,資料集描述,主要欄位說明,提供機關,提供機關聯絡人姓名,提供機關聯絡人電話,更新頻率,授權方式,計費方式,上架日期,詮釋資料更新時間,資料量,備註
76760,空氣品質人工監測站位置,檔案資料,生活安全及品質,白金,XLS;CSV,https://data.tycg.gov.tw/a.xls;https://data.tycg.gov.tw/a.csv,UTF-8;UTF-8,原始資料,彙整空氣品質人工監測站設置位置及監測項目,測站名稱;地點;測定項目,桃園市政府環境保護局,,,不定期,政府資料開放授權條款-第1版,免費,2018-01-22,2018-01-22 15:19:00.000000,12,
5981,水利防災資訊,系統介接程式,公共資訊,,KML,http://fhy.wra.gov.tw/Pub_Web_2011/kml/WRAWarm.kml,UTF-8,,水利署整合了氣象、雨量等資訊,警戒原因、地區,2.16.886.101.20003.20065|經濟部水利署,,,不定期,政府資料開放授權條款-第1版,免費,2017-09-12,2017-05-22 20:26:00.000000,,
46791,,檔案資料,生活安全及品質,,XLS,https://data.tycg.gov.tw/b.xls,UTF-8,,,,桃園市政府環境保護局,,,不定期,,,2017-06-27,2017-06-27 14:49:00.000000,,
76758,空氣品質資料,檔案資料,生活安全及品質,,XLS,https://data.tycg.gov.tw/c.xls,UTF-8,,,,桃園市政府環境保護局,,,每月,,,民國107年,2018-03-05 10:50:00.000000,,
";

    #[test]
    fn the_catalogue_export_reads_row_by_row_and_says_what_is_wrong_where() {
        let rows = parse_export_csv(HAND_MADE_EXPORT.as_bytes(), &taoyuan).unwrap();
        assert_eq!(
            rows.iter().map(|r| r.line).collect::<Vec<_>>(),
            [2, 3, 4, 5]
        );
        let station = rows[0].result.as_ref().unwrap();
        assert_eq!(station.formats(), ["CSV", "XLS"]);
        assert_eq!(
            station.distributions[1].download_url.as_deref(),
            Some("https://data.tycg.gov.tw/a.csv")
        );
        assert_eq!(
            station
                .fields
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>(),
            ["測站名稱", "地點", "測定項目"]
        );
        assert_eq!(station.record_count, Some(12));
        assert_eq!(station.kind, DatasetKind::RawData);
        // No resource times in the export: the metadata time is the only one there is.
        assert_eq!(
            station.source_modified.unwrap().to_rfc3339(),
            "2018-01-22T07:19:00Z"
        );
        let water = rows[1].result.as_ref().unwrap_err();
        assert!(
            water
                .zh
                .contains("經濟部水利署（2.16.886.101.20003.20065）"),
            "the OID reaches the resolver: {}",
            water.zh
        );
        assert_eq!(
            rows[2].result.as_ref().unwrap_err().en,
            "the dataset has no title"
        );
        assert_eq!(
            rows[3].result.as_ref().unwrap_err().zh,
            "欄位「上架日期」的值「民國107年」無法解讀"
        );
    }

    #[test]
    fn the_json_export_gives_the_same_dataset_as_the_csv_export() {
        let csv = parse_export_csv(HAND_MADE_EXPORT.as_bytes(), &taoyuan).unwrap();
        // HAND-MADE: the first row again, as the JSON export writes it (ids are numbers there).
        let json = r#"[{"資料集識別碼": 76760, "資料集名稱": "空氣品質人工監測站位置", "資料提供屬性": "檔案資料", "服務分類": "生活安全及品質", "品質檢測": "白金", "檔案格式": "XLS;CSV", "資料下載網址": "https://data.tycg.gov.tw/a.xls;https://data.tycg.gov.tw/a.csv", "編碼格式": "UTF-8;UTF-8", "資料集類型": "原始資料", "資料集描述": "彙整空氣品質人工監測站設置位置及監測項目", "主要欄位說明": "測站名稱;地點;測定項目", "提供機關": "桃園市政府環境保護局", "更新頻率": "不定期", "授權方式": "政府資料開放授權條款-第1版", "計費方式": "免費", "上架日期": "2018-01-22", "詮釋資料更新時間": "2018-01-22 15:19:00.000000", "資料量": "12"}]"#;
        let rows = parse_export_json(json.as_bytes(), &taoyuan).unwrap();
        assert_eq!(
            rows[0].result.as_ref().unwrap(),
            csv[0].result.as_ref().unwrap()
        );
    }

    #[test]
    fn a_file_that_is_not_the_export_is_refused_as_a_whole() {
        let err = parse_export_csv("名稱,機關\n甲,乙\n".as_bytes(), &taoyuan).unwrap_err();
        assert_eq!(
            err.zh,
            "這不是政府資料開放平臺的資料集清單：缺少「資料集識別碼」欄位"
        );
        assert!(parse_export_json(b"{\"success\": false}", &taoyuan).is_err());
    }

    #[test]
    fn a_broken_line_is_reported_where_it_is_and_the_rest_still_read() {
        let text = "{\"NODE\": \"1\", \"TITLE\": \"甲\", \"AGENCY\": \"桃園市政府勞動局\"}\n\n{\"NODE\": \"2\", \n[1]\n";
        let rows = parse_jsonl(text.as_bytes(), &taoyuan).unwrap();
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [1, 3, 4]);
        assert!(rows[0].result.is_ok());
        assert!(
            rows[1]
                .result
                .as_ref()
                .unwrap_err()
                .en
                .starts_with("broken JSON")
        );
        assert_eq!(
            rows[2].result.as_ref().unwrap_err().en,
            "this line is not a JSON object"
        );
    }
}
