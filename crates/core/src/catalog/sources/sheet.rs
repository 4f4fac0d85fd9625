//! civitas' own dataset sheet (資料集登錄表): how an agency with no system of its own registers
//! its datasets in bulk — one row per dataset, in CSV (UTF-8 or Big5), XLSX or ODS, with
//! Chinese or English column headings. The same columns drive the downloadable template.

use std::io::Cursor;

use calamine::{Data, Reader};
use sha2::{Digest, Sha256};

use super::{bad_field, name_and_label, none_if_empty, parse_count, split_list};
use crate::agencies::AgencyCode;
use crate::catalog::model::{
    AccessLevel, DatasetKind, DatasetRecord, Distribution, DistributionKind, FieldDef,
};
use crate::catalog::plan::ParsedDataset;
use crate::freshness::UpdateFrequency;
use crate::import::decode_text;
use crate::text::Text;
use crate::time::{TAIPEI, Timestamp};

/// Datasets entered by hand or through the sheet are kept under this source.
pub const SOURCE: &str = "manual";

/// One column of the sheet: its key, headings and what to write in it.
pub struct SheetColumn {
    pub key: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    pub required: bool,
    pub help_zh: &'static str,
    pub help_en: &'static str,
    pub example: &'static str,
}

const fn col(
    key: &'static str,
    zh: &'static str,
    en: &'static str,
    required: bool,
    help_zh: &'static str,
    help_en: &'static str,
    example: &'static str,
) -> SheetColumn {
    SheetColumn {
        key,
        zh,
        en,
        required,
        help_zh,
        help_en,
        example,
    }
}

/// The sheet's columns, in template order.
pub const COLUMNS: &[SheetColumn] = &[
    col(
        "identifier",
        "資料集識別碼",
        "identifier",
        false,
        "留空時由機關代碼與資料集名稱產生；填寫後不可再變更",
        "leave empty to derive one from the agency and title; it never changes once set",
        "",
    ),
    col(
        "title_zh",
        "資料集名稱",
        "title",
        true,
        "必填",
        "required",
        "桃園市公有停車場剩餘車位",
    ),
    col(
        "title_en",
        "英文名稱",
        "title_en",
        false,
        "",
        "",
        "Vacant spaces in public car parks",
    ),
    col(
        "description_zh",
        "資料集描述",
        "description",
        true,
        "必填",
        "required",
        "本市公有停車場即時剩餘車位數",
    ),
    col(
        "description_en",
        "英文描述",
        "description_en",
        false,
        "",
        "",
        "",
    ),
    col(
        "agency",
        "提供機關",
        "agency",
        true,
        "機關代碼或機關全名，例如 380130000C 或 桃園市政府交通局",
        "the agency's code or full name, e.g. 380130000C",
        "380130000C",
    ),
    col(
        "category",
        "服務分類",
        "category",
        false,
        "",
        "",
        "交通及通訊",
    ),
    col(
        "keywords",
        "關鍵字",
        "keywords",
        false,
        "以逗號或頓號分隔",
        "separated by commas",
        "停車、車位",
    ),
    col(
        "frequency",
        "更新頻率",
        "frequency",
        true,
        "即時、每日、每週、每月、每季、每半年、每年、不定期、不更新，或「每3個月」等",
        "e.g. 每日, 每月, 每年, 不定期, 每3個月, or a DCAT frequency code",
        "每日",
    ),
    col(
        "access_level",
        "開放程度",
        "access_level",
        false,
        "開放資料、市府內部共享、限制取用、含個人資料（預設：開放資料）",
        "open, city, restricted or personal_data (default: open)",
        "開放資料",
    ),
    col(
        "license",
        "授權方式",
        "license",
        false,
        "",
        "",
        "政府資料開放授權條款－第1版",
    ),
    col(
        "fields",
        "主要欄位說明",
        "fields",
        false,
        "欄位名稱(說明)，以逗號或頓號分隔",
        "name(label), separated by commas",
        "停車場代碼(ParkID)、剩餘車位(Vacancy)",
    ),
    col(
        "format",
        "檔案格式",
        "format",
        false,
        "例如 CSV、JSON、XLSX、API",
        "e.g. CSV, JSON, API",
        "CSV",
    ),
    col(
        "download_url",
        "資料下載網址",
        "download_url",
        false,
        "",
        "",
        "https://data.tycg.gov.tw/parking.csv",
    ),
    col(
        "landing_page",
        "資料集說明網址",
        "landing_page",
        false,
        "",
        "",
        "",
    ),
    col(
        "data_updated",
        "資料最後更新時間",
        "data_updated",
        false,
        "資料本身最後更新的日期，例如 2024-05-01 或 113/05/01",
        "when the data itself last changed, e.g. 2024-05-01",
        "2024-05-01",
    ),
    col(
        "temporal_from",
        "收錄期間(起)",
        "temporal_from",
        false,
        "",
        "",
        "2020-01-01",
    ),
    col(
        "temporal_to",
        "收錄期間(迄)",
        "temporal_to",
        false,
        "",
        "",
        "",
    ),
    col("spatial", "空間範圍", "spatial", false, "", "", "桃園市"),
    col(
        "record_count",
        "資料量",
        "record_count",
        false,
        "筆數",
        "number of records",
        "128",
    ),
    col(
        "contact_name",
        "聯絡人姓名",
        "contact_name",
        false,
        "",
        "",
        "王小明",
    ),
    col(
        "contact_email",
        "聯絡人電子郵件",
        "contact_email",
        false,
        "",
        "",
        "parking@mail.tycg.gov.tw",
    ),
    col(
        "contact_phone",
        "聯絡人電話",
        "contact_phone",
        false,
        "",
        "",
        "03-3322101",
    ),
    col(
        "cost",
        "計費方式",
        "cost",
        false,
        "預設：免費",
        "default: free",
        "免費",
    ),
    col("notes", "備註", "notes", false, "", "", ""),
];

