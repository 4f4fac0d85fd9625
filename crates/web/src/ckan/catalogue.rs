//! What one CKAN request may read. Like CKAN's public datasets, anyone sees the active
//! datasets whose access level is open; a signed-in person or token holder who may read the
//! catalogue (`read_catalog`) sees every active dataset — the rule `CatalogService::dcat`
//! applies for harvesters. The domain has no anonymous search, so this module reads the store
//! and applies that rule itself, in this one place.

use std::collections::HashMap;

use civitas_core::agencies::{Agency, AgencyCode};
use civitas_core::authz::Permission;
use civitas_core::catalog::{AccessLevel, Dataset, SearchQuery, query_tokens};
use civitas_core::page::{MAX_PER_PAGE, PageRequest};

use super::package::Package;
use super::reply::CkanResult;
use crate::auth::RequestContext;
use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Public,
    Staff,
}

impl Audience {
    pub fn of(ctx: &RequestContext) -> Audience {
        match ctx.caller() {
            Some(c) if c.principal.can_somewhere(Permission::ReadCatalog) => Audience::Staff,
            _ => Audience::Public,
        }
    }
}

pub struct Catalogue {
    /// Active datasets this caller may see, in id order.
    pub datasets: Vec<Dataset>,
    pub agencies: Vec<Agency>,
    by_code: HashMap<AgencyCode, usize>,
}

impl Catalogue {
    /// `open_only` narrows a staff reader to the public view (CKAN's `include_private=false`).
    pub async fn load(state: &AppState, audience: Audience, open_only: bool) -> CkanResult<Self> {
        let public = audience == Audience::Public || open_only;
        let datasets = state
            .platform
            .stores
            .catalog
            .active_datasets()
            .await?
            .into_iter()
            .filter(|d| !public || d.record.access_level == AccessLevel::Open)
            .collect();
        let agencies = state.platform.stores.agencies.agencies().await?;
        let by_code = agencies
            .iter()
            .enumerate()
            .map(|(i, a)| (a.code.clone(), i))
            .collect();
        Ok(Catalogue {
            datasets,
            agencies,
            by_code,
        })
    }

    pub fn agency(&self, code: &AgencyCode) -> Option<&Agency> {
        self.by_code.get(code).and_then(|i| self.agencies.get(*i))
    }

    pub fn packages(&self) -> Vec<Package<'_>> {
        self.datasets
            .iter()
            .map(|d| Package::new(d, self.agency(&d.record.agency)))
            .collect()
    }

    /// The package a CKAN `id` names: its id, its name, or civitas' identifier.
    pub fn find(&self, wanted: &str) -> Option<Package<'_>> {
        let wanted = wanted.trim();
        self.packages().into_iter().find(|p| {
            p.id == wanted.to_ascii_lowercase()
                || p.name == wanted
                || p.dataset.record.identifier == wanted
        })
    }
}

/// Datasets matching all `words` in civitas' own search, best first, as dataset id → rank;
/// `None` when the words hold nothing searchable (so everything matches).
pub async fn text_ranks(state: &AppState, words: &str) -> CkanResult<Option<HashMap<i64, usize>>> {
    if query_tokens(words).is_empty() {
        return Ok(None);
    }
    let mut query = SearchQuery {
        text: Some(words.to_string()),
        page: PageRequest::new(Some(1), Some(MAX_PER_PAGE)),
        ..SearchQuery::default()
    };
    let mut ranks = HashMap::new();
    loop {
        let found = state.platform.stores.catalog.search(&query).await?;
        if found.hits.is_empty() {
            break;
        }
        for hit in found.hits {
            let next = ranks.len();
            ranks.entry(hit.id).or_insert(next);
        }
        if ranks.len() as u64 >= found.total {
            break;
        }
        query.page.page = query.page.page.saturating_add(1);
    }
    Ok(Some(ranks))
}
