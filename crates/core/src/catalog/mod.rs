//! Data catalogue (issue 3): every agency's datasets (supply) in one record that covers
//! Taiwan's government open-data metadata standard (38 fields) and maps to DCAT-AP 3,
//! harvested from existing sources, versioned, searchable in Chinese and English.
//! Depends on: agencies, audit, import, freshness. Never on HTTP or SQL.

mod agency_map;
pub mod dcat;
mod format;
pub mod harvest;
pub mod links;
mod model;
mod plan;
pub mod report;
pub mod schedule;
mod search;
mod series;
mod service;
pub use agency_map::AgencyMap;
pub use format::{CatalogFormat, Listing};
pub use service::{FreshnessRun, ImportSource, resolve_agency, snapshot, snapshot_with};
pub mod sources;
mod tokens;

pub use model::{
    AccessLevel, Dataset, DatasetKey, DatasetKind, DatasetRecord, DatasetStatus, DatasetVersion,
    Distribution, DistributionKind, FieldDef, FreshnessSnapshot,
};
pub use plan::{
    CatalogImportPlan, ParsedDataset, PlannedChange, data_timestamp, plan_catalog_import,
};
pub use search::{
    FACETS, Facet, FacetCount, SearchHit, SearchQuery, SearchResult, SortOrder, frequency_class,
    frequency_class_label, freshness_label,
};
pub use series::series_key;
pub use service::CatalogService;
pub use tokens::{QueryToken, fold, index_tokens, query_tokens};
