//! The small actions: `package_show`, `package_list`, `status_show`, `help_show`.

use serde_json::{Value, json};

use super::catalogue::{Audience, Catalogue};
use super::params::Params;
use super::reply::{CkanError, CkanResult};
use crate::auth::RequestContext;
use crate::state::AppState;

/// The CKAN release whose Action API this one follows, for clients that check it.
pub const CKAN_VERSION: &str = "2.10.0";

/// Every action civitas answers, with its documentation (what `help_show` returns).
pub const ACTIONS: [(&str, &str); 7] = [
    (
        "package_search",
        "Search the datasets. Parameters: q (words; field:value terms), fq and fq_list (organization, owner_org, res_format, tags, license_id, id, name, metadata_modified and metadata_created ranges, dataset_type, state, private, capacity; OR, -, NOT, quotes, field:(a OR b)), sort (score, metadata_modified, metadata_created, title_string, name, id; asc or desc), rows (default 10, at most 1000), start, facet, facet.field (organization, res_format, tags, license_id, groups), facet.limit (default 50, negative for all), facet.mincount, include_private (false: open data only).",
    ),
    (
        "package_show",
        "One dataset. Parameters: id (its id, its name, or the civitas identifier).",
    ),
    (
        "package_list",
        "The names of the datasets, sorted. Parameters: limit, offset.",
    ),
    (
        "organization_list",
        "The agencies. Parameters: all_fields, sort (name, title, package_count; asc or desc), limit, offset, organizations.",
    ),
    (
        "organization_show",
        "One agency. Parameters: id (its id, its name, or the agency code), include_datasets.",
    ),
    (
        "status_show",
        "The site and the CKAN version this API follows.",
    ),
    (
        "help_show",
        "The documentation of an action. Parameters: name.",
    ),
];

pub async fn package_show(state: &AppState, ctx: &RequestContext, p: &Params) -> CkanResult<Value> {
    let wanted = p
        .text("id")?
        .or(p.text("name_or_id")?)
        .filter(|w| !w.trim().is_empty())
        .ok_or_else(|| CkanError::missing("id"))?;
    let cat = Catalogue::load(state, Audience::of(ctx), false).await?;
    // A dataset the caller may not see is "not found", so its existence is not confirmed.
    cat.find(&wanted)
        .map(|p| p.to_json())
        .ok_or_else(|| CkanError::NotFound(format!("dataset '{wanted}'")))
}

pub async fn package_list(state: &AppState, ctx: &RequestContext, p: &Params) -> CkanResult<Value> {
    let limit = p.natural("limit")?;
    let offset = p.natural("offset")?.unwrap_or(0);
    let cat = Catalogue::load(state, Audience::of(ctx), false).await?;
    let mut names: Vec<String> = cat.packages().into_iter().map(|p| p.name).collect();
    names.sort();
    Ok(json!(
        names
            .into_iter()
            .skip(offset)
            .take(limit.unwrap_or(usize::MAX))
            .collect::<Vec<_>>()
    ))
}

pub fn status_show(state: &AppState) -> Value {
    json!({
        "ckan_version": CKAN_VERSION,
        "site_title": "桃園市政府資料目錄 (civitas)",
        "site_description": "桃園市政府各機關的資料集清冊，含更新頻率與更新狀態。The datasets of Taoyuan City Government's agencies, with their update frequency and freshness.",
        "site_url": state.settings.public_base.trim_end_matches('/'),
        "locale_default": "zh_Hant_TW",
        "error_emails_to": null,
        "extensions": [],
    })
}

pub fn help_show(p: &Params) -> CkanResult<Value> {
    let name = p.text("name")?.ok_or_else(|| CkanError::missing("name"))?;
    ACTIONS
        .iter()
        .find(|(action, _)| *action == name)
        .map(|(_, doc)| json!(doc))
        .ok_or_else(|| CkanError::NotFound(format!("action function '{name}'")))
}
