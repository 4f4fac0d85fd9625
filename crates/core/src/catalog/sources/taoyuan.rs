//! Taoyuan City's open-data supply list (桃園市政府開放資料供應清單): one CSV row per dataset,
//! 29 columns, agencies written as `380120000J 【社會局】`, times in Taipei local time.

use super::{bad_field, name_and_label, none_if_empty, split_list};
use crate::agencies::AgencyCode;
use crate::catalog::model::{
    AccessLevel, DatasetKind, DatasetRecord, Distribution, DistributionKind, FieldDef,
};
use crate::catalog::plan::ParsedDataset;
use crate::import::decode_text;
use crate::text::Text;
use crate::time::{TAIPEI, Timestamp};

pub const SOURCE: &str = "taoyuan-supply-list";
const OGDL_TW_1: &str = "政府資料開放授權條款－第1版";
const OGDL_TW_1_URL: &str = "https://data.gov.tw/license";

/// `2017-08-18 15:37:43` (Taipei) → an instant; a bare date is midnight.
pub fn taipei_time(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    let dt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let d = time::macros::format_description!("[year]-[month]-[day]");
    let local = time::PrimitiveDateTime::parse(text, &dt)
        .ok()
        .or_else(|| time::Date::parse(text, &d).ok().map(|d| d.midnight()))?;
    Some(Timestamp::from_offset(local.assume_offset(TAIPEI)))
}

fn agency_of(cell: &str) -> Result<AgencyCode, Text> {
    let code = cell
        .split(|c: char| c.is_whitespace() || c == '【')
        .next()
        .unwrap_or("");
    AgencyCode::parse(code).map_err(|_| bad_field("資料集提供機關", cell))
}

/// The dataset's id on data.tycg.gov.tw: the `oid` of its page address.
fn oid(url: &str) -> Option<String> {
    let (_, rest) = url.split_once("oid=")?;
    let id: String = rest
        .chars()
        .take_while(|c| c.is_ascii_hexdigit() || *c == '-')
        .collect();
    if id.is_empty() { None } else { Some(id) }
}

/// 公共資訊 (921) → 公共資訊.
fn category(cell: &str) -> Option<String> {
    let name = cell.split(['(', '（']).next().unwrap_or("").trim();
    none_if_empty(name)
}

fn fields(cell: &str) -> Vec<FieldDef> {
    split_list(cell)
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
        .collect()
}

/// `, UTF-8, Big5` → `UTF-8, Big5`.
fn encoding(cell: &str) -> Option<String> {
    let parts = split_list(cell);
    if parts.is_empty() {
        None
    } else {
        Some(parts.join(", "))
    }
}

struct Columns {
    index: std::collections::HashMap<String, usize>,
}

impl Columns {
    fn get<'r>(&self, record: &'r csv::StringRecord, name: &str) -> &'r str {
        self.index
            .get(name)
            .and_then(|i| record.get(*i))
            .unwrap_or("")
            .trim()
    }
}

const REQUIRED: &[&str] = &[
    "資料名稱",
    "資料集提供機關",
    "更新頻率",
    "資料連結網址",
    "最後更新時間",
];

fn parse_row(c: &Columns, r: &csv::StringRecord) -> Result<DatasetRecord, Text> {
    let landing = c.get(r, "資料連結網址");
    let identifier = oid(landing).ok_or_else(|| bad_field("資料連結網址", landing))?;
    let title = c.get(r, "資料名稱");
    if title.is_empty() {
        return Err(Text::new("缺少資料名稱", "the dataset has no title"));
    }
    let agency_cell = match c.get(r, "資料集提供機關") {
        "" => c.get(r, "資料來源"),
        cell => cell,
    };
    let modified_cell = c.get(r, "最後更新時間");
    let source_modified = match modified_cell {
        "" => None,
        text => Some(taipei_time(text).ok_or_else(|| bad_field("最後更新時間", text))?),
    };
    let issued = match c.get(r, "建立日期") {
        "" => None,
        text => Some(taipei_time(text).ok_or_else(|| bad_field("建立日期", text))?),
    };
    // 資料量 is optional and written freely (９, 24筆): read what can be read, keep the rest.
    let count_cell = c.get(r, "資料量");
    let record_count = super::parse_count(count_cell);
    let mut notes = none_if_empty(c.get(r, "備註"));
    if record_count.is_none() && !count_cell.is_empty() {
        let kept = format!("資料量：{count_cell}");
        notes = Some(match notes {
            Some(n) => format!("{n}\n{kept}"),
            None => kept,
        });
    }
    let format_cell = match c.get(r, "資源格式") {
        "" => c.get(r, "檔案格式"),
        cell => cell,
    };
    let encoding = encoding(c.get(r, "編碼格式"));
    let distributions = split_list(format_cell)
        .into_iter()
        .map(|format| {
            let format = format.to_uppercase();
            Distribution {
                title: None,
                kind: if matches!(format.as_str(), "API" | "URL" | "WMS" | "WFS" | "JSON API") {
                    DistributionKind::Api
                } else {
                    DistributionKind::Download
                },
                format: Some(format),
                encoding: encoding.clone(),
                access_url: Some(landing.to_string()),
                download_url: None,
                media_type: None,
                byte_size: None,
                checksum_sha256: None,
                modified: None,
            }
        })
        .collect();
    let license = none_if_empty(c.get(r, "授權方式"));
    let license_url = license
        .as_deref()
        .filter(|l| *l == OGDL_TW_1)
        .map(|_| OGDL_TW_1_URL.to_string());
    let field_cell = match c.get(r, "主要欄位說明") {
        "" => c.get(r, "主要欄位"),
        cell => cell,
    };
    Ok(DatasetRecord {
        identifier,
        title_zh: title.to_string(),
        title_en: None,
        description_zh: c.get(r, "資料集描述").to_string(),
        description_en: None,
        agency: agency_of(agency_cell)?,
        category: category(c.get(r, "分類及編號")),
        category_code: None,
        keywords: split_list(c.get(r, "標籤/關鍵字")),
        kind: DatasetKind::parse(c.get(r, "資料集類型")).unwrap_or_default(),
        frequency: c.get(r, "更新頻率").to_string(),
        license,
        license_url,
        cost: none_if_empty(c.get(r, "計費方式")).or_else(|| Some("免費".into())),
        cost_url: none_if_empty(c.get(r, "計費說明網址")),
        cost_law: none_if_empty(c.get(r, "計費法令依據")),
        access_level: AccessLevel::Open,
        contact_name: None,
        contact_email: None,
        contact_phone: None,
        temporal_from: none_if_empty(c.get(r, "收錄期間(起)")),
        temporal_to: none_if_empty(c.get(r, "收錄期間(迄)")),
        spatial: Some("桃園市".into()),
        language: Some("zh-TW".into()),
        landing_page: none_if_empty(c.get(r, "資料集說明網址"))
            .or_else(|| Some(landing.to_string())),
        record_count,
        notes,
        fields: fields(field_cell),
        distributions,
        issued,
        source_modified,
    })
}

