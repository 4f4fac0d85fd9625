//! A realistic catalogue of any size, drawn from real descriptions: Taoyuan's 1,429-dataset
//! supply list and data.gov.tw's 2017 metadata give the titles, descriptions, field lists,
//! categories, keywords and declared frequencies; the generator spreads copies of them over the
//! city's agencies, districts and years, and varies formats, access levels, licences, English
//! titles, 台/臺 spellings and the dates of the last data update. Deterministic: the same seed
//! always gives the same catalogue.

use std::collections::HashSet;

use civitas_core::agencies::AgencyCode;
use civitas_core::catalog::sources::{datagovtw, taoyuan};
use civitas_core::catalog::{
    AccessLevel, DatasetKind, DatasetRecord, Distribution, DistributionKind,
};
use civitas_core::time::Timestamp;
use time::Duration;

/// SplitMix64: small, fast and good enough to spread values; no dependency for a benchmark.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % (n.max(1) as u64)) as usize
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        let i = self.below(items.len());
        items.get(i)
    }

    /// One of `items`, each with its weight.
    pub fn weighted<'a, T>(&mut self, items: &'a [(T, u64)]) -> Option<&'a T> {
        let total: u64 = items.iter().map(|(_, w)| w).sum();
        let mut at = self.next() % total.max(1);
        for (item, w) in items {
            if at < *w {
                return Some(item);
            }
            at -= w;
        }
        items.last().map(|(item, _)| item)
    }
}

/// Taoyuan's 13 districts (and their English names), which many of the city's datasets are
/// split by.
const DISTRICTS: &[(&str, &str)] = &[
    ("桃園區", "Taoyuan District"),
    ("中壢區", "Zhongli District"),
    ("平鎮區", "Pingzhen District"),
    ("八德區", "Bade District"),
    ("楊梅區", "Yangmei District"),
    ("蘆竹區", "Luzhu District"),
    ("大溪區", "Daxi District"),
    ("龍潭區", "Longtan District"),
    ("龜山區", "Guishan District"),
    ("大園區", "Dayuan District"),
    ("觀音區", "Guanyin District"),
    ("新屋區", "Xinwu District"),
    ("復興區", "Fuxing District"),
];

/// Words common in the city's titles and their English, for the English titles some agencies
/// add (the supply list itself has none).
const GLOSSARY: &[(&str, &str)] = &[
    ("停車", "parking"),
    ("公車", "bus"),
    ("捷運", "metro"),
    ("自行車", "bicycle"),
    ("交通", "traffic"),
    ("道路", "roads"),
    ("路燈", "street lights"),
    ("垃圾", "waste collection"),
    ("資源回收", "recycling"),
    ("空氣", "air quality"),
    ("水質", "water quality"),
    ("河川", "rivers"),
    ("學校", "schools"),
    ("幼兒園", "kindergartens"),
    ("圖書館", "libraries"),
    ("醫院", "hospitals"),
    ("診所", "clinics"),
    ("登革熱", "dengue"),
    ("人口", "population"),
    ("戶籍", "household registration"),
    ("預算", "budget"),
    ("決算", "final accounts"),
    ("補助", "subsidies"),
    ("觀光", "tourism"),
    ("旅館", "hotels"),
    ("民宿", "homestays"),
    ("農業", "agriculture"),
    ("地價", "land prices"),
    ("建築", "building permits"),
    ("消防", "fire services"),
    ("警察", "police"),
    ("社會福利", "social welfare"),
    ("長期照顧", "long-term care"),
    ("身心障礙", "disability services"),
    ("勞工", "labour"),
    ("環境", "environment"),
    ("公園", "parks"),
    ("選舉", "elections"),
    ("里長", "village chiefs"),
    ("文化", "culture"),
];

const FORMATS: &[(&str, u64)] = &[
    ("CSV", 40),
    ("JSON", 20),
    ("XML", 12),
    ("XLSX", 8),
    ("ODS", 4),
    ("PDF", 6),
    ("KML", 3),
    ("SHP", 3),
    ("GEOJSON", 2),
    ("API", 2),
];

const ACCESS: &[(AccessLevel, u64)] = &[
    (AccessLevel::Open, 70),
    (AccessLevel::City, 15),
    (AccessLevel::Restricted, 10),
    (AccessLevel::PersonalData, 5),
];

const LICENCES: &[(Option<&str>, u64)] = &[
    (Some("政府資料開放授權條款－第1版"), 70),
    (Some("創用CC 姓名標示 4.0 國際"), 8),
    (Some("政府資料開放授權條款－第1版（須註明出處）"), 4),
    (Some("不開放授權（僅限市府內部使用）"), 8),
    (None, 10),
];

/// Frequencies as the real lists write them, for datasets whose declared frequency is varied.
const FREQUENCIES: &[(&str, u64)] = &[
    ("即時", 4),
    ("每小時", 2),
    ("每日", 10),
    ("每週", 4),
    ("每周", 1),
    ("每月", 20),
    ("每季", 12),
    ("每半年", 6),
    ("每年", 20),
    ("每10日", 1),
    ("不定期", 15),
    ("不更新", 3),
    ("每2年", 1),
    ("", 1),
];

/// Real descriptions to copy from.
pub struct Templates {
    pub records: Vec<DatasetRecord>,
    pub taoyuan: usize,
    pub datagovtw: usize,
}

