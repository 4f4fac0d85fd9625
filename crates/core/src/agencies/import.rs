//! Agency files: the civitas CSV (`code,name_zh,name_en,short_name_zh,parent_code,kind`)
//! and Taoyuan's open-data supply list, whose 資料集提供機關 column names each providing
//! agency as `380120000J 【社會局】`.

use std::collections::{HashMap, HashSet};

use super::model::{Agency, AgencyCode, AgencyInput, AgencyKind};
use crate::error::DomainError;
use crate::import::{ImportReport, decode_text};
use crate::text::Text;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgencyImportFormat {
    CivitasCsv,
    TaoyuanSupplyList,
}

impl AgencyImportFormat {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "csv" | "civitas-csv" => Some(AgencyImportFormat::CivitasCsv),
            "taoyuan-supply-list" => Some(AgencyImportFormat::TaoyuanSupplyList),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            AgencyImportFormat::CivitasCsv => "civitas-csv",
            AgencyImportFormat::TaoyuanSupplyList => "taoyuan-supply-list",
        }
    }
}

/// One record read from a file, parsed or with the reason it could not be.
#[derive(Debug, Clone)]
pub struct ParsedAgency {
    pub line: u64,
    pub raw: String,
    pub result: Result<AgencyInput, Text>,
}

/// Parse a whole file. `Err` only when the file as a whole is unreadable.
pub fn parse_agency_file(
    bytes: &[u8],
    format: AgencyImportFormat,
    root: Option<&AgencyCode>,
) -> Result<Vec<ParsedAgency>, Text> {
    let (text, _) = decode_text(bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| {
            Text::new(
                format!("無法讀取標題列：{e}"),
                format!("cannot read the header row: {e}"),
            )
        })?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let mut out = Vec::new();
    match format {
        AgencyImportFormat::CivitasCsv => {
            let code_col = col("code").ok_or_else(|| missing_column("code"))?;
            let zh_col = col("name_zh").ok_or_else(|| missing_column("name_zh"))?;
            let cols = CivitasColumns {
                code: code_col,
                name_zh: zh_col,
                name_en: col("name_en"),
                short_name_zh: col("short_name_zh"),
                parent: col("parent_code"),
                kind: col("kind"),
            };
            for (index, record) in reader.records().enumerate() {
                let line = record
                    .as_ref()
                    .ok()
                    .and_then(|r| r.position())
                    .map(|p| p.line())
                    .unwrap_or(index as u64 + 2);
                out.push(match record {
                    Ok(record) => ParsedAgency {
                        line,
                        raw: join_record(&record),
                        result: cols.parse(&record),
                    },
                    Err(e) => ParsedAgency {
                        line,
                        raw: String::new(),
                        result: Err(broken_row(&e)),
                    },
                });
            }
        }
        AgencyImportFormat::TaoyuanSupplyList => {
            let provider = col("資料集提供機關").ok_or_else(|| {
                Text::new(
                    "這不是桃園市開放資料供應清單：找不到「資料集提供機關」欄位",
                    "this is not a Taoyuan supply list: no 資料集提供機關 column",
                )
            })?;
            for (index, record) in reader.records().enumerate() {
                let line = record
                    .as_ref()
                    .ok()
                    .and_then(|r| r.position())
                    .map(|p| p.line())
                    .unwrap_or(index as u64 + 2);
                out.push(match record {
                    Ok(record) => {
                        let cell = record.get(provider).unwrap_or("").trim().to_string();
                        ParsedAgency {
                            line,
                            result: parse_supply_list_provider(&cell, root),
                            raw: cell,
                        }
                    }
                    Err(e) => ParsedAgency {
                        line,
                        raw: String::new(),
                        result: Err(broken_row(&e)),
                    },
                });
            }
        }
    }
    Ok(out)
}

struct CivitasColumns {
    code: usize,
    name_zh: usize,
    name_en: Option<usize>,
    short_name_zh: Option<usize>,
    parent: Option<usize>,
    kind: Option<usize>,
}

