//! Builds the export graph: the catalogue, its agencies, datasets, series and the concepts
//! they point to. IRIs are minted under the public base URL, so the same catalogue always
//! exports the same triples.

use std::collections::HashMap;

use super::agents;
use super::dates;
use super::graph::{Graph, Iri, Node, ZH, segment};
use super::info::{CatalogInfo, Place};
use super::series::{self, SeriesPlan};
use super::themes;
use super::vocabulary;
use crate::agencies::{Agency, AgencyCode};
use crate::catalog::{Dataset, DatasetStatus};

pub struct Export<'a> {
    pub base: String,
    pub info: &'a CatalogInfo,
    agencies: HashMap<&'a AgencyCode, &'a Agency>,
    /// Nodes many others point to (agents, concepts, licences, places), written after the
    /// catalogue's own datasets so the export reads from the catalogue down.
    pub terms: Graph,
}

impl<'a> Export<'a> {
    fn new(info: &'a CatalogInfo, agencies: &'a [Agency], base: &str) -> Self {
        Export {
            base: base.trim().trim_end_matches('/').to_string(),
            info,
            agencies: agencies.iter().map(|a| (&a.code, a)).collect(),
            terms: Graph::default(),
        }
    }

    /// Adds `target` under `predicate`: a named node goes to the shared terms (once) and is
    /// referred to by IRI, a blank node is nested.
    pub fn link(&mut self, subject: &mut Node, predicate: &'static str, target: Node) {
        match target.iri.clone() {
            Some(iri) => {
                self.terms.add(target);
                subject.iri(predicate, iri);
            }
            None => subject.node(predicate, target),
        }
    }

    pub fn catalog_iri(&self) -> Iri {
        Iri::new(format!("{}/catalog", self.base))
    }

    pub fn dataset_iri(&self, identifier: &str) -> Iri {
        Iri::new(format!(
            "{}/catalog/datasets/{}",
            self.base,
            segment(identifier)
        ))
    }

    pub fn series_iri(&self, agency: &AgencyCode, title: &str) -> Iri {
        Iri::new(format!(
            "{}/catalog/series/{}/{}",
            self.base,
            segment(agency.as_str()),
            segment(title)
        ))
    }

    pub fn agency(&self, code: &AgencyCode) -> Option<&'a Agency> {
        self.agencies.get(code).copied()
    }

    /// Links `subject` to the agent for an agency code (added to the graph once).
    pub fn publisher(&mut self, subject: &mut Node, predicate: &'static str, code: &AgencyCode) {
        let iri = Iri::new(format!("{}/agencies/{}", self.base, segment(code.as_str())));
        if self.terms.get(&iri).is_none() {
            let agency = self.agency(code);
            let (agent, kind) = agents::agent(iri.clone(), code, agency);
            self.terms.add(agent);
            if let Some(kind) = kind {
                self.terms.add(kind);
            }
        }
        subject.iri(predicate, iri);
    }

    /// `dct:license`, with the licence-type concept it points to.
    pub fn licence(&mut self, subject: &mut Node, name: Option<&str>, url: Option<&str>) {
        if let Some((licence, kind)) = vocabulary::licence(name, url) {
            self.link(subject, "dct:license", licence);
            if let Some(kind) = kind {
                self.terms.add(kind);
            }
        }
    }

    pub fn place_node(&self, place: &Place) -> Node {
        let iri = Iri::new(format!(
            "{}/catalog/places/{}",
            self.base,
            segment(&place.slug)
        ));
        let mut node = Node::named(iri, &["dct:Location"]);
        node.texts("skos:prefLabel", &place.name);
        if let Some(bbox) = &place.bbox_wkt {
            node.typed("dcat:bbox", bbox.trim(), "gsp:wktLiteral");
        }
        if let Some(centroid) = &place.centroid_wkt {
            node.typed("dcat:centroid", centroid.trim(), "gsp:wktLiteral");
        }
        node
    }

    /// `dct:spatial` for a free-text area: the catalogue's place when it names it, else a
    /// location known by its name only.
    pub fn spatial(&mut self, subject: &mut Node, text: &str) {
        let place = self.info.place.as_ref().filter(|p| p.is_named(text));
        let location = match place {
            Some(place) => self.place_node(place),
            None => {
                let mut node = Node::blank(&["dct:Location"]);
                node.text("skos:prefLabel", text, ZH);
                node
            }
        };
        if location.iri.is_some() || location.has("skos:prefLabel") {
            self.link(subject, "dct:spatial", location);
        }
    }
}

/// The whole export. Datasets withdrawn from their source are left out: the catalogue
/// keeps them, but they are no longer offered.
pub fn graph(info: &CatalogInfo, agencies: &[Agency], datasets: &[Dataset], base: &str) -> Graph {
    let mut ex = Export::new(info, agencies, base);
    let active: Vec<&Dataset> = datasets
        .iter()
        .filter(|d| matches!(d.status, DatasetStatus::Active))
        .collect();
    let plan = SeriesPlan::new(&active);

    let mut out = Graph::default();
    out.add(catalog(&mut ex, &active, &plan));
    for (index, dataset) in active.iter().enumerate() {
        let membership = plan.membership(&ex, index);
        let (node, distributions) = super::dataset::dataset(&mut ex, dataset, membership);
        out.add(node);
        for distribution in distributions {
            out.add(distribution);
        }
    }
    for s in &plan.series {
        out.add(series::series_node(&mut ex, s));
    }
    for node in ex.terms.into_nodes() {
        out.add(node);
    }
    out
}

fn catalog(ex: &mut Export, active: &[&Dataset], plan: &SeriesPlan) -> Node {
    let info = ex.info;
    let mut catalog = Node::named(ex.catalog_iri(), &["dcat:Catalog"]);
    catalog.texts("dct:title", &info.title);
    catalog.texts("dct:description", &info.description);
    ex.publisher(&mut catalog, "dct:publisher", &info.publisher);
    if let Some(homepage) = Iri::web(&info.homepage) {
        catalog.iri("foaf:homepage", homepage);
    }
    for code in ["ZHO", "ENG"] {
        let language = vocabulary::language_code(code);
        ex.link(&mut catalog, "dct:language", language);
    }
    ex.link(
        &mut catalog,
        "dcat:themeTaxonomy",
        themes::eu_theme_scheme(),
    );
    let categories = themes::category_scheme(&ex.base);
    ex.link(&mut catalog, "dcat:themeTaxonomy", categories);
    ex.licence(&mut catalog, None, info.licence_url.as_deref());
    if let Some(place) = &info.place {
        let node = ex.place_node(place);
        ex.link(&mut catalog, "dct:spatial", node);
    }
    if let Some(issued) = info.issued {
        dates::date_time(&mut catalog, "dct:issued", issued);
    }
    if let Some(modified) = active.iter().map(|d| d.updated_at).max() {
        dates::date_time(&mut catalog, "dct:modified", modified);
    }
    for dataset in active {
        catalog.iri("dcat:dataset", ex.dataset_iri(&dataset.record.identifier));
    }
    for s in &plan.series {
        catalog.iri("dcat:dataset", ex.series_iri(s.agency, &s.title));
    }
    catalog
}
