//! Any CKAN portal through its Action API: `package_search` pages and `package_show` read into
//! dataset records, and the paging arithmetic. Also `AgencyHint`, how every harvested source
//! names the agency behind a dataset (the data.gov.tw and DCAT readers use it too).

use serde_json::Value;

use super::none_if_empty;
use crate::agencies::AgencyCode;
use crate::catalog::model::{
    AccessLevel, DatasetKind, DatasetRecord, Distribution, DistributionKind,
};
use crate::catalog::plan::ParsedDataset;
use crate::import::decode_text;
use crate::text::Text;
use crate::time::Timestamp;

/// CKAN answers at most this many rows a page (`ckan.search.rows_max`), whatever is asked.
pub const ROWS_MAX: u64 = 1000;

/// CKAN core has no frequency: portals keep it in a custom field or an extra, under these names.
const FREQUENCY_KEYS: &[&str] = &[
    "frequency",
    "update_frequency",
    "frequency-of-update",
    "accrual_periodicity",
];
/// Dataset-level dates that concern the data itself (ckanext-data-qld, data.gov.uk).
const DATA_DATE_KEYS: &[&str] = &["data_last_updated", "date_updated", "last_updated"];
const API_FORMATS: &[&str] = &[
    "API",
    "WMS",
    "WFS",
    "WMTS",
    "ESRI REST",
    "SPARQL",
    "OGC API",
];

/// What a source says about the agency behind a dataset. The caller maps it onto the
/// organisation tree: civitas never guesses an agency from a name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgencyHint {
    /// A code the source states: an OID (data.gov.tw `publisherOID`), an agency code, or a
    /// CKAN organisation's `name` (its URL slug).
    pub code: Option<String>,
    /// The name as written: data.gov.tw 提供機關, CKAN organisation title, DCAT `foaf:name`.
    pub name: Option<String>,
    /// The source's own id for it: CKAN organisation id, DCAT publisher IRI.
    pub id: Option<String>,
}

/// The caller's mapping from a hint to an agency of the tree, `None` when it knows none.
/// It is asked even with an empty hint, so that a source run for one agency can name it.
pub type ResolveAgency<'a> = &'a dyn Fn(&AgencyHint) -> Option<AgencyCode>;

impl AgencyHint {
    fn describe(&self) -> Option<String> {
        match (&self.name, &self.code) {
            (Some(name), Some(code)) => Some(format!("{name}（{code}）")),
            (Some(one), None) | (None, Some(one)) => Some(one.clone()),
            (None, None) => self.id.clone(),
        }
    }

    /// The agency, or the reason the record cannot be taken.
    pub fn resolve(&self, resolve: ResolveAgency<'_>) -> Result<AgencyCode, Text> {
        if let Some(code) = resolve(self) {
            return Ok(code);
        }
        Err(match self.describe() {
            None => Text::new(
                "資料集未載明提供機關",
                "the dataset names no providing agency",
            ),
            Some(who) => Text::new(
                format!(
                    "提供機關「{who}」不在機關清單中；請先新增此機關，或設定來源機關與機關代碼的對應"
                ),
                format!(
                    "the providing agency '{who}' is not in the organisation tree; add it, or map the source's agency to an agency code"
                ),
            ),
        })
    }
}

/// One `package_search` page: the total the query matches (for paging) and its datasets.
#[derive(Debug, Clone)]
pub struct SearchPage {
    pub count: u64,
    pub datasets: Vec<ParsedDataset>,
}

/// Where the next `package_search` page starts, `None` after the last. Page with a stable
/// sort (e.g. `sort=id asc`), or datasets changing meanwhile shift between pages.
pub fn next_start(count: u64, rows: u64, start: u64) -> Option<u64> {
    let rows = rows.min(ROWS_MAX);
    let next = start.checked_add(rows)?;
    (rows > 0 && next < count).then_some(next)
}

/// A `package_search` response. `start` is the page's offset, so that each dataset's `line` is
/// its position in the whole result (1-based) and reports name it unambiguously.
pub fn parse_package_search(
    bytes: &[u8],
    start: u64,
    resolve: ResolveAgency<'_>,
) -> Result<SearchPage, Text> {
    let result = envelope(bytes)?;
    let (Some(count), Some(results)) = (
        result.get("count").and_then(Value::as_u64),
        result.get("results").and_then(Value::as_array),
    ) else {
        return Err(Text::new(
            "這不是 package_search 的回應：缺少 count 或 results",
            "this is not a package_search response: count or results is missing",
        ));
    };
    let datasets = (1u64..)
        .zip(results)
        .map(|(i, package)| parse_package(package, start.saturating_add(i), resolve))
        .collect();
    Ok(SearchPage { count, datasets })
}