/// The identifier a record without one gets: stable for the same agency and title, so the
/// same sheet uploaded twice changes nothing.
pub fn derived_identifier(agency: &AgencyCode, title: &str) -> String {
    let digest = Sha256::digest(format!("{}\n{}", agency.as_str(), title.trim()).as_bytes());
    format!("{}-{}", agency.as_str(), &hex::encode(digest)[..12])
}

/// A date or date and time as officials write them: `2024-05-01`, `2024/5/1 08:30`,
/// `113/05/01`, `民國113年5月1日`. Taipei time.
pub fn parse_local_date(text: &str) -> Option<Timestamp> {
    let folded = crate::catalog::fold(text);
    let t = folded.trim().trim_start_matches("民國").trim();
    let (date_part, time_part) = match t.split_once([' ', 'T']) {
        Some((d, rest)) => (d, Some(rest.trim())),
        None => (t, None),
    };
    let nums: Vec<&str> = date_part
        .split(['-', '/', '.', '年', '月', '日'])
        .filter(|s| !s.is_empty())
        .collect();
    let [y, m, d] = nums.as_slice() else {
        return None;
    };
    let mut year: i32 = y.parse().ok()?;
    if year < 1000 {
        year += 1911; // 民國 year
    }
    let month = time::Month::try_from(m.parse::<u8>().ok()?).ok()?;
    let date = time::Date::from_calendar_date(year, month, d.parse().ok()?).ok()?;
    let clock = match time_part {
        None | Some("") => time::Time::MIDNIGHT,
        Some(hms) => {
            let parts: Vec<u8> = hms
                .split(':')
                .map(|p| p.parse().ok())
                .collect::<Option<Vec<u8>>>()?;
            match parts.as_slice() {
                [h, mi] => time::Time::from_hms(*h, *mi, 0).ok()?,
                [h, mi, s] => time::Time::from_hms(*h, *mi, *s).ok()?,
                _ => return None,
            }
        }
    };
    Some(Timestamp::from_offset(
        time::PrimitiveDateTime::new(date, clock).assume_offset(TAIPEI),
    ))
}

fn access_level(text: &str) -> Option<AccessLevel> {
    let t = text.trim();
    if t.is_empty() {
        return Some(AccessLevel::Open);
    }
    AccessLevel::parse(&t.to_lowercase()).or_else(|| {
        AccessLevel::ALL
            .into_iter()
            .find(|a| a.label().zh == t || a.label().en.eq_ignore_ascii_case(t))
    })
}

/// The cells of a sheet: rows of text with their 1-based line (row) numbers.
struct Grid {
    rows: Vec<(u64, Vec<String>)>,
}

fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::DateTime(dt) => {
            let (y, m, d, h, mi, s, _) = dt.to_ymd_hms_milli();
            if (h, mi, s) == (0, 0, 0) {
                format!("{y:04}-{m:02}-{d:02}")
            } else {
                format!("{y:04}-{m:02}-{d:02} {h:02}:{mi:02}:{s:02}")
            }
        }
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        other => other.to_string(),
    }
}

