//! The catalogue for people: search with facets (htmx updates the results as you type),
//! dataset pages with their freshness and its evidence, and a steward's review.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use civitas_core::authz::Permission;
use civitas_core::catalog::{
    AccessLevel, Dataset, DatasetKind, DatasetStatus, FACETS, Facet, SearchQuery, SortOrder,
    frequency_class_label, freshness_label,
};
use civitas_core::freshness::UpdateFrequency;
use civitas_core::import::truncate_chars;
use civitas_core::page::PageRequest;
use civitas_core::time::Language;
use serde::Deserialize;

use super::{Chrome, Page, redirect_with_flash, render};
use crate::error::ApiResult;
use crate::extract::{ApiPath, UiForm};
use crate::state::AppState;

pub struct FacetValue {
    pub label: String,
    pub count: u64,
    pub href: String,
    pub selected: bool,
}

pub struct FacetGroup {
    pub label: String,
    pub values: Vec<FacetValue>,
}

pub struct Hit {
    pub id: i64,
    pub title: String,
    pub agency: String,
    pub frequency: String,
    pub formats: Vec<String>,
    pub freshness: Option<(String, String)>,
    pub description: String,
    pub withdrawn: bool,
}

#[derive(Template)]
#[template(path = "catalog/search.html")]
struct SearchPage {
    chrome: Chrome,
    q: String,
    fields_only: bool,
    active: Vec<(String, String)>,
    facets: Vec<FacetGroup>,
    hits: Vec<Hit>,
    summary: String,
    page: u32,
    pages: u64,
    prev_href: Option<String>,
    next_href: Option<String>,
    clear_href: String,
    total_datasets: u64,
    can_register: bool,
}

/// How a facet value reads to a person.
pub fn facet_value_label(
    facet: Facet,
    value: &str,
    lang: Language,
    agencies: &HashMap<String, String>,
) -> String {
    match facet {
        Facet::Agency => agencies
            .get(value)
            .cloned()
            .unwrap_or_else(|| value.to_string()),
        Facet::Frequency => frequency_class_label(value).get(lang).to_string(),
        Facet::Freshness => freshness_label(value).get(lang).to_string(),
        Facet::Access => AccessLevel::parse(value)
            .map(|a| a.label().get(lang).to_string())
            .unwrap_or_else(|| value.to_string()),
        Facet::Kind => [
            DatasetKind::RawData,
            DatasetKind::Service,
            DatasetKind::Tool,
        ]
        .into_iter()
        .find(|k| k.code() == value)
        .map(|k| k.label().get(lang).to_string())
        .unwrap_or_else(|| value.to_string()),
        Facet::Category | Facet::Format | Facet::License => value.to_string(),
    }
}

/// The search as written in the address: `q`, `fields`, `sort`, `page` and facet filters.
pub fn parse_search(raw: Option<&str>) -> (SearchQuery, Vec<(String, String)>) {
    let pairs: Vec<(String, String)> = raw
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    let mut query = SearchQuery::default();
    let mut active = Vec::new();
    let mut page = None;
    for (k, v) in &pairs {
        match k.as_str() {
            "q" => query.text = Some(v.clone()).filter(|t| !t.trim().is_empty()),
            "fields" => query.fields_only = v == "1",
            "page" => page = v.parse().ok(),
            "sort" => {
                query.sort = match v.as_str() {
                    "title" => SortOrder::Title,
                    "updated" => SortOrder::RecentlyUpdated,
                    _ => SortOrder::Relevance,
                }
            }
            "withdrawn" => query.include_withdrawn = v == "1",
            other => {
                if let Some(facet) = Facet::parse(other) {
                    query.filters.push((facet, v.clone()));
                    active.push((other.to_string(), v.clone()));
                }
            }
        }
    }
    query.page = PageRequest::new(page, Some(20));
    (query, active)
}

fn href(q: &str, fields_only: bool, active: &[(String, String)], page: Option<u32>) -> String {
    let mut pairs: Vec<(String, String)> = Vec::new();
    if !q.is_empty() {
        pairs.push(("q".into(), q.into()));
    }
    if fields_only {
        pairs.push(("fields".into(), "1".into()));
    }
    pairs.extend(active.iter().cloned());
    if let Some(p) = page {
        pairs.push(("page".into(), p.to_string()));
    }
    format!(
        "/catalog?{}",
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    )
}

