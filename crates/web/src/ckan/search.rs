//! `package_search`: CKAN's `q`, `fq`/`fq_list`, `sort`, `rows`/`start` and facets over the
//! datasets the caller may see. Words are matched and ranked by civitas' own search; field
//! terms, sorting, paging and facet counts are worked out here over the matched packages.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

use civitas_core::time::Timestamp;
use serde_json::{Map, Value, json};

use super::catalogue::{Audience, Catalogue, text_ranks};
use super::package::Package;
use super::params::Params;
use super::query::{self, DEFAULT_SORT, Field, Filter, Param, SortKey, Wanted};
use super::reply::{CkanError, CkanResult};
use crate::auth::RequestContext;
use crate::state::AppState;

/// CKAN's `ckan.search.rows_max`: larger requests are cut to this, as CKAN does.
const ROWS_MAX: usize = 1000;
const FACET_FIELDS: [&str; 5] = ["organization", "res_format", "tags", "license_id", "groups"];

fn within(at: Timestamp, from: &Bound<Timestamp>, to: &Bound<Timestamp>) -> bool {
    let after = match from {
        Bound::Included(f) => at >= *f,
        Bound::Excluded(f) => at > *f,
        Bound::Unbounded => true,
    };
    let before = match to {
        Bound::Included(t) => at <= *t,
        Bound::Excluded(t) => at < *t,
        Bound::Unbounded => true,
    };
    after && before
}

fn holds(p: &Package, field: Field, wanted: &Wanted) -> bool {
    let d = p.dataset;
    let value = match wanted {
        Wanted::Between(from, to) => {
            let at = match field {
                Field::MetadataCreated => d.created_at,
                _ => d.updated_at,
            };
            return within(at, from, to);
        }
        Wanted::Any => return !values(p, field).is_empty(),
        Wanted::Is(v) => v.trim(),
    };
    match field {
        Field::Organization => {
            p.org.name == value || p.org.code.as_str().eq_ignore_ascii_case(value)
        }
        Field::OwnerOrg => p.org.is(value),
        Field::ResFormat => p.formats.iter().any(|f| f.eq_ignore_ascii_case(value)),
        Field::Id => p.id.eq_ignore_ascii_case(value),
        _ => values(p, field).iter().any(|v| v == value),
    }
}

/// A package's values for a field, as CKAN's index holds them.
fn values(p: &Package, field: Field) -> Vec<String> {
    match field {
        Field::Id => vec![p.id.clone()],
        Field::Name => vec![p.name.clone()],
        Field::Organization => vec![p.org.name.clone()],
        Field::OwnerOrg => vec![p.org.id.clone()],
        Field::ResFormat => p.formats.clone(),
        Field::Tags => p.tags().into_iter().map(str::to_string).collect(),
        Field::LicenseId => vec![p.license.id.clone()],
        Field::MetadataModified | Field::MetadataCreated => vec!["*".into()],
        Field::DatasetType => vec!["dataset".into()],
        Field::State => vec!["active".into()],
        Field::Private => vec![p.private().to_string()],
        Field::Capacity => vec![if p.private() { "private" } else { "public" }.into()],
    }
}

fn accepts(filter: &Filter, p: &Package) -> bool {
    filter.clauses.iter().all(|c| {
        let any = c.any_of.iter().any(|(f, w)| holds(p, *f, w));
        any != c.negated
    })
}

fn compare(
    a: &Package,
    b: &Package,
    sort: &[(SortKey, bool)],
    ranks: Option<&HashMap<i64, usize>>,
) -> Ordering {
    for (key, desc) in sort {
        let order = match key {
            // Best first is "score desc"; an earlier rank is a higher score.
            SortKey::Score => match ranks {
                Some(r) => r.get(&b.dataset.id).cmp(&r.get(&a.dataset.id)),
                None => Ordering::Equal,
            },
            SortKey::MetadataModified => a.dataset.updated_at.cmp(&b.dataset.updated_at),
            SortKey::MetadataCreated => a.dataset.created_at.cmp(&b.dataset.created_at),
            SortKey::Title => a.dataset.record.title_zh.cmp(&b.dataset.record.title_zh),
            SortKey::Name => a.name.cmp(&b.name),
            SortKey::Id => a.id.cmp(&b.id),
        };
        let order = if *desc { order.reverse() } else { order };
        if order != Ordering::Equal {
            return order;
        }
    }
    // A total order, so that pages never overlap.
    a.dataset.id.cmp(&b.dataset.id)
}

