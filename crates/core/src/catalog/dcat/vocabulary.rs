//! The controlled vocabularies DCAT-AP 3 asks for, as concept nodes the export can link to:
//! EU frequency, access-right and language tables, ADMS publisher and licence types, and the
//! licences Taiwan's catalogues use. The shapes check `skos:prefLabel` on every
//! `skos:Concept`, so each concept carries its labels with it.

use super::graph::{EN, Iri, Node, ZH};
use crate::catalog::AccessLevel;
use crate::freshness::{EU_FREQUENCY_BASE, UpdateFrequency};
use crate::text::Text;

const EU_AUTHORITY: &str = "http://publications.europa.eu/resource/authority/";

/// Labels for each EU frequency code that `UpdateFrequency::eu_code` can produce.
const FREQUENCY_LABELS: &[(&str, &str, &str)] = &[
    ("1MIN", "每分鐘", "every minute"),
    ("5MIN", "每5分鐘", "every five minutes"),
    ("10MIN", "每10分鐘", "every ten minutes"),
    ("15MIN", "每15分鐘", "every fifteen minutes"),
    ("30MIN", "每30分鐘", "every thirty minutes"),
    ("HOURLY", "每小時", "hourly"),
    ("BIHOURLY", "每2小時", "every two hours"),
    ("TRIHOURLY", "每3小時", "every three hours"),
    ("12HRS", "每12小時", "every twelve hours"),
    ("DAILY", "每日", "daily"),
    ("WEEKLY", "每週", "weekly"),
    ("BIWEEKLY", "每2週", "every two weeks"),
    ("MONTHLY_3", "每旬（每月三次）", "three times a month"),
    ("MONTHLY", "每月", "monthly"),
    ("BIMONTHLY", "每2個月", "every two months"),
    ("QUARTERLY", "每季", "quarterly"),
    ("ANNUAL_3", "每4個月（每年三次）", "three times a year"),
    ("ANNUAL_2", "每半年", "semiannual"),
    ("ANNUAL", "每年", "annual"),
    ("BIENNIAL", "每2年", "biennial"),
    ("TRIENNIAL", "每3年", "triennial"),
    ("QUADRENNIAL", "每4年", "quadrennial"),
    ("QUINQUENNIAL", "每5年", "quinquennial"),
    ("SEXENNIAL", "每6年", "every six years"),
    ("DECENNIAL", "每10年", "decennial"),
    ("BIDECENNIAL", "每20年", "bidecennial"),
    ("TRIDECENNIAL", "每30年", "tridecennial"),
    ("UPDATE_CONT", "即時（持續更新）", "continuously updated"),
    ("IRREG", "不定期", "irregular"),
    ("NEVER", "不更新", "never"),
    ("UNKNOWN", "未知", "unknown"),
    ("OTHER", "其他", "other"),
];

/// `dct:accrualPeriodicity`: the EU frequency concept, typed as the shapes expect.
pub fn frequency(frequency: &UpdateFrequency) -> Node {
    let code = frequency.eu_code();
    let label = FREQUENCY_LABELS
        .iter()
        .find(|(known, _, _)| *known == code)
        .map_or_else(|| Text::same(code), |(_, zh, en)| Text::new(*zh, *en));
    let scheme = EU_FREQUENCY_BASE.trim_end_matches('/');
    concept(
        Iri::new(frequency.eu_iri()),
        &["dct:Frequency"],
        &label,
        scheme,
    )
}

/// `dct:accessRights` in the EU access-right table. Anything short of open data is at least
/// RESTRICTED (staff of the city, or an approved request); data with personal information is
/// NON_PUBLIC, because the law, not a request form, keeps it out of reach.
pub fn access_rights(level: AccessLevel) -> Node {
    let (code, label) = match level {
        AccessLevel::Open => ("PUBLIC", Text::new("公開", "public")),
        AccessLevel::City | AccessLevel::Restricted => {
            ("RESTRICTED", Text::new("限制取用", "restricted"))
        }
        AccessLevel::PersonalData => ("NON_PUBLIC", Text::new("非公開", "non-public")),
    };
    let scheme = format!("{EU_AUTHORITY}access-right");
    let iri = Iri::new(format!("{scheme}/{code}"));
    concept(iri, &["dct:RightsStatement"], &label, &scheme)
}

/// `dct:language`: the EU language table, for what Taiwan's catalogues write (zh-TW, 中文 …).
pub fn language(text: &str) -> Option<Node> {
    let code = match text.trim().to_ascii_lowercase().as_str() {
        "zh" | "zh-tw" | "zh-hant" | "zh-hant-tw" | "中文" | "繁體中文" | "正體中文" => {
            "ZHO"
        }
        "en" | "en-us" | "en-gb" | "英文" | "english" => "ENG",
        _ => return None,
    };
    Some(language_code(code))
}

