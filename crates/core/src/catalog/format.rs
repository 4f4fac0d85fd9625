//! The formats civitas reads dataset descriptions from, and what each says about completeness:
//! only a listing known to hold everything its source has may withdraw the records it lacks.

use super::plan::ParsedDataset;
use super::sources;
use super::sources::ckan::ResolveAgency;
use crate::text::Text;

/// The formats civitas can read dataset descriptions from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogFormat {
    /// 桃園市政府開放資料供應清單 (CSV).
    TaoyuanSupplyList,
    /// CKAN Action API `package_search` responses: one or more pages of one query.
    CkanPackageSearch,
    /// CKAN Action API `package_show` responses: one dataset each.
    CkanPackageShow,
    /// data.gov.tw per-dataset metadata, one JSON object a line.
    DatagovtwJsonl,
    /// data.gov.tw's whole-catalogue export as CSV.
    DatagovtwCsv,
    /// data.gov.tw's whole-catalogue export as JSON.
    DatagovtwJson,
    /// A DCAT catalogue in JSON-LD (DCAT-AP 3, ckanext-dcat).
    DcatJsonld,
    /// civitas' own dataset sheet (資料集登錄表): CSV, XLSX or ODS, for agencies with no system.
    Sheet,
}

/// The records of one or more documents of a source, and whether they are all it holds.
#[derive(Debug, Clone)]
pub struct Listing {
    pub records: Vec<ParsedDataset>,
    /// Absences mean "withdrawn from the source" only when this is set.
    pub complete: bool,
}

impl CatalogFormat {
    pub const ALL: [CatalogFormat; 8] = [
        CatalogFormat::TaoyuanSupplyList,
        CatalogFormat::CkanPackageSearch,
        CatalogFormat::CkanPackageShow,
        CatalogFormat::DatagovtwJsonl,
        CatalogFormat::DatagovtwCsv,
        CatalogFormat::DatagovtwJson,
        CatalogFormat::DcatJsonld,
        CatalogFormat::Sheet,
    ];

    pub fn parse(text: &str) -> Option<Self> {
        CatalogFormat::ALL.into_iter().find(|f| f.code() == text)
    }

    pub fn code(&self) -> &'static str {
        match self {
            CatalogFormat::TaoyuanSupplyList => "taoyuan-supply-list",
            CatalogFormat::CkanPackageSearch => "ckan-package-search",
            CatalogFormat::CkanPackageShow => "ckan-package-show",
            CatalogFormat::DatagovtwJsonl => "datagovtw-jsonl",
            CatalogFormat::DatagovtwCsv => "datagovtw-csv",
            CatalogFormat::DatagovtwJson => "datagovtw-json",
            CatalogFormat::DcatJsonld => "dcat-jsonld",
            CatalogFormat::Sheet => "civitas-sheet",
        }
    }

    /// Every format's code, for messages: `taoyuan-supply-list, ckan-package-search, …`.
    pub fn codes() -> String {
        CatalogFormat::ALL
            .iter()
            .map(|f| f.code())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The source name datasets from this format are keyed under unless a configured source
    /// names its own (two CKAN portals are two sources).
    pub fn source(&self) -> &'static str {
        match self {
            CatalogFormat::TaoyuanSupplyList => sources::taoyuan::SOURCE,
            CatalogFormat::CkanPackageSearch | CatalogFormat::CkanPackageShow => "ckan",
            CatalogFormat::DatagovtwJsonl
            | CatalogFormat::DatagovtwCsv
            | CatalogFormat::DatagovtwJson => sources::datagovtw::SOURCE,
            CatalogFormat::DcatJsonld => "dcat",
            CatalogFormat::Sheet => sources::sheet::SOURCE,
        }
    }

    /// Whether one document of this format lists everything its source holds. A
    /// `package_search` result set is complete only when its pages cover `count` (see
    /// [`CatalogFormat::parse_documents`]); a scraped per-dataset file or a `package_show`
    /// never is.
    pub fn is_full_listing(&self) -> bool {
        matches!(
            self,
            CatalogFormat::TaoyuanSupplyList
                | CatalogFormat::DatagovtwCsv
                | CatalogFormat::DatagovtwJson
                | CatalogFormat::DcatJsonld
        )
    }

    /// Whether several documents of this format are read as one listing (pages of one query).
    pub fn pages_of_one_listing(&self) -> bool {
        matches!(
            self,
            CatalogFormat::CkanPackageSearch | CatalogFormat::CkanPackageShow
        )
    }

    /// Read `documents` (pages of one query, in order, for `package_search`) into records
    /// numbered across all of them. An unreadable document makes the whole set unreadable:
    /// half a listing must not be mistaken for a whole one.
    pub fn parse_documents(
        &self,
        documents: &[&[u8]],
        resolve: ResolveAgency<'_>,
    ) -> Result<Listing, Text> {
        let single = || -> Result<&[u8], Text> {
            match documents {
                [one] => Ok(one),
                _ => Err(Text::new(
                    format!("{} 格式一次只能匯入一個檔案", self.code()),
                    format!("the {} format takes one file at a time", self.code()),
                )),
            }
        };
        let page_error = |i: usize, why: Text| {
            Text::new(
                format!("第 {} 個檔案：{}", i + 1, why.zh),
                format!("file {}: {}", i + 1, why.en),
            )
        };
        match self {
            CatalogFormat::TaoyuanSupplyList => Ok(Listing {
                records: sources::taoyuan::parse(single()?)?,
                complete: true,
            }),
            CatalogFormat::CkanPackageSearch => {
                let mut records = Vec::new();
                let mut count = None;
                for (i, doc) in documents.iter().enumerate() {
                    let start = records.len() as u64;
                    let page = sources::ckan::parse_package_search(doc, start, resolve)
                        .map_err(|why| page_error(i, why))?;
                    count = count.or(Some(page.count)).map(|c: u64| c.max(page.count));
                    records.extend(page.datasets);
                }
                let complete = count.is_some_and(|c| records.len() as u64 >= c);
                Ok(Listing { records, complete })
            }
            CatalogFormat::CkanPackageShow => {
                let mut records = Vec::new();
                for (i, doc) in documents.iter().enumerate() {
                    let mut shown = sources::ckan::parse_package_show(doc, resolve)
                        .map_err(|why| page_error(i, why))?;
                    for r in &mut shown {
                        r.line = i as u64 + 1;
                    }
                    records.extend(shown);
                }
                Ok(Listing {
                    records,
                    complete: false,
                })
            }
            CatalogFormat::DatagovtwJsonl => Ok(Listing {
                records: sources::datagovtw::parse_jsonl(single()?, resolve)?,
                complete: false,
            }),
            CatalogFormat::DatagovtwCsv => Ok(Listing {
                records: sources::datagovtw::parse_export_csv(single()?, resolve)?,
                complete: true,
            }),
            CatalogFormat::DatagovtwJson => Ok(Listing {
                records: sources::datagovtw::parse_export_json(single()?, resolve)?,
                complete: true,
            }),
            CatalogFormat::DcatJsonld => {
                let doc = single()?;
                Ok(Listing {
                    records: sources::dcat_jsonld::parse(doc, resolve)?,
                    // A paged DCAT endpoint (Hydra) gives one page a document: not all of it.
                    complete: !is_hydra_page(doc),
                })
            }
            // An agency's sheet adds and updates its rows; it never lists everything.
            CatalogFormat::Sheet => Ok(Listing {
                records: sources::sheet::parse(single()?, &|cell| {
                    resolve(&sources::ckan::AgencyHint {
                        code: Some(cell.to_string()),
                        name: Some(cell.to_string()),
                        id: None,
                    })
                })?,
                complete: false,
            }),
        }
    }
}