/// A `package_show` response: one dataset.
pub fn parse_package_show(
    bytes: &[u8],
    resolve: ResolveAgency<'_>,
) -> Result<Vec<ParsedDataset>, Text> {
    let result = envelope(bytes)?;
    Ok(vec![parse_package(&result, 1, resolve)])
}

/// One package dict as CKAN returns it (in either envelope, or saved on its own).
pub fn parse_package(package: &Value, line: u64, resolve: ResolveAgency<'_>) -> ParsedDataset {
    ParsedDataset {
        line,
        raw: package.to_string(),
        result: record(package, resolve),
    }
}

/// The `result` of a successful response; CKAN's own message when it reports an error.
fn envelope(bytes: &[u8]) -> Result<Value, Text> {
    let (body, _) = decode_text(bytes)?;
    let mut doc: Value = serde_json::from_str(&body).map_err(|e| {
        Text::new(
            format!("CKAN 回應不是有效的 JSON：{e}"),
            format!("the CKAN response is not valid JSON: {e}"),
        )
    })?;
    match doc.get("success").and_then(Value::as_bool) {
        Some(true) => match doc.get_mut("result").map(Value::take) {
            Some(result) if result.is_object() => Ok(result),
            _ => Err(Text::new(
                "CKAN 回應缺少 result",
                "the CKAN response has no result",
            )),
        },
        Some(false) => {
            let error = doc.get("error").cloned().unwrap_or(Value::Null);
            let kind = json_text(&error, "__type").unwrap_or_else(|| "Error".into());
            let message = json_text(&error, "message").unwrap_or_else(|| {
                let mut details = error.clone();
                if let Some(map) = details.as_object_mut() {
                    map.remove("__type");
                }
                details.to_string()
            });
            Err(Text::new(
                format!("CKAN 回報錯誤（{kind}）：{message}"),
                format!("CKAN reported an error ({kind}): {message}"),
            ))
        }
        None => Err(Text::new(
            "這不是 CKAN Action API 的回應：缺少 success",
            "this is not a CKAN Action API response: 'success' is missing",
        )),
    }
}

/// A non-empty string or number at `key` (the first string of a list).
pub(super) fn json_text(value: &Value, key: &str) -> Option<String> {
    match value.get(key)? {
        Value::String(s) => none_if_empty(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(items) => items
            .first()
            .and_then(|v| v.as_str())
            .and_then(none_if_empty),
        _ => None,
    }
}

fn list<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value
        .get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// A custom field: top level (ckanext-scheming) or in `extras` (default schema).
fn field(package: &Value, key: &str) -> Option<String> {
    json_text(package, key).or_else(|| {
        package
            .get("extras")?
            .as_array()?
            .iter()
            .find(|e| e.get("key").and_then(Value::as_str) == Some(key))
            .and_then(|e| json_text(e, "value"))
    })
}

/// `title` with ckanext-fluent's `title_translated`: (Chinese or plain, English).
fn translated(package: &Value, key: &str) -> (Option<String>, Option<String>) {
    let map = package
        .get(format!("{key}_translated"))
        .and_then(Value::as_object);
    let zh = map
        .and_then(|m| m.iter().find(|(lang, _)| lang.starts_with("zh")))
        .and_then(|(_, v)| v.as_str())
        .and_then(none_if_empty);
    let en = map
        .and_then(|m| m.get("en"))
        .and_then(Value::as_str)
        .and_then(none_if_empty);
    let main = zh
        .or_else(|| json_text(package, key))
        .or_else(|| en.clone());
    let en = en.filter(|e| Some(e) != main.as_ref());
    (main, en)
}

/// CKAN writes UTC without a zone (`2020-03-18T04:48:27.035267`); dates alone are midnight.
fn ckan_time(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if let Some(at) = Timestamp::parse_rfc3339(text) {
        return Some(at);
    }
    let full = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
    );
    let date = time::macros::format_description!("[year]-[month]-[day]");
    let naive = time::PrimitiveDateTime::parse(&text.replacen(' ', "T", 1), &full)
        .ok()
        .or_else(|| time::Date::parse(text, &date).ok().map(|d| d.midnight()))?;
    Some(Timestamp::from_offset(naive.assume_utc()))
}

