//! A civitas dataset as a CKAN package dict. Description fields map to CKAN's core fields;
//! what CKAN has no field for (更新頻率 verbatim, freshness, the last real data update, access
//! level, category, coverage) goes to `extras`. Contact people are not published here: CKAN's
//! author/maintainer fields would carry names and e-mail addresses to every anonymous reader.

use civitas_core::agencies::Agency;
use civitas_core::catalog::{AccessLevel, Dataset, Distribution, DistributionKind};
use serde_json::{Value, json};

use super::ids::{ckan_time, package_id, package_name, resource_id, tag_id};
use super::organization::Org;

/// Taiwan's Open Government Data License (政府資料開放授權條款).
const OGDL_TAIWAN_URL: &str = "https://data.gov.tw/license";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct License {
    pub id: String,
    pub title: String,
    pub url: Option<String>,
    pub open: bool,
}

impl License {
    fn of(d: &Dataset) -> License {
        let text = d.record.license.as_deref().map(str::trim).unwrap_or("");
        let url = d
            .record
            .license_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty());
        let url_has = |part: &str| url.is_some_and(|u| u.contains(part));
        let known = |id: &str, title: &str, default_url: &str| License {
            id: id.into(),
            title: if text.is_empty() {
                title.into()
            } else {
                text.into()
            },
            url: Some(url.unwrap_or(default_url).to_string()),
            open: true,
        };
        if url_has("data.gov.tw/license") || text.contains("政府資料開放授權條款") {
            known(
                "OGDL-Taiwan-1.0",
                "政府資料開放授權條款－第1版",
                OGDL_TAIWAN_URL,
            )
        } else if url_has("creativecommons.org/licenses/by/4.0") {
            known(
                "CC-BY-4.0",
                "Creative Commons Attribution 4.0",
                "https://creativecommons.org/licenses/by/4.0/",
            )
        } else if url_has("creativecommons.org/publicdomain/zero") {
            known(
                "CC0-1.0",
                "Creative Commons CCZero",
                "https://creativecommons.org/publicdomain/zero/1.0/",
            )
        } else if text.is_empty() && url.is_none() {
            License {
                id: "notspecified".into(),
                title: "License not specified".into(),
                url: None,
                open: false,
            }
        } else {
            let id = if text.is_empty() {
                url.unwrap_or_default()
            } else {
                text
            };
            License {
                id: id.to_string(),
                title: id.to_string(),
                url: url.map(str::to_string),
                open: false,
            }
        }
    }
}

/// One dataset with its CKAN names worked out once, for filtering, sorting and output.
pub struct Package<'a> {
    pub dataset: &'a Dataset,
    pub id: String,
    pub name: String,
    pub org: Org<'a>,
    /// Upper case, without repeats.
    pub formats: Vec<String>,
    pub license: License,
}

fn extra(out: &mut Vec<Value>, key: &str, value: Option<String>) {
    if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
        out.push(json!({ "key": key, "value": v }));
    }
}

impl<'a> Package<'a> {
    pub fn new(dataset: &'a Dataset, agency: Option<&'a Agency>) -> Self {
        Package {
            id: package_id(dataset),
            name: package_name(dataset),
            org: Org::new(&dataset.record.agency, agency),
            formats: dataset.record.formats(),
            license: License::of(dataset),
            dataset,
        }
    }

    /// Not open data: CKAN's "private" (only readers who may see it get it at all).
    pub fn private(&self) -> bool {
        self.dataset.record.access_level != AccessLevel::Open
    }

    pub fn tags(&self) -> Vec<&str> {
        let mut tags: Vec<&str> = Vec::new();
        for k in self.dataset.record.keywords.iter().map(|k| k.trim()) {
            if !k.is_empty() && !tags.contains(&k) {
                tags.push(k);
            }
        }
        tags
    }