/// Read the real lists. data.gov.tw's agencies are national, so its descriptions are given to
/// city agencies by the generator.
pub fn templates(
    taoyuan_csv: &[u8],
    datagovtw_jsonl: &[u8],
    fallback: &AgencyCode,
) -> anyhow::Result<Templates> {
    let err = |t: civitas_core::text::Text| anyhow::anyhow!("{}", t.en);
    let mut seen = HashSet::new();
    let mut records = Vec::new();
    for row in taoyuan::parse(taoyuan_csv).map_err(err)? {
        if let Ok(r) = row.result
            && seen.insert(r.title_zh.clone())
        {
            records.push(r);
        }
    }
    let taoyuan = records.len();
    let resolve = |_: &civitas_core::catalog::sources::ckan::AgencyHint| Some(fallback.clone());
    for row in datagovtw::parse_jsonl(datagovtw_jsonl, &resolve).map_err(err)? {
        if let Ok(r) = row.result
            && seen.insert(r.title_zh.clone())
        {
            records.push(r);
        }
    }
    let datagovtw = records.len() - taoyuan;
    anyhow::ensure!(!records.is_empty(), "no dataset descriptions could be read");
    Ok(Templates {
        records,
        taoyuan,
        datagovtw,
    })
}

fn swap_tai(text: &str, to_formal: bool) -> String {
    if to_formal {
        text.replace('台', "臺")
    } else {
        text.replace('臺', "台")
    }
}

fn english_title(title: &str, district: Option<&str>) -> Option<String> {
    let words: Vec<&str> = GLOSSARY
        .iter()
        .filter(|(zh, _)| title.contains(zh))
        .map(|(_, en)| *en)
        .take(3)
        .collect();
    if words.is_empty() {
        return None;
    }
    let mut out = String::from("Taoyuan City ");
    if let Some(d) = district {
        out.push_str(d);
        out.push(' ');
    }
    out.push_str(&words.join(", "));
    Some(out)
}

/// The `n`th generated dataset of the catalogue.
pub fn dataset(
    i: usize,
    t: &Templates,
    agencies: &[AgencyCode],
    now: Timestamp,
    rng: &mut Rng,
) -> Option<DatasetRecord> {
    let template = rng.pick(&t.records)?;
    let mut r = template.clone();
    r.identifier = format!("bench-{i:06}");
    r.agency = rng.pick(agencies)?.clone();

    // Most of the city's datasets are split by district or by year.
    let base = r.title_zh.trim_start_matches("桃園市").to_string();
    let mut district_en = None;
    r.title_zh = match rng.below(10) {
        0..=3 => {
            let (zh, en) = rng.pick(DISTRICTS)?;
            district_en = Some(*en);
            format!("桃園市{zh}{base}")
        }
        4..=6 => format!("{}年{base}", 100 + rng.below(14)),
        _ => format!("桃園市{base}"),
    };
    if rng.chance(20) {
        let formal = rng.chance(50);
        r.title_zh = swap_tai(&r.title_zh, formal);
        r.description_zh = swap_tai(&r.description_zh, formal);
    }
    r.title_en = if rng.chance(30) {
        english_title(&r.title_zh, district_en)
    } else {
        None
    };
    if r.title_en.is_some() && rng.chance(50) {
        r.description_en = r
            .title_en
            .as_ref()
            .map(|t| format!("{t}, published by the city."));
    }
    if rng.chance(40) {
        r.frequency = (*rng.weighted(FREQUENCIES)?).to_string();
    }
    r.access_level = *rng.weighted(ACCESS)?;
    r.license = rng.weighted(LICENCES)?.map(str::to_string);
    r.kind = *rng.weighted(&[
        (DatasetKind::RawData, 85),
        (DatasetKind::Service, 12),
        (DatasetKind::Tool, 3),
    ])?;

    // One to three distributions, their last change somewhere in the past two years.
    let modified = now.sub(Duration::minutes(rng.below(2 * 365 * 24 * 60) as i64));
    let count = 1 + rng.below(3);
    r.distributions = (0..count)
        .filter_map(|k| {
            let format = (*rng.weighted(FORMATS)?).to_string();
            let api = format == "API";
            Some(Distribution {
                title: Some(format!("{} - {format}", r.title_zh)),
                kind: if api {
                    DistributionKind::Api
                } else {
                    DistributionKind::Download
                },
                format: Some(format.clone()),
                encoding: Some(if rng.chance(15) { "Big5" } else { "UTF-8" }.to_string()),
                access_url: Some(format!(
                    "https://data.tycg.gov.tw/opendata/datalist/datasetMeta?oid=bench-{i:06}-{k}"
                )),
                download_url: (!api).then(|| {
                    format!(
                        "https://data.tycg.gov.tw/opendata/datalist/download/bench-{i:06}-{k}.{}",
                        format.to_lowercase()
                    )
                }),
                media_type: None,
                byte_size: Some(1_000 + rng.below(5_000_000) as u64),
                checksum_sha256: None,
                modified: Some(modified),
            })
        })
        .collect();
    r.source_modified = Some(modified);
    r.issued = Some(modified.sub(Duration::days(rng.below(3 * 365) as i64)));
    r.record_count = Some(rng.below(200_000) as u64);
    r.landing_page = Some(format!(
        "https://data.tycg.gov.tw/opendata/datalist/datasetMeta?oid=bench-{i:06}"
    ));
    Some(r)
}
