//! DCAT-AP 3 export of the catalogue (JSON-LD and Turtle), validated against the official
//! SHACL shapes.
//!
//! Both serialisations are written from one graph, so they always carry the same triples.
//! Mappings to EU vocabularies (themes, file types, access rights, frequencies) are tables in
//! their own files; the SHACL test lives in `tests/`.

mod agents;
mod dataset;
mod dates;
mod distribution;
mod export;
mod formats;
mod graph;
mod info;
mod jsonld;
mod series;
mod themes;
mod turtle;
mod vocabulary;

#[cfg(test)]
mod tests;

pub use info::{CatalogInfo, Place};

use crate::agencies::Agency;
use crate::catalog::Dataset;

/// The catalogue as JSON-LD. `base` is the public base URL IRIs are minted under, e.g.
/// `{base}/catalog/datasets/{identifier}`.
pub fn catalog_jsonld(
    info: &CatalogInfo,
    agencies: &[Agency],
    datasets: &[Dataset],
    base: &str,
) -> serde_json::Value {
    jsonld::write(&export::graph(info, agencies, datasets, base))
}

/// The catalogue as Turtle (same inputs and triples as [`catalog_jsonld`]).
pub fn catalog_turtle(
    info: &CatalogInfo,
    agencies: &[Agency],
    datasets: &[Dataset],
    base: &str,
) -> String {
    turtle::write(&export::graph(info, agencies, datasets, base))
}