impl CivitasColumns {
    fn parse(&self, record: &csv::StringRecord) -> Result<AgencyInput, Text> {
        let get = |i: Option<usize>| {
            i.and_then(|i| record.get(i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let code =
            AgencyCode::parse(record.get(self.code).unwrap_or("")).map_err(|e| reason(&e))?;
        let parent = match get(self.parent) {
            Some(p) => Some(AgencyCode::parse(&p).map_err(|e| {
                let r = reason(&e);
                Text::new(
                    format!("上級機關代碼：{}", r.zh),
                    format!("parent_code: {}", r.en),
                )
            })?),
            None => None,
        };
        let kind = match get(self.kind) {
            Some(k) => AgencyKind::parse(&k).ok_or_else(|| {
                let all = AgencyKind::ALL
                    .iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                Text::new(
                    format!("機關類型「{k}」不是下列之一：{all}"),
                    format!("kind '{k}' is not one of: {all}"),
                )
            })?,
            None if parent.is_none() => AgencyKind::CityGovernment,
            None => AgencyKind::Bureau,
        };
        AgencyInput {
            code,
            name_zh: record.get(self.name_zh).unwrap_or("").to_string(),
            name_en: get(self.name_en),
            short_name_zh: get(self.short_name_zh),
            parent,
            kind,
        }
        .normalised()
        .map_err(|e| reason(&e))
    }
}

/// `380120000J 【社會局】` → code 380120000J, short name 社會局, full name 桃園市政府社會局.
fn parse_supply_list_provider(cell: &str, root: Option<&AgencyCode>) -> Result<AgencyInput, Text> {
    let Some(root) = root else {
        return Err(Text::new(
            "請先建立市政府機關，再匯入其所屬局處",
            "the city government agency must exist before importing its bureaus",
        ));
    };
    let (code_part, rest) = cell
        .split_once(|c: char| c.is_whitespace() || c == '【')
        .ok_or_else(|| {
            Text::new(
                format!("格式應為「機關代碼 【機關名稱】」，收到「{cell}」"),
                format!("expected '機關代碼 【機關名稱】', got '{cell}'"),
            )
        })?;
    let code = AgencyCode::parse(code_part).map_err(|e| reason(&e))?;
    let name = rest
        .trim()
        .trim_start_matches('【')
        .trim_end_matches('】')
        .trim()
        .to_string();
    if name.is_empty() {
        return Err(Text::new(
            format!("「{cell}」的代碼後面沒有機關名稱"),
            format!("no agency name after the code in '{cell}'"),
        ));
    }
    let is_company = name.contains("公司");
    let name_zh = if name.starts_with("桃園") {
        name.clone()
    } else {
        format!("桃園市政府{name}")
    };
    let short = name.trim_start_matches("桃園市政府").to_string();
    AgencyInput {
        code,
        name_zh,
        name_en: None,
        short_name_zh: Some(short),
        parent: Some(root.clone()),
        kind: if is_company {
            AgencyKind::Enterprise
        } else {
            AgencyKind::Bureau
        },
    }
    .normalised()
    .map_err(|e| reason(&e))
}

fn reason(e: &DomainError) -> Text {
    match e {
        DomainError::Invalid { reason, .. } => reason.clone(),
        other => Text::new(
            other.message(crate::time::Language::ZhTw),
            other.message(crate::time::Language::En),
        ),
    }
}

fn missing_column(name: &str) -> Text {
    Text::new(
        format!("標題列必須有「{name}」欄位"),
        format!("the header row must contain a '{name}' column"),
    )
}

fn broken_row(e: &csv::Error) -> Text {
    Text::new(
        format!("CSV 列格式損壞：{e}"),
        format!("broken CSV row: {e}"),
    )
}

fn join_record(record: &csv::StringRecord) -> String {
    record.iter().collect::<Vec<_>>().join(",")
}

/// What an import will do, decided before anything is written.
#[derive(Debug, Clone)]
pub struct AgencyImportPlan {
    /// New agencies, parents before children.
    pub creates: Vec<AgencyInput>,
    /// Existing agencies whose description changes: (before, after).
    pub updates: Vec<(Agency, AgencyInput)>,
    pub report: ImportReport,
}

/// Compare parsed records with what is stored. Pure: no I/O.
pub fn plan_agency_import(
    existing: &[Agency],
    parsed: Vec<ParsedAgency>,
    mut report: ImportReport,
) -> AgencyImportPlan {
    let stored: HashMap<&AgencyCode, &Agency> = existing.iter().map(|a| (&a.code, a)).collect();
    report.received = parsed.len() as u64;

    // Deduplicate within the file: identical repeats are duplicates, conflicting repeats
    // are rejected with a pointer to the first occurrence.
    let mut first_seen: HashMap<AgencyCode, (u64, AgencyInput)> = HashMap::new();
    let mut accepted: Vec<(u64, String, AgencyInput)> = Vec::new();
    for row in parsed {
        match row.result {
            Err(why) => report.reject(row.line, why, &row.raw),
            Ok(input) => match first_seen.get(&input.code) {
                Some((_, first)) if *first == input => report.duplicates += 1,
                Some((line, _)) => report.reject(
                    row.line,
                    Text::new(
                        format!("代碼 {} 已在第 {line} 行出現，但內容不同", input.code),
                        format!(
                            "code {} already appears at line {line} with different values",
                            input.code
                        ),
                    ),
                    &row.raw,
                ),
                None => {
                    first_seen.insert(input.code.clone(), (row.line, input.clone()));
                    accepted.push((row.line, row.raw, input));
                }
            },
        }
    }

    // Parents must exist in the store or among accepted rows; drop rows whose parent is
    // missing, repeatedly, since dropping one row can orphan another.
    loop {
        let known: HashSet<AgencyCode> = stored
            .keys()
            .map(|c| (*c).clone())
            .chain(accepted.iter().map(|(_, _, a)| a.code.clone()))
            .collect();
        let before = accepted.len();
        let mut kept = Vec::with_capacity(accepted.len());
        for (line, raw, input) in accepted {
            match &input.parent {
                Some(parent) if !known.contains(parent) => report.reject(
                    line,
                    Text::new(
                        format!("上級機關 {parent} 不存在（也不在此檔案中）"),
                        format!("parent agency {parent} does not exist (and is not in this file)"),
                    ),
                    &raw,
                ),
                _ => kept.push((line, raw, input)),
            }
        }
        accepted = kept;
        if accepted.len() == before {
            break;
        }
    }

    // Reject rows that would make an agency its own ancestor.
    let mut parent_of: HashMap<AgencyCode, Option<AgencyCode>> = stored
        .iter()
        .map(|(c, a)| ((*c).clone(), a.parent.clone()))
        .collect();
    for (_, _, input) in &accepted {
        parent_of.insert(input.code.clone(), input.parent.clone());
    }
    let mut cyclic: HashSet<AgencyCode> = HashSet::new();
    for (_, _, input) in &accepted {
        let mut seen = HashSet::new();
        let mut next = Some(input.code.clone());
        while let Some(code) = next {
            if !seen.insert(code.clone()) {
                cyclic.insert(input.code.clone());
                break;
            }
            next = parent_of.get(&code).cloned().flatten();
        }
    }

    // There is one city government: a second root is refused.
    let mut root: Option<AgencyCode> = existing
        .iter()
        .find(|a| a.kind == AgencyKind::CityGovernment)
        .map(|a| a.code.clone());
    let mut creates = Vec::new();
    let mut updates = Vec::new();
    for (line, raw, input) in accepted {
        if input.kind == AgencyKind::CityGovernment {
            match &root {
                Some(r) if *r != input.code => {
                    report.reject(
                        line,
                        Text::new(
                            format!("市政府已存在（{r}）；其他機關請填寫上級機關代碼"),
                            format!("the city government already exists ({r}); give other agencies a parent_code"),
                        ),
                        &raw,
                    );
                    continue;
                }
                _ => root = Some(input.code.clone()),
            }
        }
        if cyclic.contains(&input.code) {
            report.reject(
                line,
                Text::new(
                    "這個上級機關會讓機關成為自己的上級（形成循環）",
                    "this parent would make the agency its own ancestor",
                ),
                &raw,
            );
            continue;
        }
        match stored.get(&input.code) {
            None => {
                report.created += 1;
                creates.push(input);
            }
            Some(agency) if agency.record().input == input => report.unchanged += 1,
            Some(agency) => {
                // A supply list knows no English names: never erase one we already have.
                let mut input = input;
                if input.name_en.is_none() {
                    input.name_en = agency.name_en.clone();
                }
                if agency.record().input == input {
                    report.unchanged += 1;
                } else {
                    report.updated += 1;
                    updates.push(((*agency).clone(), input));
                }
            }
        }
    }
    report.rejected.sort_by_key(|r| r.line);

    // Parents first: order creates by their depth among the new agencies.
    let new_codes: HashSet<AgencyCode> = creates.iter().map(|c| c.code.clone()).collect();
    let depth = |code: &AgencyCode| {
        let mut d = 0usize;
        let mut next = parent_of.get(code).cloned().flatten();
        while let Some(p) = next {
            if !new_codes.contains(&p) || d > 64 {
                break;
            }
            d += 1;
            next = parent_of.get(&p).cloned().flatten();
        }
        d
    };
    creates.sort_by_key(|c| (depth(&c.code), c.code.clone()));

    AgencyImportPlan {
        creates,
        updates,
        report,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: &str = "380000000A";

    fn plan(existing: &[Agency], csv: &str) -> AgencyImportPlan {
        let parsed =
            parse_agency_file(csv.as_bytes(), AgencyImportFormat::CivitasCsv, None).unwrap();
        plan_agency_import(
            existing,
            parsed,
            ImportReport::new("agencies", "civitas-csv", "t.csv"),
        )
    }

    #[test]
    fn a_file_with_good_bad_and_repeated_rows_reconciles() {
        let csv = "code,name_zh,name_en,short_name_zh,parent_code,kind\n\
                   380000000A,桃園市政府,Taoyuan City Government,,,city_government\n\
                   380120000J,桃園市政府社會局,Department of Social Welfare,社會局,380000000A,bureau\n\
                   380120000J,桃園市政府社會局,Department of Social Welfare,社會局,380000000A,bureau\n\
                   380120000J,桃園市政府社會處,Other,社會處,380000000A,bureau\n\
                   bad code!,某機關,,,380000000A,bureau\n\
                   TY-X,孤兒機關,,,NOPE99,bureau\n\
                   TY-Y,類型錯誤,,,380000000A,ministry\n";
        let p = plan(&[], csv);
        let r = &p.report;
        assert_eq!(r.received, 7);
        assert_eq!(r.created, 2);
        assert_eq!(r.duplicates, 1);
        assert_eq!(r.rejected.len(), 4);
        assert!(r.reconciles());
        assert_eq!(
            p.creates[0].code.as_str(),
            ROOT,
            "parents are created first"
        );
        let lines: Vec<u64> = r.rejected.iter().map(|x| x.line).collect();
        assert_eq!(lines, vec![5, 6, 7, 8]);
        assert!(r.rejected[0].reason.en.contains("line 3"));
        assert!(r.rejected[2].reason.en.contains("NOPE99"));
        assert!(r.rejected[3].reason.en.contains("ministry"));
    }

    #[test]
    fn the_taoyuan_supply_list_names_34_providing_agencies() {
        let bytes = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/catalog/taoyuan_open_data_supply_list_2018.nocontact.csv"
        ))
        .unwrap();
        let root = AgencyCode::parse(ROOT).unwrap();
        let parsed =
            parse_agency_file(&bytes, AgencyImportFormat::TaoyuanSupplyList, Some(&root)).unwrap();
        let existing = vec![Agency {
            code: root.clone(),
            name_zh: "桃園市政府".into(),
            name_en: None,
            short_name_zh: None,
            parent: None,
            kind: AgencyKind::CityGovernment,
            active: true,
            retired_at: None,
            successor: None,
            created_at: crate::time::Timestamp::from_millis(0).unwrap(),
            updated_at: crate::time::Timestamp::from_millis(0).unwrap(),
        }];
        let p = plan_agency_import(&existing, parsed, ImportReport::new("agencies", "x", "y"));
        assert_eq!(p.report.received, 1429);
        assert_eq!(p.report.created, 34);
        assert_eq!(p.report.duplicates, 1429 - 34);
        assert!(p.report.rejected.is_empty());
        let social = p
            .creates
            .iter()
            .find(|a| a.code.as_str() == "380120000J")
            .unwrap();
        assert_eq!(social.name_zh, "桃園市政府社會局");
        assert_eq!(social.short_name_zh.as_deref(), Some("社會局"));
        let metro = p
            .creates
            .iter()
            .find(|a| a.code.as_str() == "376737200A")
            .unwrap();
        assert_eq!(metro.kind, AgencyKind::Enterprise);
    }

    #[test]
    fn a_parent_that_would_create_a_cycle_is_rejected() {
        let t = crate::time::Timestamp::from_millis(0).unwrap();
        let mk = |code: &str, parent: Option<&str>, kind| Agency {
            code: AgencyCode::parse(code).unwrap(),
            name_zh: code.into(),
            name_en: None,
            short_name_zh: None,
            parent: parent.map(|p| AgencyCode::parse(p).unwrap()),
            kind,
            active: true,
            retired_at: None,
            successor: None,
            created_at: t,
            updated_at: t,
        };
        let existing = vec![
            mk(ROOT, None, AgencyKind::CityGovernment),
            mk("AA", Some(ROOT), AgencyKind::Bureau),
            mk("BB", Some("AA"), AgencyKind::Subordinate),
        ];
        let p = plan(
            &existing,
            "code,name_zh,parent_code,kind\nAA,AA,BB,bureau\n",
        );
        assert_eq!(p.report.rejected.len(), 1);
        assert!(p.report.rejected[0].reason.en.contains("own ancestor"));
        assert!(p.report.reconciles());
    }

    #[test]
    fn a_big5_file_is_read_as_big5_and_a_binary_one_is_refused() {
        // 社會局 in Big5.
        let big5 = b"code,name_zh,parent_code,kind\n380120000J,\xaa\xc0\xb7\x7c\xa7\xbd,380000000A,bureau\n";
        let rows = parse_agency_file(big5, AgencyImportFormat::CivitasCsv, None).unwrap();
        assert_eq!(rows[0].result.as_ref().unwrap().name_zh, "社會局");
        let err = parse_agency_file(
            b"code,name_zh\n\xff\xfe\xff\n",
            AgencyImportFormat::CivitasCsv,
            None,
        )
        .unwrap_err();
        assert!(err.en.contains("neither UTF-8 nor Big5"), "{err}");
        assert!(err.zh.contains("UTF-8"));
    }
}