    fn extras(&self) -> Vec<Value> {
        let d = self.dataset;
        let r = &d.record;
        let mut out = Vec::new();
        extra(&mut out, "access_level", Some(r.access_level.code().into()));
        extra(&mut out, "category", r.category.clone());
        extra(&mut out, "category_code", r.category_code.clone());
        extra(&mut out, "civitas_id", Some(d.id.to_string()));
        extra(
            &mut out,
            "data_updated_at",
            d.data_updated_at.map(|t| t.to_rfc3339()),
        );
        extra(&mut out, "dataset_kind", Some(r.kind.code().into()));
        extra(&mut out, "frequency", Some(r.frequency.clone()));
        extra(
            &mut out,
            "freshness_due_at",
            d.freshness
                .as_ref()
                .and_then(|f| f.due_at)
                .map(|t| t.to_rfc3339()),
        );
        extra(
            &mut out,
            "freshness_state",
            d.freshness.as_ref().map(|f| f.state.code().into()),
        );
        extra(&mut out, "identifier", Some(r.identifier.clone()));
        extra(&mut out, "issued", r.issued.map(|t| t.to_rfc3339()));
        extra(&mut out, "language", r.language.clone());
        extra(&mut out, "notes_en", r.description_en.clone());
        extra(
            &mut out,
            "record_count",
            r.record_count.map(|n| n.to_string()),
        );
        extra(&mut out, "remarks", r.notes.clone());
        extra(
            &mut out,
            "reviewed_at",
            d.reviewed_at.map(|t| t.to_rfc3339()),
        );
        extra(&mut out, "series", d.series.clone());
        extra(&mut out, "spatial_text", r.spatial.clone());
        extra(&mut out, "temporal_end", r.temporal_to.clone());
        extra(&mut out, "temporal_start", r.temporal_from.clone());
        extra(&mut out, "title_en", r.title_en.clone());
        out
    }

    fn resource(&self, position: usize, dist: &Distribution) -> Value {
        let d = self.dataset;
        let url = dist
            .download_url
            .as_deref()
            .or(dist.access_url.as_deref())
            .unwrap_or("");
        let format = dist
            .format
            .as_deref()
            .map(|f| f.trim().to_uppercase())
            .unwrap_or_default();
        let name = dist
            .title
            .clone()
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| {
                if format.is_empty() {
                    d.record.title_zh.clone()
                } else {
                    format!("{} ({format})", d.record.title_zh)
                }
            });
        json!({
            "id": resource_id(&self.id, position),
            "package_id": self.id,
            "position": position,
            "url": url,
            "name": name,
            "description": "",
            "format": format,
            "mimetype": dist.media_type,
            "mimetype_inner": null,
            "size": dist.byte_size,
            "hash": dist.checksum_sha256.as_ref().map(|h| format!("sha256:{h}")).unwrap_or_default(),
            "encoding": dist.encoding,
            "created": ckan_time(d.record.issued.unwrap_or(d.created_at)),
            "last_modified": dist.modified.map(ckan_time),
            "metadata_modified": ckan_time(d.updated_at),
            "resource_type": match dist.kind {
                DistributionKind::Download => "file",
                DistributionKind::Api => "api",
                DistributionKind::Upload => "file.upload",
            },
            "url_type": null,
            "cache_url": null,
            "cache_last_updated": null,
            "state": "active",
        })
    }

    pub fn to_json(&self) -> Value {
        let d = self.dataset;
        let tags: Vec<Value> = self
            .tags()
            .into_iter()
            .map(|t| json!({ "id": tag_id(t), "name": t, "display_name": t, "state": "active", "vocabulary_id": null }))
            .collect();
        let resources: Vec<Value> = d
            .record
            .distributions
            .iter()
            .enumerate()
            .map(|(i, dist)| self.resource(i, dist))
            .collect();
        json!({
            "id": self.id,
            "name": self.name,
            "title": d.record.title_zh,
            "notes": d.record.description_zh,
            "url": d.record.landing_page.clone().unwrap_or_default(),
            "version": null,
            "type": "dataset",
            "state": "active",
            "private": self.private(),
            "license_id": self.license.id,
            "license_title": self.license.title,
            "license_url": self.license.url,
            "isopen": self.license.open,
            "owner_org": self.org.id,
            "organization": self.org.summary(),
            "creator_user_id": null,
            "metadata_created": ckan_time(d.created_at),
            "metadata_modified": ckan_time(d.updated_at),
            "num_tags": tags.len(),
            "tags": tags,
            "num_resources": resources.len(),
            "resources": resources,
            "groups": [],
            "relationships_as_object": [],
            "relationships_as_subject": [],
            "extras": self.extras(),
        })
    }
}
