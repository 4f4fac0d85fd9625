//! Yearly runs (104年…, 105年…) as `dcat:DatasetSeries`, as the DCAT-AP 3 usage guide asks
//! when a publisher issues a new dataset each year: each member is complete once published
//! (frequency NEVER) and the series grows by one member a year (frequency ANNUAL).

use std::collections::BTreeMap;

use super::dates;
use super::export::Export;
use super::graph::{Iri, Node, ZH};
use super::{agents, vocabulary};
use crate::agencies::AgencyCode;
use crate::catalog::{Dataset, series_key};
use crate::freshness::{Period, UpdateFrequency};
use crate::text::Text;

pub struct Series<'a> {
    pub agency: &'a AgencyCode,
    pub title: String,
    /// Oldest first.
    pub members: Vec<&'a Dataset>,
    /// ROC years of the members that name one, oldest first.
    years: Vec<i32>,
}

/// Where a dataset sits in its series.
pub struct Membership {
    pub series: Iri,
    pub previous: Option<Iri>,
}

/// A member while grouping: the ROC year its title names, and its index among the datasets.
type Member = (Option<i32>, usize);

pub struct SeriesPlan<'a> {
    pub series: Vec<Series<'a>>,
    /// Index in the exported datasets → (series, position in it).
    members: BTreeMap<usize, (usize, usize)>,
}

impl<'a> SeriesPlan<'a> {
    /// Groups datasets by agency and series title: the steward's `series` when set, else the
    /// title without its ROC year.
    pub fn new(datasets: &[&'a Dataset]) -> Self {
        let mut groups: BTreeMap<(&AgencyCode, String), Vec<Member>> = BTreeMap::new();
        for (index, dataset) in datasets.iter().enumerate() {
            let from_title = series_key(&dataset.record.title_zh);
            let title = dataset
                .series
                .clone()
                .filter(|s| !s.trim().is_empty())
                .or_else(|| from_title.as_ref().map(|(title, _)| title.clone()));
            if let Some(title) = title {
                let year = from_title.map(|(_, year)| year);
                groups
                    .entry((&dataset.record.agency, title))
                    .or_default()
                    .push((year, index));
            }
        }
        let mut plan = SeriesPlan {
            series: Vec::new(),
            members: BTreeMap::new(),
        };
        for ((agency, title), mut members) in groups {
            members.sort_by(|a, b| {
                let key = |m: &Member| {
                    let id = datasets.get(m.1).map(|d| d.record.identifier.as_str());
                    (m.0, id)
                };
                key(a).cmp(&key(b))
            });
            let series_index = plan.series.len();
            for (position, (_, index)) in members.iter().enumerate() {
                plan.members.insert(*index, (series_index, position));
            }
            plan.series.push(Series {
                agency,
                title,
                years: members.iter().filter_map(|(year, _)| *year).collect(),
                members: members
                    .iter()
                    .filter_map(|(_, index)| datasets.get(*index).copied())
                    .collect(),
            });
        }
        plan
    }

    pub fn membership(&self, ex: &Export, index: usize) -> Option<Membership> {
        let (series_index, position) = self.members.get(&index)?;
        let series = self.series.get(*series_index)?;
        let previous = position
            .checked_sub(1)
            .and_then(|p| series.members.get(p))
            .map(|d| ex.dataset_iri(&d.record.identifier));
        Some(Membership {
            series: ex.series_iri(series.agency, &series.title),
            previous,
        })
    }
}

/// A member's own frequency: published once for its year.
pub fn member_frequency() -> Node {
    vocabulary::frequency(&UpdateFrequency::Never)
}

pub fn series_node(ex: &mut Export, series: &Series) -> Node {
    let mut node = Node::named(
        ex.series_iri(series.agency, &series.title),
        &["dcat:DatasetSeries"],
    );
    node.text("dct:title", &series.title, ZH);
    let description = describe(series);
    node.texts("dct:description", &description);
    ex.publisher(&mut node, "dct:publisher", series.agency);
    let annual = vocabulary::frequency(&UpdateFrequency::Regular(Period::YEARLY));
    ex.link(&mut node, "dct:accrualPeriodicity", annual);
    let modified = series
        .members
        .iter()
        .filter_map(|d| d.data_updated_at.or(d.record.source_modified))
        .max();
    if let Some(modified) = modified {
        dates::date_time(&mut node, "dct:modified", modified);
    }
    let contact = series
        .members
        .iter()
        .rev()
        .find_map(|d| agents::contact_point(&d.record, ex.agency(&d.record.agency)));
    if let Some(contact) = contact {
        node.node("dcat:contactPoint", contact);
    }
    if let Some(first) = series.members.first() {
        node.iri("dcat:first", ex.dataset_iri(&first.record.identifier));
    }
    if let Some(last) = series.members.last() {
        node.iri("dcat:last", ex.dataset_iri(&last.record.identifier));
    }
    node
}

/// The shapes require a description; the series has none of its own, so it says what it is.
fn describe(series: &Series) -> Text {
    let count = series.members.len();
    match (series.years.first(), series.years.last()) {
        (Some(first), Some(last)) if first != last => Text::new(
            format!(
                "「{}」逐年發布的資料集，共 {count} 個（民國{first}年至{last}年）。",
                series.title
            ),
            format!(
                "Datasets published year by year: {count} editions, {} to {}.",
                first + crate::time::ROC_YEAR_OFFSET,
                last + crate::time::ROC_YEAR_OFFSET
            ),
        ),
        (Some(year), _) => Text::new(
            format!(
                "「{}」逐年發布的資料集，目前收錄民國{year}年。",
                series.title
            ),
            format!(
                "Datasets published year by year; so far the edition for {}.",
                year + crate::time::ROC_YEAR_OFFSET
            ),
        ),
        _ => Text::new(
            format!("「{}」逐年發布的資料集，共 {count} 個。", series.title),
            format!("Datasets published year by year: {count} editions."),
        ),
    }
}
