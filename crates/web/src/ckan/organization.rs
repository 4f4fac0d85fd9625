//! Agencies as CKAN organizations: `organization_list` and `organization_show`. The parent
//! agency is given the way ckanext-hierarchy does, as a group with capacity "parent".

use std::collections::HashMap;

use civitas_core::agencies::{Agency, AgencyCode};
use serde_json::{Value, json};

use super::catalogue::{Audience, Catalogue};
use super::ids::{ckan_time, organization_id, organization_name};
use super::params::Params;
use super::reply::{CkanError, CkanResult};
use crate::auth::RequestContext;
use crate::state::AppState;

/// CKAN's defaults: 1,000 names, or 25 organizations with all their fields.
const NAMES_MAX: usize = 1000;
const DICTS_MAX: usize = 25;

pub struct Org<'a> {
    pub code: &'a AgencyCode,
    pub agency: Option<&'a Agency>,
    pub id: String,
    pub name: String,
}

impl<'a> Org<'a> {
    pub fn new(code: &'a AgencyCode, agency: Option<&'a Agency>) -> Self {
        Org {
            code,
            agency,
            id: organization_id(code),
            name: organization_name(code),
        }
    }

    pub fn title(&self) -> &str {
        self.agency
            .map(|a| a.name_zh.as_str())
            .unwrap_or(self.code.as_str())
    }

    /// Whether a CKAN reference (id, name, or the agency code itself) means this organization.
    pub fn is(&self, reference: &str) -> bool {
        let r = reference.trim();
        r == self.id || r == self.name || r.eq_ignore_ascii_case(self.code.as_str())
    }

    /// The organization as it appears inside a package.
    pub fn summary(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "title": self.title(),
            "description": self.agency.and_then(|a| a.name_en.clone()).unwrap_or_default(),
            "type": "organization",
            "is_organization": true,
            "state": if self.agency.is_none_or(|a| a.active) { "active" } else { "deleted" },
            "approval_status": "approved",
            "image_url": "",
            "created": self.agency.map(|a| ckan_time(a.created_at)),
        })
    }

    /// The organization on its own, as `organization_list` and `organization_show` give it.
    pub fn full(&self, package_count: usize) -> Value {
        let mut out = self.summary();
        let parent = self.agency.and_then(|a| a.parent.as_ref());
        let extras: Vec<Value> = [
            ("agency_code", Some(self.code.as_str().to_string())),
            ("kind", self.agency.map(|a| a.kind.as_str().to_string())),
            (
                "short_name_zh",
                self.agency.and_then(|a| a.short_name_zh.clone()),
            ),
            ("parent_code", parent.map(|p| p.as_str().to_string())),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| json!({ "key": k, "value": v })))
        .collect();
        let fields = [
            ("display_name", json!(self.title())),
            ("package_count", json!(package_count)),
            ("num_followers", json!(0)),
            ("image_display_url", json!("")),
            (
                "groups",
                json!(
                    parent
                        .map(|p| vec![
                            json!({ "name": organization_name(p), "capacity": "parent" })
                        ])
                        .unwrap_or_default()
                ),
            ),
            ("extras", json!(extras)),
            ("tags", json!([])),
            ("users", json!([])),
        ];
        if let Value::Object(map) = &mut out {
            map.extend(fields.into_iter().map(|(k, v)| (k.to_string(), v)));
        }
        out
    }
}

fn counts(cat: &Catalogue) -> HashMap<&AgencyCode, usize> {
    let mut out = HashMap::new();
    for d in &cat.datasets {
        *out.entry(&d.record.agency).or_insert(0) += 1;
    }
    out
}

/// Agencies still in service, and any retired one that still provides a dataset.
fn listed<'c>(cat: &'c Catalogue, counts: &HashMap<&AgencyCode, usize>) -> Vec<Org<'c>> {
    cat.agencies
        .iter()
        .filter(|a| a.active || counts.contains_key(&a.code))
        .map(|a| Org::new(&a.code, Some(a)))
        .collect()
}

pub async fn organization_list(
    state: &AppState,
    ctx: &RequestContext,
    p: &Params,
) -> CkanResult<Value> {
    let all_fields = p.flag("all_fields")?.unwrap_or(false);
    let wanted = p.list("organizations")?;
    let sort = p.text("sort")?.unwrap_or_else(|| "name asc".into());
    let mut words = sort.split_whitespace();
    let key = words.next().unwrap_or("name").to_string();
    let desc = match words.next().map(str::to_ascii_lowercase).as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(CkanError::invalid("sort", "the order is asc or desc")),
    };
    let limit = p
        .natural("limit")?
        .unwrap_or(if all_fields { DICTS_MAX } else { NAMES_MAX })
        .min(if all_fields { DICTS_MAX } else { NAMES_MAX });
    let offset = p.natural("offset")?.unwrap_or(0);

    let cat = Catalogue::load(state, Audience::of(ctx), false).await?;
    let counts = counts(&cat);
    let count = |o: &Org| counts.get(o.code).copied().unwrap_or(0);
    let mut orgs: Vec<Org> = listed(&cat, &counts)
        .into_iter()
        .filter(|o| wanted.is_empty() || wanted.iter().any(|w| o.is(w)))
        .collect();
    match key.as_str() {
        "name" => orgs.sort_by(|a, b| a.name.cmp(&b.name)),
        "title" => orgs.sort_by(|a, b| a.title().cmp(b.title()).then_with(|| a.name.cmp(&b.name))),
        "package_count" => {
            orgs.sort_by(|a, b| count(a).cmp(&count(b)).then_with(|| a.name.cmp(&b.name)))
        }
        other => {
            return Err(CkanError::invalid(
                "sort",
                format!("cannot sort organizations by {other}; use name, title or package_count"),
            ));
        }
    }
    if desc {
        orgs.reverse();
    }
    let page = orgs.iter().skip(offset).take(limit);
    Ok(if all_fields {
        json!(page.map(|o| o.full(count(o))).collect::<Vec<_>>())
    } else {
        json!(page.map(|o| o.name.clone()).collect::<Vec<_>>())
    })
}

pub async fn organization_show(
    state: &AppState,
    ctx: &RequestContext,
    p: &Params,
) -> CkanResult<Value> {
    let reference = p
        .text("id")?
        .filter(|r| !r.trim().is_empty())
        .ok_or_else(|| CkanError::missing("id"))?;
    let with_datasets = p.flag("include_datasets")?.unwrap_or(false);
    let cat = Catalogue::load(state, Audience::of(ctx), false).await?;
    let counts = counts(&cat);
    let orgs = listed(&cat, &counts);
    let org = orgs
        .iter()
        .find(|o| o.is(&reference))
        .ok_or_else(|| CkanError::NotFound(format!("organization '{reference}'")))?;
    let mut out = org.full(counts.get(org.code).copied().unwrap_or(0));
    if with_datasets && let Value::Object(map) = &mut out {
        let mut packages: Vec<_> = cat
            .packages()
            .into_iter()
            .filter(|p| p.org.code == org.code)
            .collect();
        packages.sort_by(|a, b| a.name.cmp(&b.name));
        let packages: Vec<Value> = packages
            .iter()
            .take(NAMES_MAX)
            .map(|p| p.to_json())
            .collect();
        map.insert("packages".into(), json!(packages));
    }
    Ok(out)
}