fn read_grid(bytes: &[u8]) -> Result<(Grid, String), Text> {
    if is_zip(bytes) {
        let unreadable = |e: calamine::Error| {
            Text::new(
                format!("無法讀取試算表（XLSX 或 ODS）：{e}"),
                format!("cannot read the spreadsheet (XLSX or ODS): {e}"),
            )
        };
        let mut book =
            calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(unreadable)?;
        let kind = match &book {
            calamine::Sheets::Ods(_) => "ODS",
            _ => "XLSX",
        };
        let range = book
            .worksheet_range_at(0)
            .ok_or_else(|| Text::new("試算表沒有工作表", "the spreadsheet has no sheet"))?
            .map_err(unreadable)?;
        let first_row = range.start().map(|(r, _)| r as u64).unwrap_or(0);
        let rows = range
            .rows()
            .enumerate()
            .map(|(i, row)| {
                (
                    first_row + i as u64 + 1,
                    row.iter().map(cell_text).collect(),
                )
            })
            .collect();
        return Ok((Grid { rows }, kind.to_string()));
    }
    let (text, encoding) = decode_text(bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let line = row
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map(|p| p.line())
            .unwrap_or(i as u64 + 1);
        match row {
            Ok(r) => rows.push((line, r.iter().map(str::to_string).collect())),
            // A broken row keeps its place with a marker the row parser turns into a refusal.
            Err(e) => rows.push((line, vec![format!("\u{0}{e}")])),
        }
    }
    Ok((Grid { rows }, format!("CSV ({encoding})")))
}

/// Parse a dataset sheet. `resolve` turns an agency cell (code or name) into a code.
/// `Err` only when the file as a whole cannot be read or is not a dataset sheet.
pub fn parse(
    bytes: &[u8],
    resolve: &dyn Fn(&str) -> Option<AgencyCode>,
) -> Result<Vec<ParsedDataset>, Text> {
    let (grid, _) = read_grid(bytes)?;
    let mut rows = grid
        .rows
        .into_iter()
        .skip_while(|(_, cells)| cells.iter().all(|c| c.trim().is_empty()));
    let Some((_, headings)) = rows.next() else {
        return Err(Text::new("檔案是空的", "the file is empty"));
    };
    let index: Vec<Option<usize>> = COLUMNS
        .iter()
        .map(|c| {
            headings.iter().position(|h| {
                let h = h
                    .trim()
                    .trim_start_matches('\u{feff}')
                    .trim_end_matches('*');
                h == c.zh || h.eq_ignore_ascii_case(c.en) || h == c.key
            })
        })
        .collect();
    let missing: Vec<&str> = COLUMNS
        .iter()
        .zip(&index)
        .filter(|(c, i)| c.required && i.is_none())
        .map(|(c, _)| c.zh)
        .collect();
    if !missing.is_empty() {
        return Err(Text::new(
            format!(
                "這不是資料集登錄表：缺少「{}」欄位；請下載範本填寫",
                missing.join("」、「")
            ),
            format!(
                "this is not a dataset sheet: the column(s) {} are missing; download the template",
                missing.join(", ")
            ),
        ));
    }
    let mut out = Vec::new();
    for (line, cells) in rows {
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let raw = cells.join(",");
        let result = match cells.first() {
            Some(first) if first.starts_with('\u{0}') => Err(Text::new(
                format!("CSV 列格式損壞：{}", &first[1..]),
                format!("broken CSV row: {}", &first[1..]),
            )),
            _ => parse_row(
                &Row {
                    cells: &cells,
                    index: &index,
                },
                resolve,
            ),
        };
        out.push(ParsedDataset {
            line,
            raw: raw.chars().take(2000).collect(),
            result,
        });
    }
    Ok(out)
}

/// One dataset from values keyed by column key (a web form), by the same rules as a sheet row.
pub fn record_from(
    values: &std::collections::HashMap<String, String>,
    resolve: &dyn Fn(&str) -> Option<AgencyCode>,
) -> Result<DatasetRecord, Text> {
    let cells: Vec<String> = COLUMNS
        .iter()
        .map(|c| values.get(c.key).cloned().unwrap_or_default())
        .collect();
    let index: Vec<Option<usize>> = (0..COLUMNS.len()).map(Some).collect();
    parse_row(
        &Row {
            cells: &cells,
            index: &index,
        },
        resolve,
    )
}

fn required(value: &str, key: &str) -> Result<(), Text> {
    if !value.is_empty() {
        return Ok(());
    }
    let (zh, en) = COLUMNS
        .iter()
        .find(|c| c.key == key)
        .map_or((key, key), |c| (c.zh, c.en));
    Err(Text::new(
        format!("「{zh}」未填寫"),
        format!("'{en}' is empty"),
    ))
}