/// A Hydra `PartialCollectionView` with a next page (ckanext-dcat's paged catalogue endpoint).
fn is_hydra_page(doc: &[u8]) -> bool {
    let text = String::from_utf8_lossy(doc);
    text.contains("PartialCollectionView")
        || text.contains("hydra:next")
        || text.contains("hydra#next")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agencies::AgencyCode;
    use crate::catalog::sources::ckan::AgencyHint;

    fn ckan_page(count: u64, names: &[&str]) -> Vec<u8> {
        let results: Vec<_> = names
            .iter()
            .map(|n| {
                serde_json::json!({"id": n, "name": n, "title": n, "state": "active",
                    "organization": {"name": "eidc", "title": "EIDC"}, "resources": []})
            })
            .collect();
        serde_json::json!({"success": true, "result": {"count": count, "results": results}})
            .to_string()
            .into_bytes()
    }

    fn any(_: &AgencyHint) -> Option<AgencyCode> {
        AgencyCode::parse("380290000H").ok()
    }

    #[test]
    fn package_search_pages_are_one_listing_numbered_across_pages_and_complete_only_when_they_cover_the_count()
     {
        let one = ckan_page(3, &["a", "b"]);
        let two = ckan_page(3, &["c"]);
        let all = CatalogFormat::CkanPackageSearch
            .parse_documents(&[&one, &two], &any)
            .unwrap();
        assert!(all.complete);
        assert_eq!(
            all.records.iter().map(|r| r.line).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        let first_only = CatalogFormat::CkanPackageSearch
            .parse_documents(&[&one], &any)
            .unwrap();
        assert!(!first_only.complete, "a first page alone withdraws nothing");
        assert!(
            CatalogFormat::CkanPackageSearch
                .parse_documents(&[&one, b"<html>busy</html>"], &any)
                .unwrap_err()
                .en
                .starts_with("file 2:")
        );
    }

    #[test]
    fn every_format_is_named_by_its_code() {
        for f in CatalogFormat::ALL {
            assert_eq!(CatalogFormat::parse(f.code()), Some(f));
        }
        assert_eq!(CatalogFormat::parse("ckan"), None);
        assert!(!CatalogFormat::DatagovtwJsonl.is_full_listing());
        assert!(CatalogFormat::DatagovtwCsv.is_full_listing());
    }
}