pub fn language_code(code: &'static str) -> Node {
    let mut node = Node::named(
        Iri::new(format!("{EU_AUTHORITY}language/{code}")),
        &["dct:LinguisticSystem"],
    );
    let label = match code {
        "ZHO" => Text::new("中文", "Chinese"),
        "ENG" => Text::new("英文", "English"),
        other => Text::same(other),
    };
    node.texts("rdfs:label", &label);
    node
}

/// ADMS publisher type for `dct:type` of an agent (recommended by the shapes).
pub fn publisher_type(company: bool) -> Node {
    let (code, label) = if company {
        ("Company", Text::new("公司", "Company"))
    } else {
        ("LocalAuthority", Text::new("地方政府", "Local Authority"))
    };
    let iri = Iri::new(format!("http://purl.org/adms/publishertype/{code}"));
    concept(iri, &[], &label, "http://purl.org/adms/publishertype/1.0")
}

struct KnownLicence {
    url: &'static str,
    names: &'static [&'static str],
    zh: &'static str,
    en: &'static str,
    /// ADMS licence type.
    kind: &'static str,
}

const LICENCES: &[KnownLicence] = &[
    KnownLicence {
        url: "https://data.gov.tw/license",
        names: &[
            "政府資料開放授權條款－第1版",
            "政府資料開放授權條款-第1版",
            "Open Government Data License, version 1.0",
        ],
        zh: "政府資料開放授權條款－第1版",
        en: "Open Government Data License, version 1.0",
        // Reuse is free on condition of attribution (it is compatible with CC BY 4.0).
        kind: "Attribution",
    },
    KnownLicence {
        url: "https://creativecommons.org/licenses/by/4.0/",
        names: &["CC BY 4.0", "CC-BY-4.0", "創用CC 姓名標示 4.0"],
        zh: "創用CC 姓名標示 4.0 國際",
        en: "Creative Commons Attribution 4.0 International",
        kind: "Attribution",
    },
    KnownLicence {
        url: "https://creativecommons.org/publicdomain/zero/1.0/",
        names: &["CC0", "CC0 1.0", "CC0-1.0"],
        zh: "CC0 1.0 公眾領域貢獻宣告",
        en: "CC0 1.0 Universal Public Domain Dedication",
        kind: "PublicDomain",
    },
];

fn same_url(a: &str, b: &str) -> bool {
    let clean = |u: &str| {
        u.trim()
            .trim_end_matches('/')
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .to_ascii_lowercase()
    };
    clean(a) == clean(b)
}

/// `dct:license` as a `dct:LicenseDocument`, with the ADMS licence-type concept it points to
/// when the licence is one we know: its title and type, else the source's URL and name as
/// given, else a blank node with the name only.
pub fn licence(name: Option<&str>, url: Option<&str>) -> Option<(Node, Option<Node>)> {
    let known = LICENCES.iter().find(|l| {
        url.is_some_and(|u| same_url(u, l.url))
            || name.is_some_and(|n| l.names.iter().any(|k| k.eq_ignore_ascii_case(n.trim())))
    });
    if let Some(known) = known {
        let mut node = Node::named(Iri::new(known.url), &["dct:LicenseDocument"]);
        node.text("dct:title", known.zh, ZH);
        node.text("dct:title", known.en, EN);
        let kind = licence_type(known.kind);
        if let Some(iri) = &kind.iri {
            node.iri("dct:type", iri.clone());
        }
        return Some((node, Some(kind)));
    }
    let mut node = match url.and_then(Iri::web) {
        Some(iri) => Node::named(iri, &["dct:LicenseDocument"]),
        None => Node::blank(&["dct:LicenseDocument"]),
    };
    if let Some(name) = name {
        node.text("dct:title", name, ZH);
    }
    (node.iri.is_some() || node.has("dct:title")).then_some((node, None))
}

fn licence_type(kind: &str) -> Node {
    let label = match kind {
        "PublicDomain" => Text::new("公眾領域", "Public domain"),
        _ => Text::new("姓名標示", "Attribution"),
    };
    let iri = Iri::new(format!("http://purl.org/adms/licencetype/{kind}"));
    concept(iri, &[], &label, "http://purl.org/adms/licencetype/1.0")
}

/// A `skos:Concept` (plus `extra` classes) with its labels and scheme.
pub fn concept(iri: Iri, extra: &[&'static str], label: &Text, scheme: &str) -> Node {
    let mut types = extra.to_vec();
    types.push("skos:Concept");
    let mut node = Node::named(iri, &types);
    node.texts("skos:prefLabel", label);
    node.iri("skos:inScheme", Iri::new(scheme));
    node
}