pub async fn search(
    State(state): State<AppState>,
    page: Page,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let (query, active) = parse_search(raw.as_deref());
    let result = state
        .platform
        .catalog()
        .search(&page.caller, &query)
        .await?;
    let chrome = page.chrome("catalog.title");
    let lang = chrome.lang;
    let agencies = super::agency_names(&state).await;
    let q = query.text.clone().unwrap_or_default();
    let facets = FACETS
        .into_iter()
        .map(|facet| {
            let counts = result
                .facets
                .iter()
                .find(|(f, _)| *f == facet)
                .map(|(_, c)| c.clone())
                .unwrap_or_default();
            FacetGroup {
                label: facet.label().get(lang).to_string(),
                values: counts
                    .into_iter()
                    .take(15)
                    .map(|c| {
                        let pair = (facet.code().to_string(), c.value.clone());
                        let selected = active.contains(&pair);
                        let toggled: Vec<(String, String)> = if selected {
                            active.iter().filter(|p| **p != pair).cloned().collect()
                        } else {
                            active
                                .iter()
                                .cloned()
                                .chain(std::iter::once(pair))
                                .collect()
                        };
                        FacetValue {
                            label: facet_value_label(facet, &c.value, lang, &agencies),
                            count: c.count,
                            href: href(&q, query.fields_only, &toggled, None),
                            selected,
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    let hits = result
        .hits
        .iter()
        .map(|h| Hit {
            id: h.id,
            title: match (lang, &h.title_en) {
                (Language::En, Some(en)) => en.clone(),
                _ => h.title_zh.clone(),
            },
            agency: agencies
                .get(&h.agency)
                .cloned()
                .unwrap_or_else(|| h.agency.clone()),
            frequency: UpdateFrequency::parse(&h.frequency)
                .label()
                .get(lang)
                .to_string(),
            formats: h.formats.clone(),
            freshness: h
                .freshness
                .as_ref()
                .map(|s| (s.clone(), freshness_label(s).get(lang).to_string())),
            description: truncate_chars(&h.description_zh, 140),
            withdrawn: h.withdrawn,
        })
        .collect();
    let pages = result.total.div_ceil(u64::from(query.page.per_page)).max(1);
    let p = query.page.page;
    let summary = match lang {
        Language::ZhTw => format!("找到 {} 筆資料集", result.total),
        Language::En => format!("{} datasets found", result.total),
    };
    render(&SearchPage {
        prev_href: (p > 1).then(|| href(&q, query.fields_only, &active, Some(p - 1))),
        next_href: (u64::from(p) < pages)
            .then(|| href(&q, query.fields_only, &active, Some(p + 1))),
        clear_href: href(&q, query.fields_only, &[], None),
        total_datasets: state.platform.stores.catalog.count_datasets().await?,
        can_register: page
            .caller
            .principal
            .can_somewhere(Permission::ManageCatalog),
        fields_only: query.fields_only,
        q,
        active,
        facets,
        hits,
        summary,
        page: p,
        pages,
        chrome,
    })
}

#[derive(Template)]
#[template(path = "catalog/dataset.html")]
struct DatasetPage {
    chrome: Chrome,
    d: Dataset,
    agency_name: String,
    withdrawn: bool,
    freshness_code: String,
    freshness_label: String,
    freshness_text: String,
    frequency_label: String,
    data_updated: String,
    reviewed: String,
    due: String,
    facts: Vec<(String, String)>,
    versions: Vec<(i64, String, String, String)>,
    seen: String,
    can_manage: bool,
    /// None: may not read the data; Some(None): all of it; Some(Some(id)): under grant id.
    read: Option<Option<i64>>,
    has_file: bool,
    can_request: bool,
    access_label: String,
    requests: Vec<super::sharing::RequestRow>,
    usage: civitas_core::sharing::UsageRow,
    access_log: Vec<(String, String, String, String, u64)>,
    links: Vec<LinkRow>,
}

/// One address's last check, as the dataset page shows it.
pub struct LinkRow {
    pub url: String,
    pub ok: bool,
    pub dead: bool,
    pub reason: String,
    pub checked: String,
    pub last_ok: String,
}

pub async fn dataset(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let d = state.platform.catalog().get(&page.caller, id).await?;
    let versions = state.platform.catalog().versions(&page.caller, id).await?;
    let chrome = page.chrome("catalog.title");
    let lang = chrome.lang;
    let agencies = super::agency_names(&state).await;
    let r = &d.record;
    let t = |k: &str| chrome.t(k).to_string();
    let or_dash = |v: Option<&str>| v.filter(|s| !s.is_empty()).unwrap_or("—").to_string();
    let facts = vec![
        (t("catalog.identifier"), r.identifier.clone()),
        (
            t("catalog.agency"),
            agencies
                .get(r.agency.as_str())
                .cloned()
                .unwrap_or_else(|| r.agency.to_string()),
        ),
        (t("catalog.category"), or_dash(r.category.as_deref())),
        (t("catalog.kind"), r.kind.label().get(lang).to_string()),
        (
            t("catalog.keywords"),
            if r.keywords.is_empty() {
                "—".into()
            } else {
                r.keywords.join("、")
            },
        ),
        (
            t("catalog.access"),
            r.access_level.label().get(lang).to_string(),
        ),
        (t("catalog.license"), or_dash(r.license.as_deref())),
        (t("catalog.cost"), or_dash(r.cost.as_deref())),
        (
            t("catalog.temporal"),
            format!(
                "{} – {}",
                or_dash(r.temporal_from.as_deref()),
                or_dash(r.temporal_to.as_deref())
            ),
        ),
        (t("catalog.spatial"), or_dash(r.spatial.as_deref())),
        (
            t("catalog.records"),
            r.record_count
                .map(|n| n.to_string())
                .unwrap_or_else(|| "—".into()),
        ),
        (t("catalog.issued"), chrome.opt_datetime(r.issued)),
        (
            t("catalog.source_modified"),
            chrome.opt_datetime(r.source_modified),
        ),
        (t("catalog.landing"), or_dash(r.landing_page.as_deref())),
        (t("catalog.notes"), or_dash(r.notes.as_deref())),
    ];
    // The platform the dataset comes from (its harvest source, as an administrator mapped it).
    let mut facts = facts;
    if let Some(platform) = state
        .platform
        .inventory()
        .source_platform(&page.caller, &d.key.source)
        .await?
    {
        facts.push((t("plat.source_platform"), platform.input.name_zh));
    }
    let snapshot = d.freshness.clone();
    let target = state.platform.agencies().target(Some(&r.agency)).await?;
    let sharing = state.platform.sharing();
    // Counting a view is the usage log's business; a failure to count never hides the page.
    if let Err(e) = sharing.record_view(Some(&page.caller), id).await {
        tracing::warn!(error = %e, "a dataset view was not counted");
    }
    let read = sharing.may_read(Some(&page.caller), id).await?;
    let has_file = r
        .distributions
        .iter()
        .any(|x| x.kind == civitas_core::catalog::DistributionKind::Upload);
    let restricted = matches!(
        r.access_level,
        AccessLevel::Restricted | AccessLevel::PersonalData
    );
    let can_request = read.is_none()
        && restricted
        && page.caller.principal.can_somewhere(Permission::RequestData);
    let requests = sharing
        .requests(
            &page.caller,
            &civitas_core::ports::RequestFilter {
                dataset_id: Some(id),
                ..Default::default()
            },
        )
        .await?
        .iter()
        .map(|x| super::sharing::request_row(x, &agencies, &chrome))
        .collect();
    let year_ago = state.platform.now().sub(time::Duration::days(365));
    let usage = sharing.dataset_usage(&page.caller, id, year_ago).await?;
    let access_log = match sharing.access_log(&page.caller, id, 20).await {
        Ok(log) => log
            .into_iter()
            .map(|e| {
                (
                    chrome.datetime(e.at),
                    e.user_name,
                    e.agency
                        .map(|a| agencies.get(&a).cloned().unwrap_or(a))
                        .unwrap_or_else(|| "—".into()),
                    chrome.t(&format!("usage.kind_{}", e.kind)).to_string(),
                    e.rows,
                )
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    render(&DatasetPage {
        access_label: r.access_level.label().get(lang).to_string(),
        read,
        has_file,
        can_request,
        requests,
        usage,
        access_log,
        agency_name: agencies
            .get(r.agency.as_str())
            .cloned()
            .unwrap_or_else(|| r.agency.to_string()),
        withdrawn: matches!(d.status, DatasetStatus::Withdrawn { .. }),
        freshness_code: snapshot
            .as_ref()
            .map(|s| s.state.code().to_string())
            .unwrap_or_else(|| "unknown".into()),
        freshness_label: snapshot
            .as_ref()
            .map(|s| s.state.label().get(lang).to_string())
            .unwrap_or_else(|| freshness_label("unknown").get(lang).to_string()),
        freshness_text: snapshot
            .as_ref()
            .map(|s| {
                civitas_core::freshness::explain_now(
                    &s.explanation,
                    s.state,
                    s.due_at,
                    state.platform.now(),
                )
                .get(lang)
                .to_string()
            })
            .unwrap_or_default(),
        frequency_label: format!(
            "{} （{}）",
            r.frequency().label().get(lang),
            if r.frequency.is_empty() {
                "—"
            } else {
                &r.frequency
            }
        ),
        data_updated: chrome.opt_datetime(d.data_updated_at),
        reviewed: chrome.opt_datetime(d.reviewed_at),
        due: chrome.opt_datetime(snapshot.as_ref().and_then(|s| s.due_at)),
        versions: versions
            .into_iter()
            .map(|v| {
                (
                    v.version,
                    chrome.datetime(v.at),
                    v.actor,
                    v.changes.to_string(),
                )
            })
            .collect(),
        links: state
            .platform
            .stores
            .catalog
            .link_states(Some(d.id))
            .await?
            .into_iter()
            .map(|l| LinkRow {
                ok: l.ok,
                dead: l.is_dead(),
                reason: l
                    .reason
                    .as_ref()
                    .map(|r| r.get(chrome.lang).to_string())
                    .unwrap_or_default(),
                checked: chrome.datetime(l.checked_at),
                last_ok: chrome.opt_datetime(l.last_ok_at),
                url: l.url,
            })
            .collect(),
        seen: chrome.datetime(d.seen_at),
        can_manage: page.can(Permission::ManageCatalog, &target),
        facts,
        d,
        chrome,
    })
}

#[derive(Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    note: String,
}

pub async fn review(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<i64>,
    UiForm(form): UiForm<ReviewForm>,
) -> ApiResult<Response> {
    let d = state
        .platform
        .catalog()
        .mark_reviewed(&page.caller, id, &form.note)
        .await?;
    Ok(redirect_with_flash(
        &format!("/catalog/datasets/{id}"),
        "flash.reviewed",
        &d.record.title_zh,
        state.settings.cookie_secure,
    ))
}