/// One row's cells with the sheet's column positions.
struct Row<'a> {
    cells: &'a [String],
    index: &'a [Option<usize>],
}

impl Row<'_> {
    fn get(&self, key: &str) -> &str {
        COLUMNS
            .iter()
            .position(|c| c.key == key)
            .and_then(|i| self.index.get(i).copied().flatten())
            .and_then(|i| self.cells.get(i))
            .map(|s| s.trim())
            .unwrap_or("")
    }
}

fn parse_row(
    row: &Row<'_>,
    resolve: &dyn Fn(&str) -> Option<AgencyCode>,
) -> Result<DatasetRecord, Text> {
    for key in ["title_zh", "description_zh", "agency", "frequency"] {
        required(row.get(key), key)?;
    }
    let agency_cell = row.get("agency");
    let agency = resolve(agency_cell).ok_or_else(|| {
        Text::new(
            format!("提供機關「{agency_cell}」不在機關清單中；請填機關代碼或全名"),
            format!(
                "the agency '{agency_cell}' is not in the organisation tree; write its code or full name"
            ),
        )
    })?;
    let frequency = row.get("frequency");
    if let UpdateFrequency::Unknown(_) = UpdateFrequency::parse(frequency) {
        return Err(Text::new(
            format!(
                "更新頻率「{frequency}」無法解讀；請填即時、每日、每週、每月、每季、每半年、每年、不定期、不更新或「每3個月」等"
            ),
            format!(
                "the update frequency '{frequency}' cannot be read; use e.g. 每日, 每月, 每年, 不定期 or 每3個月"
            ),
        ));
    }
    let access = row.get("access_level");
    let access_level = access_level(access).ok_or_else(|| bad_field("開放程度", access))?;
    let updated = row.get("data_updated");
    let source_modified = match updated {
        "" => None,
        text => Some(parse_local_date(text).ok_or_else(|| bad_field("資料最後更新時間", text))?),
    };
    let count = row.get("record_count");
    let record_count = match count {
        "" => None,
        text => Some(parse_count(text).ok_or_else(|| bad_field("資料量", text))?),
    };
    let email = row.get("contact_email");
    if !email.is_empty() && !email.contains('@') {
        return Err(bad_field("聯絡人電子郵件", email));
    }
    let download = none_if_empty(row.get("download_url"));
    let landing = none_if_empty(row.get("landing_page"));
    for url in download.iter().chain(landing.iter()) {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(Text::new(
                format!("網址「{url}」須以 https:// 或 http:// 開頭"),
                format!("the address '{url}' must start with https:// or http://"),
            ));
        }
    }
    let formats = split_list(row.get("format"));
    let distributions: Vec<Distribution> = if formats.is_empty() && download.is_none() {
        Vec::new()
    } else if formats.is_empty() {
        vec![distribution(None, download.clone())]
    } else {
        formats
            .into_iter()
            .map(|f| distribution(Some(f.to_uppercase()), download.clone()))
            .collect()
    };
    let title = row.get("title_zh").to_string();
    let identifier = match row.get("identifier") {
        "" => derived_identifier(&agency, &title),
        id => id.to_string(),
    };
    Ok(DatasetRecord {
        identifier,
        title_zh: title,
        title_en: none_if_empty(row.get("title_en")),
        description_zh: row.get("description_zh").to_string(),
        description_en: none_if_empty(row.get("description_en")),
        agency,
        category: none_if_empty(row.get("category")),
        category_code: None,
        keywords: split_list(row.get("keywords")),
        kind: DatasetKind::RawData,
        frequency: frequency.to_string(),
        license: none_if_empty(row.get("license")),
        license_url: None,
        cost: none_if_empty(row.get("cost")).or_else(|| Some("免費".into())),
        cost_url: None,
        cost_law: None,
        access_level,
        contact_name: none_if_empty(row.get("contact_name")),
        contact_email: none_if_empty(email),
        contact_phone: none_if_empty(row.get("contact_phone")),
        temporal_from: none_if_empty(row.get("temporal_from")),
        temporal_to: none_if_empty(row.get("temporal_to")),
        spatial: none_if_empty(row.get("spatial")),
        language: Some("zh-TW".into()),
        landing_page: landing,
        record_count,
        notes: none_if_empty(row.get("notes")),
        fields: split_list(row.get("fields"))
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
            .collect(),
        distributions,
        issued: None,
        source_modified,
    })
}