fn facet_items(packages: &[Package], field: &str) -> Vec<(String, String, usize)> {
    let mut counts: BTreeMap<String, (String, usize)> = BTreeMap::new();
    for p in packages {
        let entries: Vec<(String, String)> = match field {
            "organization" => vec![(p.org.name.clone(), p.org.title().to_string())],
            "res_format" => p.formats.iter().map(|f| (f.clone(), f.clone())).collect(),
            "tags" => p
                .tags()
                .into_iter()
                .map(|t| (t.to_string(), t.to_string()))
                .collect(),
            "license_id" => vec![(p.license.id.clone(), p.license.title.clone())],
            _ => Vec::new(),
        };
        for (name, display) in entries {
            counts.entry(name).or_insert((display, 0)).1 += 1;
        }
    }
    let mut items: Vec<(String, String, usize)> = counts
        .into_iter()
        .map(|(name, (display, n))| (name, display, n))
        .collect();
    items.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    items
}

fn filter_of(p: &Params) -> CkanResult<Filter> {
    let q = p.text("q")?.unwrap_or_default();
    let mut filter = query::parse(&q, Param::Q).map_err(|e| CkanError::invalid("q", e.0))?;
    let mut fqs: Vec<String> = p.text("fq")?.into_iter().collect();
    fqs.extend(p.list("fq_list")?);
    for fq in fqs {
        let more = query::parse(&fq, Param::Fq).map_err(|e| CkanError::invalid("fq", e.0))?;
        filter.clauses.extend(more.clauses);
        filter.words.extend(more.words);
    }
    Ok(filter)
}

pub async fn package_search(
    state: &AppState,
    ctx: &RequestContext,
    p: &Params,
) -> CkanResult<Value> {
    let filter = filter_of(p)?;
    let rows = p.natural("rows")?.unwrap_or(10).min(ROWS_MAX);
    let start = p.natural("start")?.unwrap_or(0);
    let sort_text = p
        .text("sort")?
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_SORT.into());
    let sort = query::parse_sort(&sort_text).map_err(|e| CkanError::invalid("sort", e.0))?;
    let faceting = p.flag("facet")?.unwrap_or(true);
    let facet_fields = if faceting {
        p.list("facet.field")?
    } else {
        Vec::new()
    };
    let unknown: Vec<&str> = facet_fields
        .iter()
        .map(String::as_str)
        .filter(|f| !FACET_FIELDS.contains(f))
        .collect();
    if !unknown.is_empty() {
        return Err(CkanError::invalid(
            "facet.field",
            format!(
                "unsupported facet field(s): {}; supported: {}",
                unknown.join(", "),
                FACET_FIELDS.join(", ")
            ),
        ));
    }
    let facet_limit = p.integer("facet.limit")?.unwrap_or(50);
    let facet_mincount = p.natural("facet.mincount")?.unwrap_or(1);
    // Staff see every dataset unless they ask for the public view.
    let open_only = p.flag("include_private")? == Some(false);

    let cat = Catalogue::load(state, Audience::of(ctx), open_only).await?;
    let ranks = text_ranks(state, &filter.words.join(" ")).await?;
    let mut found: Vec<Package> = cat
        .packages()
        .into_iter()
        .filter(|p| ranks.as_ref().is_none_or(|r| r.contains_key(&p.dataset.id)))
        .filter(|p| accepts(&filter, p))
        .collect();
    found.sort_by(|a, b| compare(a, b, &sort, ranks.as_ref()));

    let mut facets = Map::new();
    let mut search_facets = Map::new();
    for field in &facet_fields {
        let items: Vec<(String, String, usize)> = facet_items(&found, field)
            .into_iter()
            .filter(|(_, _, n)| *n >= facet_mincount)
            .take(usize::try_from(facet_limit).unwrap_or(usize::MAX))
            .collect();
        facets.insert(
            field.clone(),
            Value::Object(
                items
                    .iter()
                    .map(|(name, _, n)| (name.clone(), json!(n)))
                    .collect(),
            ),
        );
        search_facets.insert(
            field.clone(),
            json!({
                "title": field,
                "items": items.iter().map(|(name, display, n)| json!({ "name": name, "display_name": display, "count": n })).collect::<Vec<_>>(),
            }),
        );
    }
    let results: Vec<Value> = found
        .iter()
        .skip(start)
        .take(rows)
        .map(Package::to_json)
        .collect();
    Ok(json!({
        "count": found.len(),
        "sort": sort_text,
        "facets": facets,
        "search_facets": search_facets,
        "results": results,
    }))
}