fn distribution(resource: &Value) -> Distribution {
    let format = json_text(resource, "format").map(|f| f.to_uppercase());
    let url = json_text(resource, "url");
    let api = format.as_deref().is_some_and(|f| API_FORMATS.contains(&f))
        || json_text(resource, "resource_type").as_deref() == Some("api");
    let uploaded = json_text(resource, "url_type").as_deref() == Some("upload");
    let checksum = json_text(resource, "hash")
        .map(|h| h.trim_start_matches("sha256:").to_lowercase())
        .filter(|h| h.len() == 64 && h.chars().all(|c| c.is_ascii_hexdigit()));
    Distribution {
        title: json_text(resource, "name").or_else(|| json_text(resource, "description")),
        kind: if api {
            DistributionKind::Api
        } else {
            DistributionKind::Download
        },
        format,
        encoding: None,
        download_url: json_text(resource, "download_url").or(url.clone().filter(|_| uploaded)),
        access_url: url,
        media_type: json_text(resource, "mimetype"),
        byte_size: json_text(resource, "size").and_then(|s| s.parse().ok()),
        checksum_sha256: checksum,
        modified: json_text(resource, "last_modified").and_then(|t| ckan_time(&t)),
    }
}

fn record(package: &Value, resolve: ResolveAgency<'_>) -> Result<DatasetRecord, Text> {
    if !package.is_object() {
        return Err(Text::new(
            "這筆不是資料集物件",
            "this entry is not a dataset object",
        ));
    }
    if let Some(state) = json_text(package, "state").filter(|s| s != "active") {
        return Err(Text::new(
            format!("來源中的資料集狀態為 {state}，不是 active"),
            format!("the dataset's state at its source is {state}, not active"),
        ));
    }
    if let Some(kind) =
        json_text(package, "type").filter(|t| matches!(t.as_str(), "harvest" | "showcase"))
    {
        return Err(Text::new(
            format!("這筆是 CKAN 的 {kind}，不是資料集"),
            format!("this entry is a CKAN {kind}, not a dataset"),
        ));
    }
    let identifier = json_text(package, "id")
        .or_else(|| json_text(package, "name"))
        .ok_or_else(|| Text::new("缺少資料集識別碼（id）", "the dataset has no id"))?;
    let (Some(title_zh), title_en) = translated(package, "title") else {
        return Err(Text::new("缺少資料集名稱", "the dataset has no title"));
    };
    let (description, description_en) = translated(package, "notes");
    let org = package.get("organization").filter(|o| o.is_object());
    let hint = AgencyHint {
        code: org.and_then(|o| json_text(o, "name")),
        name: org.and_then(|o| json_text(o, "title").or_else(|| json_text(o, "display_name"))),
        id: org
            .and_then(|o| json_text(o, "id"))
            .or_else(|| json_text(package, "owner_org")),
    };
    let agency = hint.resolve(resolve)?;
    let keywords = list(package, "tags")
        .iter()
        .filter_map(|t| {
            t.as_str()
                .and_then(none_if_empty)
                .or_else(|| json_text(t, "display_name"))
                .or_else(|| json_text(t, "name"))
        })
        .collect();
    let distributions: Vec<Distribution> = list(package, "resources")
        .iter()
        .filter(|r| json_text(r, "state").is_none_or(|s| s == "active"))
        .map(distribution)
        .collect();
    // metadata_modified moves with every edit and harvest (ckan/ckan#5011): never data evidence.
    let source_modified = distributions
        .iter()
        .filter_map(|d| d.modified)
        .max()
        .or_else(|| {
            DATA_DATE_KEYS
                .iter()
                .find_map(|k| field(package, k))
                .and_then(|t| ckan_time(&t))
        });
    let pair = |name: &str, email: &str| (json_text(package, name), json_text(package, email));
    let (contact_name, contact_email) = [
        pair("maintainer", "maintainer_email"),
        pair("author", "author_email"),
        (
            field(package, "contact-name"),
            field(package, "contact-email"),
        ),
    ]
    .into_iter()
    .find(|(name, email)| name.is_some() || email.is_some())
    .unwrap_or_default();
    Ok(DatasetRecord {
        identifier,
        title_zh,
        title_en,
        description_zh: description.unwrap_or_default(),
        description_en,
        agency,
        category: list(package, "groups")
            .first()
            .and_then(|g| json_text(g, "title").or_else(|| json_text(g, "display_name"))),
        category_code: None,
        keywords,
        kind: DatasetKind::RawData,
        frequency: FREQUENCY_KEYS
            .iter()
            .find_map(|k| field(package, k))
            .unwrap_or_default(),
        license: json_text(package, "license_title").or_else(|| json_text(package, "license_id")),
        license_url: json_text(package, "license_url"),
        cost: None,
        cost_url: None,
        cost_law: None,
        access_level: if package.get("private").and_then(Value::as_bool) == Some(true) {
            AccessLevel::Restricted
        } else {
            AccessLevel::Open
        },
        contact_name,
        contact_email,
        contact_phone: field(package, "contact-phone"),
        temporal_from: field(package, "temporal_coverage-from")
            .or_else(|| field(package, "temporal_start")),
        temporal_to: field(package, "temporal_coverage-to")
            .or_else(|| field(package, "temporal_end")),
        spatial: field(package, "spatial_text"),
        language: field(package, "language"),
        landing_page: json_text(package, "url"),
        record_count: None,
        notes: None,
        fields: Vec::new(),
        distributions,
        issued: json_text(package, "metadata_created").and_then(|t| ckan_time(&t)),
        source_modified,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/../../fixtures/ckan/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    /// The city's mapping of data.gov.uk publishers, by organisation slug; CEFAS is left out.
    fn uk_publishers(hint: &AgencyHint) -> Option<AgencyCode> {
        let code = match hint.code.as_deref()? {
            "eidc" => "UK-EIDC",
            "colchester-borough-council" => "UK-COLCHESTER",
            "british-geological-survey" => "UK-BGS",
            "cabinet-office" => "UK-CABINET",
            _ => return None,
        };
        AgencyCode::parse(code).ok()
    }

    #[test]
    fn a_search_page_gives_its_datasets_and_where_the_next_page_starts() {
        let page =
            parse_package_search(&fixture("package_search.json"), 0, &uk_publishers).unwrap();
        assert_eq!(page.count, 10);
        assert_eq!(page.datasets.len(), 4);
        assert_eq!(
            page.datasets.iter().map(|d| d.line).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
        assert_eq!(next_start(page.count, 4, 0), Some(4));
        assert_eq!(next_start(page.count, 4, 4), Some(8));
        assert_eq!(next_start(page.count, 4, 8), None);

        let ok: Vec<&DatasetRecord> = page
            .datasets
            .iter()
            .filter_map(|d| d.result.as_ref().ok())
            .collect();
        assert_eq!(ok.len(), 3);
        let refused = page.datasets[3].result.as_ref().unwrap_err();
        assert!(refused.zh.contains("提供機關「Centre for Environment, Fisheries & Aquaculture Science（centre-for-environment-fisheries-aquaculture-science）」不在機關清單中"), "{}", refused.zh);

        let pollinators = ok[0];
        assert_eq!(
            pollinators.identifier,
            "df1a587d-836a-4c63-b070-e5b6192117e4"
        );
        assert_eq!(pollinators.agency.as_str(), "UK-EIDC");
        assert_eq!(
            pollinators.frequency, "notPlanned",
            "ISO 19115 frequency-of-update kept verbatim"
        );
        assert_eq!(pollinators.distributions.len(), 2);
        // Its metadata_modified (2020-03-18, the day data.gov.uk re-harvested it) is no evidence
        // that the data changed, and no resource states a last_modified.
        assert_eq!(pollinators.source_modified, None);
        assert_eq!(
            pollinators.issued.unwrap().to_rfc3339(),
            "2016-08-16T18:34:06.445687Z"
        );

        let chart = ok[1];
        assert_eq!(chart.title_zh, "Organisation Chart");
        assert_eq!(chart.formats(), ["CSV", "HTML", "JSON", "XML"]);
        assert_eq!(chart.frequency, "", "no frequency declared");
    }

    #[test]
    fn pages_never_ask_past_ckans_row_cap() {
        assert_eq!(
            next_start(5_000, 5_000, 0),
            Some(1_000),
            "CKAN returned only 1000"
        );
        assert_eq!(next_start(1_000, 1_000, 0), None);
        assert_eq!(next_start(0, 10, 0), None);
        assert_eq!(next_start(10, 0, 0), None, "zero rows would never advance");
    }

    #[test]
    fn a_shown_dataset_reads_its_resources_and_iso_frequency() {
        let rows = parse_package_show(&fixture("package_show.json"), &uk_publishers).unwrap();
        let seabed = rows[0].result.as_ref().unwrap();
        assert_eq!(seabed.identifier, "5e2d4ec4-2df6-4c3f-b559-93321a213d29");
        assert_eq!(
            seabed.title_zh,
            "UK continental shelf seabed sediments (1:1 million scale)"
        );
        assert_eq!(seabed.agency.as_str(), "UK-BGS");
        assert_eq!(seabed.frequency, "asNeeded");
        assert_eq!(seabed.temporal_from.as_deref(), Some("2005"));
        assert_eq!(seabed.contact_email.as_deref(), Some("enquiries@bgs.ac.uk"));
        assert_eq!(
            seabed.license, None,
            "license_id and license_title are empty"
        );
        let homepage = &seabed.distributions[0];
        assert_eq!(homepage.title.as_deref(), Some("BGS Homepage"));
        assert_eq!(
            homepage.access_url.as_deref(),
            Some("http://www.bgs.ac.uk/")
        );
        assert_eq!(homepage.format, None);
        assert_eq!(
            seabed.issued.unwrap().to_rfc3339(),
            "2011-11-10T08:30:44.293151Z"
        );
    }

    #[test]
    fn the_newest_resource_update_is_the_data_update_not_the_metadata_edit() {
        let mut doc: Value = serde_json::from_slice(&fixture("package_show.json")).unwrap();
        let resources = doc["result"]["resources"].as_array_mut().unwrap();
        resources[0]["last_modified"] = "2018-05-14T18:12:10.230542".into();
        let mut second = resources[0].clone();
        second["last_modified"] = "2018-07-01T09:00:00".into();
        second["format"] = "csv".into();
        resources.push(second);
        let rows = parse_package_show(doc.to_string().as_bytes(), &uk_publishers).unwrap();
        let seabed = rows[0].result.as_ref().unwrap();
        assert_eq!(
            seabed.distributions[0].modified.unwrap().to_rfc3339(),
            "2018-05-14T18:12:10.230542Z"
        );
        // metadata_modified is 2018-09-11: later, but only an edit of the description.
        assert_eq!(
            seabed.source_modified.unwrap().to_rfc3339(),
            "2018-07-01T09:00:00Z"
        );
        assert_eq!(seabed.formats(), ["CSV"]);
    }

    #[test]
    fn a_custom_schema_and_the_default_schema_give_the_same_dataset() {
        let read = |name: &str| {
            let package: Value = serde_json::from_slice(&fixture(name)).unwrap();
            parse_package(&package, 1, &uk_publishers).result.unwrap()
        };
        let scheming = read("stable__package_show.inner.civil-service-people-survey-2011.json");
        let extras =
            read("stable__package_show.default_schema.inner.civil-service-people-survey-2011.json");
        assert_eq!(scheming, extras);
        assert_eq!(scheming.frequency, "never");
        assert_eq!(
            scheming.source_modified.unwrap().to_rfc3339(),
            "2012-02-01T00:00:00Z",
            "date_updated, not metadata_modified (2013-08-12)"
        );
        assert_eq!(
            scheming.license.as_deref(),
            Some("UK Open Government Licence (OGL)")
        );
        assert_eq!(scheming.formats(), ["CSV", "PDF", "XLS"]);
        assert_eq!(scheming.temporal_to.as_deref(), Some("2011-10-21"));
    }

    #[test]
    fn ckans_own_error_is_the_reason_a_harvest_stops() {
        // Hand-made, in the shape CKAN answers an unknown id.
        let body = br#"{"help": "https://demo.ckan.org/api/3/action/help_show?name=package_show", "success": false, "error": {"message": "Not found", "__type": "Not Found Error"}}"#;
        let err = parse_package_show(body, &uk_publishers).unwrap_err();
        assert_eq!(
            err.en,
            "CKAN reported an error (Not Found Error): Not found"
        );
        assert!(err.zh.starts_with("CKAN 回報錯誤"));
        let err =
            parse_package_search(b"<html>502 Bad Gateway</html>", 0, &uk_publishers).unwrap_err();
        assert!(err.en.contains("not valid JSON"));
    }

    #[test]
    fn a_deleted_dataset_is_refused_with_its_state() {
        let mut doc: Value = serde_json::from_slice(&fixture("package_show.json")).unwrap();
        doc["result"]["state"] = "deleted".into();
        let rows = parse_package_show(doc.to_string().as_bytes(), &uk_publishers).unwrap();
        assert_eq!(
            rows[0].result.as_ref().unwrap_err().en,
            "the dataset's state at its source is deleted, not active"
        );
    }
}