fn distribution(format: Option<String>, url: Option<String>) -> Distribution {
    let api = matches!(format.as_deref(), Some("API" | "WMS" | "WFS"));
    Distribution {
        title: None,
        kind: if api {
            DistributionKind::Api
        } else {
            DistributionKind::Download
        },
        format,
        encoding: None,
        access_url: if api { url.clone() } else { None },
        download_url: if api { None } else { url },
        media_type: None,
        byte_size: None,
        checksum_sha256: None,
        modified: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(cell: &str) -> Option<AgencyCode> {
        match cell {
            "380130000C" | "桃園市政府交通局" => AgencyCode::parse("380130000C").ok(),
            _ => None,
        }
    }

    #[test]
    fn chinese_headings_in_a_csv_give_a_dataset_with_a_stable_identifier() {
        let csv = "資料集名稱,資料集描述,提供機關,更新頻率,主要欄位說明,檔案格式,資料下載網址,資料最後更新時間,資料量,開放程度\n\
                   公有停車場剩餘車位,即時剩餘車位,桃園市政府交通局,即時,\"ParkID(代碼),Vacancy(剩餘)\",CSV,https://example.tw/p.csv,113/05/01,\"1,280筆\",市府內部共享\n";
        let rows = parse(csv.as_bytes(), &resolve).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].line, 2);
        let r = rows[0].result.as_ref().unwrap();
        assert_eq!(r.agency.as_str(), "380130000C");
        assert_eq!(r.fields.len(), 2);
        assert_eq!(r.fields[1].label.as_deref(), Some("剩餘"));
        assert_eq!(r.record_count, Some(1280));
        assert_eq!(r.access_level, AccessLevel::City);
        assert_eq!(
            r.source_modified.unwrap().to_rfc3339(),
            "2024-04-30T16:00:00Z"
        );
        assert_eq!(
            r.distributions[0].download_url.as_deref(),
            Some("https://example.tw/p.csv")
        );
        let again = parse(csv.as_bytes(), &resolve).unwrap();
        assert_eq!(
            again[0].result.as_ref().unwrap().identifier,
            r.identifier,
            "the same row derives the same identifier"
        );
        assert!(r.identifier.starts_with("380130000C-"));
    }

    #[test]
    fn each_bad_row_is_refused_with_its_line_and_reason() {
        let csv = "title,description,agency,frequency,contact_email\n\
                   A,desc,380130000C,每月,\n\
                   B,desc,環保局,每月,\n\
                   C,desc,380130000C,偶爾,\n\
                   ,desc,380130000C,每月,\n\
                   E,desc,380130000C,每月,not-an-address\n";
        let rows = parse(csv.as_bytes(), &resolve).unwrap();
        let results: Vec<(u64, Result<&str, String>)> = rows
            .iter()
            .map(|r| {
                (
                    r.line,
                    r.result
                        .as_ref()
                        .map(|d| d.title_zh.as_str())
                        .map_err(|e| e.en.clone()),
                )
            })
            .collect();
        assert_eq!(results[0], (2, Ok("A")));
        assert!(results[1].1.as_ref().unwrap_err().contains("環保局"));
        assert!(results[2].1.as_ref().unwrap_err().contains("偶爾"));
        assert!(results[3].1.as_ref().unwrap_err().contains("title"));
        assert!(
            results[4]
                .1
                .as_ref()
                .unwrap_err()
                .contains("not-an-address")
        );
        assert_eq!(results[4].0, 6);
    }

    #[test]
    fn a_file_without_the_required_columns_is_refused_as_a_whole() {
        let err = parse("a,b\n1,2\n".as_bytes(), &resolve).unwrap_err();
        assert!(err.zh.contains("資料集名稱"), "{}", err.zh);
    }

    #[test]
    fn official_dates_read_in_every_form() {
        for (text, want) in [
            ("2024-05-01", "2024-04-30T16:00:00Z"),
            ("2024/5/1 08:30", "2024-05-01T00:30:00Z"),
            ("113/05/01", "2024-04-30T16:00:00Z"),
            ("民國113年5月1日", "2024-04-30T16:00:00Z"),
            ("２０２４－０５－０１", "2024-04-30T16:00:00Z"),
        ] {
            assert_eq!(
                parse_local_date(text).map(|t| t.to_rfc3339()).as_deref(),
                Some(want),
                "{text}"
            );
        }
        assert!(parse_local_date("下個月").is_none());
        assert!(parse_local_date("2024-13-01").is_none());
    }
}