/// Parse the whole file. `Err` only when the file as a whole cannot be read.
pub fn parse(bytes: &[u8]) -> Result<Vec<ParsedDataset>, Text> {
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
    let columns = Columns {
        index: headers
            .iter()
            .enumerate()
            .map(|(i, h)| (h.trim().to_string(), i))
            .collect(),
    };
    for name in REQUIRED {
        if !columns.index.contains_key(*name) {
            return Err(Text::new(
                format!("這不是桃園市開放資料供應清單：缺少「{name}」欄位"),
                format!("this is not a Taoyuan supply list: the '{name}' column is missing"),
            ));
        }
    }
    let mut out = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let line = row
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map(|p| p.line())
            .unwrap_or(i as u64 + 2);
        out.push(match row {
            Ok(r) => ParsedDataset {
                line,
                raw: r.iter().collect::<Vec<_>>().join(","),
                result: parse_row(&columns, &r),
            },
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

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> Vec<u8> {
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/catalog/taoyuan_open_data_supply_list_2018.nocontact.csv"
        ))
        .unwrap()
    }

    #[test]
    fn every_row_of_the_real_list_parses_into_a_dataset() {
        let rows = parse(&fixture()).unwrap();
        assert_eq!(rows.len(), 1429);
        let bad: Vec<_> = rows
            .iter()
            .filter_map(|r| r.result.as_ref().err().map(|e| (r.line, e.en.clone())))
            .collect();
        assert!(bad.is_empty(), "{bad:?}");
        let ok: Vec<&DatasetRecord> = rows.iter().filter_map(|r| r.result.as_ref().ok()).collect();
        assert!(
            ok.iter().any(|d| d.record_count == Some(24)),
            "24筆 reads as 24"
        );
        assert!(
            ok.iter().any(|d| d.record_count == Some(9)),
            "a full-width ９ reads as 9"
        );
        let dengue = rows
            .iter()
            .filter_map(|r| r.result.as_ref().ok())
            .find(|d| d.title_zh == "桃園市登革熱確診個案分布")
            .unwrap();
        assert_eq!(dengue.agency.as_str(), "380140000I");
        assert_eq!(dengue.frequency, "每月");
        assert_eq!(dengue.category.as_deref(), Some("就醫"));
        assert_eq!(dengue.keywords, vec!["個案", "登革熱"]);
        assert_eq!(dengue.fields[0].name, "分類");
        assert_eq!(
            dengue.fields[0].label.as_deref(),
            Some("境外移入或本土個案")
        );
        assert_eq!(dengue.temporal_from.as_deref(), Some("2016-01-01"));
        assert_eq!(
            dengue.source_modified.unwrap().to_rfc3339(),
            "2018-03-02T10:40:48Z"
        );
        assert_eq!(dengue.formats(), vec!["CSV"]);
        assert_eq!(dengue.license_url.as_deref(), Some(OGDL_TW_1_URL));
    }

    #[test]
    fn a_list_with_the_wrong_columns_is_refused_as_a_whole() {
        let err = parse("a,b\n1,2\n".as_bytes()).unwrap_err();
        assert!(err.zh.contains("資料名稱"));
    }
}
