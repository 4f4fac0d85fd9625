//! One catalogue dataset as a `dcat:Dataset`: the 資料集詮釋資料 fields on their DCAT-AP 3
//! properties, with its distributions.

use super::dates;
use super::distribution::distribution;
use super::export::Export;
use super::graph::{EN, Iri, Node, Tag, ZH};
use super::series::{Membership, member_frequency};
use super::{agents, themes, vocabulary};
use crate::catalog::Dataset;

/// The dataset and its distributions (named nodes of their own, listed after it).
pub fn dataset(
    ex: &mut Export,
    dataset: &Dataset,
    membership: Option<Membership>,
) -> (Node, Vec<Node>) {
    let record = &dataset.record;
    let iri = ex.dataset_iri(&record.identifier);
    let mut node = Node::named(iri.clone(), &["dcat:Dataset"]);
    node.literal("dct:identifier", record.identifier.trim(), Tag::Plain);
    node.text("dct:title", &record.title_zh, ZH);
    if let Some(en) = &record.title_en {
        node.text("dct:title", en, EN);
    }
    // The shapes require a description; a record without one is described by its title
    // rather than left out of the export.
    let description = match record.description_zh.trim() {
        "" => &record.title_zh,
        text => text,
    };
    node.text("dct:description", description, ZH);
    if let Some(en) = &record.description_en {
        node.text("dct:description", en, EN);
    }
    ex.publisher(&mut node, "dct:publisher", &record.agency);

    let mut keywords: Vec<&str> = Vec::new();
    for keyword in record.keywords.iter().map(|k| k.trim()) {
        if !keyword.is_empty() && !keywords.contains(&keyword) {
            keywords.push(keyword);
        }
    }
    for keyword in keywords {
        node.text("dcat:keyword", keyword, ZH);
    }
    if let Some(category) = &record.category {
        for theme in themes::themes(&ex.base, category) {
            ex.link(&mut node, "dcat:theme", theme);
        }
    }

    let frequency = match &membership {
        Some(_) => member_frequency(),
        None => vocabulary::frequency(&record.frequency()),
    };
    ex.link(&mut node, "dct:accrualPeriodicity", frequency);
    if let Some(period) = temporal(
        record.temporal_from.as_deref(),
        record.temporal_to.as_deref(),
    ) {
        node.node("dct:temporal", period);
    }
    if let Some(spatial) = &record.spatial {
        ex.spatial(&mut node, spatial);
    }
    if let Some(page) = record.landing_page.as_deref().and_then(Iri::web) {
        node.iri("dcat:landingPage", page);
    }
    if let Some(issued) = record.issued {
        dates::date_time(&mut node, "dct:issued", issued);
    }
    if let Some(modified) = dataset.data_updated_at.or(record.source_modified) {
        dates::date_time(&mut node, "dct:modified", modified);
    }
    if let Some(language) = record.language.as_deref().and_then(vocabulary::language) {
        ex.link(&mut node, "dct:language", language);
    }
    let agency = ex.agency(&record.agency);
    if let Some(contact) = agents::contact_point(record, agency) {
        node.node("dcat:contactPoint", contact);
    }
    ex.link(
        &mut node,
        "dct:accessRights",
        vocabulary::access_rights(record.access_level),
    );
    let mut distributions = Vec::new();
    for (index, d) in record.distributions.iter().enumerate() {
        let distribution = distribution(ex, dataset, &iri, index, d);
        if let Some(iri) = &distribution.iri {
            node.iri("dcat:distribution", iri.clone());
        }
        distributions.push(distribution);
    }
    if let Some(membership) = membership {
        node.iri("dcat:inSeries", membership.series);
        if let Some(previous) = membership.previous {
            node.iri("dcat:prev", previous);
        }
    }
    (node, distributions)
}

/// `dct:temporal` (收錄期間) when at least one end is a readable date.
fn temporal(from: Option<&str>, to: Option<&str>) -> Option<Node> {
    let start = from.and_then(dates::calendar_date);
    let end = to.and_then(dates::calendar_date);
    if start.is_none() && end.is_none() {
        return None;
    }
    let mut period = Node::blank(&["dct:PeriodOfTime"]);
    if let Some((text, datatype)) = start {
        period.typed("dcat:startDate", text, datatype);
    }
    if let Some((text, datatype)) = end {
        period.typed("dcat:endDate", text, datatype);
    }
    Some(period)
}
