//! DCAT catalogues in JSON-LD (DCAT-AP 3, ckanext-dcat, data.europa.eu): each `dcat:Dataset`
//! with its distributions, publisher, frequency and dates, read without a JSON-LD library.
//! Read: inline `@context` (prefixes, term definitions with `@id`, `@type: @id`, `@container:
//! @language`, `@vocab`; type-scoped contexts are merged into one), `@graph`, top-level arrays,
//! nodes referenced by `@id` anywhere in the document or embedded, `@value`/`@language`,
//! language maps, `@list`/`@set`, compact IRIs. Remote contexts are never fetched: any is read
//! as the DCAT-AP 3 examples' context. Not read: `@base` and relative IRIs, `@reverse`,
//! `@included`, `@nest`, `@index`/`@id` maps, `@json`, protected or propagating scoped contexts.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use super::ckan::{AgencyHint, ResolveAgency};
use super::taoyuan::taipei_time;
use super::{bad_field, none_if_empty};
use crate::catalog::model::{
    AccessLevel, DatasetKind, DatasetRecord, Distribution, DistributionKind,
};
use crate::catalog::plan::ParsedDataset;
use crate::import::decode_text;
use crate::text::Text;
use crate::time::Timestamp;

const DCAT: &str = "http://www.w3.org/ns/dcat#";
const DCT: &str = "http://purl.org/dc/terms/";
const FOAF: &str = "http://xmlns.com/foaf/0.1/";
const VCARD: &str = "http://www.w3.org/2006/vcard/ns#";
const SKOS: &str = "http://www.w3.org/2004/02/skos/core#";
const IANA_MEDIA: &str = "https://www.iana.org/assignments/media-types/";

/// Prefixes read even where a document forgets to declare them.
const PREFIXES: &[(&str, &str)] = &[
    ("dcat", DCAT),
    ("dct", DCT),
    ("dcterms", DCT),
    ("foaf", FOAF),
    ("vcard", VCARD),
    ("skos", SKOS),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
    ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
    ("adms", "http://www.w3.org/ns/adms#"),
    ("schema", "http://schema.org/"),
    ("cnt", "http://www.w3.org/2011/content#"),
];

/// SEMICeu/DCAT-AP `releases/3.0.0/html/examples/context.jsonld`, type-scoped terms merged:
/// (term, IRI, value is an IRI, value is a language map). Checked against the published file.
#[rustfmt::skip]
const EXAMPLES_CONTEXT: &[(&str, &str, bool, bool)] = &[
    ("nal-frequency", "http://publications.europa.eu/resource/authority/frequency/", false, false),
    ("example", "https://data.gov.gr/", false, false),
    ("example-ds", "https://data.gov.gr/id/dataset/", false, false),
    ("example-cat", "https://data.gov.gr/id/catalog/", false, false),
    ("example-ser", "https://data.gov.gr/id/datasetseries/", false, false),
    ("example-ag", "https://agencies.gov.gr/id/", false, false),
    ("Dataset", "http://www.w3.org/ns/dcat#Dataset", false, false),
    ("DatasetMemberOfADatasetSeries", "http://www.w3.org/ns/dcat#Dataset", false, false),
    ("DatasetSeries", "http://www.w3.org/ns/dcat#DatasetSeries", false, false),
    ("DataService", "http://www.w3.org/ns/dcat#DataService", false, false),
    ("Distribution", "http://www.w3.org/ns/dcat#Distribution", false, false),
    ("title", "http://purl.org/dc/terms/title", false, true),
    ("description", "http://purl.org/dc/terms/description", false, true),
    ("publisher", "http://purl.org/dc/terms/publisher", true, false),
    ("releaseDate", "http://purl.org/dc/terms/issued", false, false),
    ("modificationDate", "http://purl.org/dc/terms/modified", false, false),
    ("frequency", "http://purl.org/dc/terms/accrualPeriodicity", true, false),
    ("geographicalCoverage", "http://purl.org/dc/terms/spatial", true, false),
    ("temporalCoverage", "http://purl.org/dc/terms/temporal", true, false),
    ("datasetDistribution", "http://www.w3.org/ns/dcat#distribution", true, false),
    ("inSeries", "http://www.w3.org/ns/dcat#inSeries", true, false),
    ("next", "http://www.w3.org/ns/dcat#next", true, false),
    ("previous", "http://www.w3.org/ns/dcat#prev", true, false),
    ("first", "http://www.w3.org/ns/dcat#first", true, false),
    ("last", "http://www.w3.org/ns/dcat#last", true, false),
    ("seriesMember", "http://www.w3.org/ns/dcat#seriesMember", true, false),
    ("contactPoint", "http://www.w3.org/ns/dcat#contactPoint", true, false),
    ("accessRights", "http://purl.org/dc/terms/accessRights", true, false),
    ("endpointDescription", "http://www.w3.org/ns/dcat#endpointDescription", true, false),
    ("endpointUrl", "http://www.w3.org/ns/dcat#endpointURL", true, false),
    ("format", "http://purl.org/dc/terms/format", true, false),
    ("licence", "http://purl.org/dc/terms/license", true, false),
    ("servesDataset", "http://www.w3.org/ns/dcat#servesDataset", true, false),
];

#[derive(Debug, Clone, PartialEq)]
struct Term {
    iri: String,
    id_valued: bool,
    lang_map: bool,
}

#[derive(Debug, Clone, Default)]
struct Context {
    terms: HashMap<String, Term>,
    vocab: Option<String>,
}

impl Context {
    fn define(&mut self, name: &str, iri: String, id_valued: bool, lang_map: bool) {
        self.terms.insert(
            name.to_string(),
            Term {
                iri,
                id_valued,
                lang_map,
            },
        );
    }

    /// This context with `value` (a remote IRI, an object or a list of them) applied.
    fn extend(&self, value: &Value) -> Context {
        let mut ctx = self.clone();
        match value {
            Value::String(_) => {
                for (name, iri, id_valued, lang_map) in EXAMPLES_CONTEXT {
                    ctx.define(name, (*iri).to_string(), *id_valued, *lang_map);
                }
            }
            Value::Array(items) => ctx = items.iter().fold(ctx, |c, item| c.extend(item)),
            Value::Object(map) => {
                // Prefixes first, so that term definitions may use them in any order.
                let (prefixes, terms): (Vec<_>, Vec<_>) =
                    map.iter().partition(|(_, v)| v.is_string());
                for (name, definition) in prefixes.into_iter().chain(terms) {
                    match (name.as_str(), definition) {
                        ("@vocab", Value::String(v)) => ctx.vocab = Some(ctx.iri(v)),
                        (n, _) if n.starts_with('@') => {}
                        (n, Value::String(iri)) => ctx.define(n, ctx.iri(iri), false, false),
                        (n, Value::Object(def)) => {
                            if let Some(scoped) = def.get("@context") {
                                ctx = ctx.extend(scoped);
                            }
                            let iri = def
                                .get("@id")
                                .and_then(Value::as_str)
                                .map_or_else(|| ctx.iri(n), |i| ctx.iri(i));
                            let coerced = matches!(
                                def.get("@type").and_then(Value::as_str),
                                Some("@id" | "@vocab")
                            );
                            let container = def
                                .get("@container")
                                .map(Value::to_string)
                                .unwrap_or_default();
                            ctx.define(n, iri, coerced, container.contains("@language"));
                        }
                        (n, _) => {
                            ctx.terms.remove(n);
                        }
                    }
                }
            }
            _ => {}
        }
        ctx
    }

    /// A key as a property IRI; `None` for a term nothing defines (its value is ignored).
    fn property(&self, key: &str) -> Option<String> {
        if let Some(term) = self.terms.get(key) {
            return Some(term.iri.clone());
        }
        if key.contains(':') {
            return Some(self.iri(key));
        }
        self.vocab.as_ref().map(|v| format!("{v}{key}"))
    }

    /// A term, compact IRI or absolute IRI as a full IRI; anything else as written.
    fn iri(&self, text: &str) -> String {
        if let Some(term) = self.terms.get(text) {
            return term.iri.clone();
        }
        match text.split_once(':') {
            Some((_, rest)) if rest.starts_with("//") => text.to_string(),
            Some((prefix, rest)) => match self.terms.get(prefix) {
                Some(term) => format!("{}{rest}", term.iri),
                None => PREFIXES
                    .iter()
                    .find(|(p, _)| *p == prefix)
                    .map_or_else(|| text.to_string(), |(_, base)| format!("{base}{rest}")),
            },
            None => text.to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Object {
    Node(String),
    Literal { value: String, lang: Option<String> },
}

#[derive(Debug, Default)]
struct Node {
    types: Vec<String>,
    props: BTreeMap<String, Vec<Object>>,
}

/// Every node of the document by id, merged when described in several places.
#[derive(Debug, Default)]
struct Graph {
    order: Vec<String>,
    nodes: HashMap<String, Node>,
    blanks: u32,
}

impl Graph {
    fn top(&mut self, map: &Map<String, Value>, ctx: &Context) {
        let local;
        let ctx = match map.get("@context") {
            Some(c) => {
                local = ctx.extend(c);
                &local
            }
            None => ctx,
        };
        let graph = match map.get("@graph") {
            Some(Value::Array(items)) => items.as_slice(),
            Some(one) => std::slice::from_ref(one),
            None => &[],
        };
        for node in graph.iter().filter_map(Value::as_object) {
            self.top(node, ctx);
        }
        if !map.contains_key("@graph") || map.keys().any(|k| !k.starts_with('@')) {
            self.node(map, ctx);
        }
    }

    fn node(&mut self, map: &Map<String, Value>, ctx: &Context) -> String {
        let local;
        let ctx = match map.get("@context") {
            Some(c) => {
                local = ctx.extend(c);
                &local
            }
            None => ctx,
        };
        let id = match map.get("@id").and_then(Value::as_str) {
            Some(id) => ctx.iri(id),
            None => {
                self.blanks += 1;
                format!("_:b{}", self.blanks)
            }
        };
        let mut found = Node::default();
        for t in strings(map.get("@type")) {
            found.types.push(ctx.iri(t));
        }
        for (key, value) in map.iter().filter(|(k, _)| !k.starts_with('@')) {
            let Some(property) = ctx.property(key) else {
                continue;
            };
            let mut objects = Vec::new();
            self.values(value, ctx.terms.get(key), ctx, &mut objects);
            found.props.entry(property).or_default().extend(objects);
        }
        if !self.nodes.contains_key(&id) {
            self.order.push(id.clone());
        }
        let held = self.nodes.entry(id.clone()).or_default();
        held.types.extend(found.types);
        for (property, objects) in found.props {
            held.props.entry(property).or_default().extend(objects);
        }
        id
    }

    fn values(&mut self, value: &Value, term: Option<&Term>, ctx: &Context, out: &mut Vec<Object>) {
        let literal = |value: String, lang: Option<String>| Object::Literal { value, lang };
        match value {
            Value::Null => {}
            Value::Array(items) => items
                .iter()
                .for_each(|item| self.values(item, term, ctx, out)),
            Value::String(s) if term.is_some_and(|t| t.id_valued) => {
                out.push(Object::Node(ctx.iri(s)))
            }
            Value::String(s) => out.push(literal(s.clone(), None)),
            Value::Bool(_) | Value::Number(_) => out.push(literal(value.to_string(), None)),
            Value::Object(map) => {
                if let Some(v) = map.get("@value") {
                    let text = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                    out.push(literal(
                        text,
                        strings(map.get("@language")).first().map(|l| l.to_string()),
                    ));
                } else if let Some(items) = map.get("@list").or_else(|| map.get("@set")) {
                    self.values(items, term, ctx, out);
                } else if term.is_some_and(|t| t.lang_map) {
                    for (lang, texts) in map {
                        for text in strings(Some(texts)) {
                            out.push(literal(text.to_string(), Some(lang.clone())));
                        }
                    }
                } else if let (1, Some(id)) = (map.len(), map.get("@id").and_then(Value::as_str)) {
                    out.push(Object::Node(ctx.iri(id)));
                } else {
                    out.push(Object::Node(self.node(map, ctx)));
                }
            }
        }
    }

    /// The node as JSON-LD with full IRIs, for the import report.
    fn raw(&self, id: &str) -> String {
        let mut out = Map::new();
        out.insert("@id".into(), id.into());
        let types = self
            .nodes
            .get(id)
            .map(|n| n.types.clone())
            .unwrap_or_default();
        out.insert("@type".into(), types.into());
        for (property, objects) in self.nodes.get(id).map(|n| &n.props).into_iter().flatten() {
            let values: Vec<Value> = objects
                .iter()
                .map(|o| match o {
                    Object::Node(n) => serde_json::json!({ "@id": n }),
                    Object::Literal {
                        value,
                        lang: Some(l),
                    } => serde_json::json!({ "@value": value, "@language": l }),
                    Object::Literal { value, lang: None } => Value::from(value.as_str()),
                })
                .collect();
            out.insert(property.clone(), values.into());
        }
        Value::Object(out).to_string()
    }

    fn objects(&self, id: &str, property: &str) -> &[Object] {
        self.nodes
            .get(id)
            .and_then(|n| n.props.get(property))
            .map_or(&[], Vec::as_slice)
    }

    fn typed(&self, class: &str) -> impl Iterator<Item = &String> {
        self.order.iter().filter(move |id| {
            self.nodes
                .get(*id)
                .is_some_and(|n| n.types.iter().any(|t| t == class))
        })
    }

    /// (preferred, English): Chinese first, then English, then untagged, then any.
    fn text(&self, id: &str, property: &str) -> (Option<String>, Option<String>) {
        let mut by_lang: Vec<(u8, &str, bool)> = Vec::new();
        for object in self.objects(id, property) {
            if let Object::Literal { value, lang } = object {
                let lang = lang.as_deref().unwrap_or("").to_ascii_lowercase();
                let rank = match lang.as_str() {
                    l if l.starts_with("zh") => 0,
                    l if l.starts_with("en") => 1,
                    "" => 2,
                    _ => 3,
                };
                by_lang.push((rank, value.trim(), rank == 1));
            }
        }
        by_lang.sort_by_key(|(rank, _, _)| *rank);
        let preferred = by_lang.first().and_then(|(_, v, _)| none_if_empty(v));
        let english = by_lang
            .iter()
            .find(|(_, _, en)| *en)
            .and_then(|(_, v, _)| none_if_empty(v));
        (
            preferred.clone(),
            english.filter(|e| Some(e) != preferred.as_ref()),
        )
    }

    /// A value for people: a literal, a node's label, else its IRI, or with `code` the IRI's
    /// last segment (`…/file-type/CSV` → `CSV`).
    fn label(&self, object: &Object, code: bool) -> Option<String> {
        match object {
            Object::Literal { value, .. } => none_if_empty(value),
            Object::Node(id) => [
                format!("{SKOS}prefLabel"),
                format!("{FOAF}name"),
                format!("{DCT}title"),
                format!("{VCARD}fn"),
            ]
            .iter()
            .find_map(|p| self.text(id, p).0)
            .or_else(|| match id.starts_with("_:") {
                true => None,
                false if code => Some(last_segment(id)),
                false => Some(id.clone()),
            }),
        }
    }

    /// The first value as an IRI (or a literal, when the source wrote one).
    fn link(&self, id: &str, property: &str) -> Option<String> {
        self.objects(id, property).iter().find_map(|o| match o {
            Object::Node(iri) if !iri.starts_with("_:") => Some(iri.clone()),
            Object::Literal { value, .. } => none_if_empty(value),
            Object::Node(_) => None,
        })
    }

    /// The values that are nodes, named or blank.
    fn nodes(&self, id: &str, property: &str) -> impl Iterator<Item = &str> {
        self.objects(id, property).iter().filter_map(|o| match o {
            Object::Node(n) => Some(n.as_str()),
            Object::Literal { .. } => None,
        })
    }

    fn time(&self, id: &str, property: &str) -> Result<Option<Timestamp>, Text> {
        match self.text(id, property).0 {
            None => Ok(None),
            Some(t) => dcat_time(&t)
                .map(Some)
                .ok_or_else(|| bad_field(&short(property), &t)),
        }
    }
}

fn strings(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// `…/frequency/ANNUAL` → `ANNUAL`, `mailto:a@b` → `a@b`.
fn last_segment(iri: &str) -> String {
    let tail = iri.rsplit(['/', '#']).next().unwrap_or(iri);
    tail.strip_prefix("mailto:")
        .or_else(|| tail.strip_prefix("tel:"))
        .unwrap_or(tail)
        .to_string()
}

/// `http://purl.org/dc/terms/issued` → `dct:issued`, for messages.
fn short(property: &str) -> String {
    PREFIXES
        .iter()
        .find_map(|(p, base)| {
            property
                .strip_prefix(base)
                .map(|rest| format!("{p}:{rest}"))
        })
        .unwrap_or_else(|| property.to_string())
}

/// xsd:dateTime with a zone; a dateTime, date or year without one is read in Taipei time
/// (fractions of a second and a date's zone are dropped).
fn dcat_time(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    let naive = |len: usize| text.get(..len).map(|t| t.replacen('T', " ", 1));
    Timestamp::parse_rfc3339(text)
        .or_else(|| naive(19).and_then(|t| taipei_time(&t)))
        .or_else(|| naive(10).and_then(|t| taipei_time(&t)))
        .or_else(|| {
            naive(4)
                .filter(|_| text.len() == 4)
                .and_then(|y| taipei_time(&format!("{y}-01-01")))
        })
}

fn p(base: &str, name: &str) -> String {
    format!("{base}{name}")
}

fn distribution(g: &Graph, id: &str) -> Result<Distribution, Text> {
    let format = g
        .objects(id, &p(DCT, "format"))
        .first()
        .and_then(|f| g.label(f, true))
        .map(|f| f.to_uppercase());
    let media_type = g.link(id, &p(DCAT, "mediaType")).map(|m| {
        let m = m.replace("http://www.iana.org/", "https://www.iana.org/");
        m.strip_prefix(IANA_MEDIA).map_or(m.clone(), str::to_string)
    });
    let api = !g.objects(id, &p(DCAT, "accessService")).is_empty();
    Ok(Distribution {
        title: g.text(id, &p(DCT, "title")).0,
        kind: if api {
            DistributionKind::Api
        } else {
            DistributionKind::Download
        },
        format,
        encoding: g.link(id, "http://www.w3.org/2011/content#characterEncoding"),
        access_url: g.link(id, &p(DCAT, "accessURL")),
        download_url: g.link(id, &p(DCAT, "downloadURL")),
        media_type,
        byte_size: g
            .text(id, &p(DCAT, "byteSize"))
            .0
            .and_then(|s| s.parse().ok()),
        checksum_sha256: None,
        modified: g.time(id, &p(DCT, "modified"))?,
    })
}

fn record(
    g: &Graph,
    id: &str,
    publisher: Option<&Object>,
    resolve: ResolveAgency<'_>,
) -> Result<DatasetRecord, Text> {
    let (Some(title), title_en) = g.text(id, &p(DCT, "title")) else {
        return Err(Text::new(
            "缺少資料集名稱（dct:title）",
            "the dataset has no title (dct:title)",
        ));
    };
    let identifier = g
        .text(id, &p(DCT, "identifier"))
        .0
        .or_else(|| (!id.starts_with("_:")).then(|| id.to_string()));
    let identifier = identifier.ok_or_else(|| {
        Text::new(
            "缺少資料集識別碼（dct:identifier 或 IRI）",
            "the dataset has no identifier (dct:identifier or an IRI)",
        )
    })?;
    let hint = match g.objects(id, &p(DCT, "publisher")).first().or(publisher) {
        Some(Object::Node(agent)) => AgencyHint {
            code: g
                .text(agent, &p(DCT, "identifier"))
                .0
                .or_else(|| g.text(agent, &p(SKOS, "notation")).0),
            name: g
                .text(agent, &p(FOAF, "name"))
                .0
                .or_else(|| g.text(agent, &p(SKOS, "prefLabel")).0),
            id: (!agent.starts_with("_:")).then(|| agent.clone()),
        },
        Some(Object::Literal { value, .. }) => AgencyHint {
            name: none_if_empty(value),
            ..AgencyHint::default()
        },
        None => AgencyHint::default(),
    };
    let agency = hint.resolve(resolve)?;
    let labels = |property: &str, code: bool| {
        g.objects(id, &p(DCT, property))
            .iter()
            .filter_map(|o| g.label(o, code))
            .collect::<Vec<_>>()
    };
    let joined = |items: Vec<String>| Some(items.join(", ")).filter(|s| !s.is_empty());
    let distributions = g
        .nodes(id, &p(DCAT, "distribution"))
        .map(|d| distribution(g, d))
        .collect::<Result<Vec<_>, _>>()?;
    // DCAT-AP puts the licence on distributions; take the dataset's, else the first one's.
    let license_iri = std::iter::once(id)
        .chain(g.nodes(id, &p(DCAT, "distribution")))
        .find_map(|node| g.link(node, &p(DCT, "license")));
    let contact = g.nodes(id, &p(DCAT, "contactPoint")).next();
    let contact_link = |property: &str| {
        contact
            .and_then(|c| g.link(c, &p(VCARD, property)))
            .map(|v| last_segment(&v))
    };
    let temporal = g.nodes(id, &p(DCT, "temporal")).next();
    let period = |property: &str| {
        temporal.and_then(|t| {
            g.text(t, &p(DCAT, property))
                .0
                .or_else(|| g.text(t, &p("http://schema.org/", property)).0)
        })
    };
    let access = g
        .link(id, &p(DCT, "accessRights"))
        .map(|a| last_segment(&a));
    let series = g.nodes(id, &p(DCAT, "inSeries")).next().map(|s| {
        let name = g
            .text(s, &p(DCT, "title"))
            .0
            .unwrap_or_else(|| s.to_string());
        match g.link(s, &p(DCT, "accrualPeriodicity")) {
            Some(f) => format!("資料集系列：{name}（系列更新頻率 {}）", last_segment(&f)),
            None => format!("資料集系列：{name}"),
        }
    });
    let modified = g.time(id, &p(DCT, "modified"))?;
    Ok(DatasetRecord {
        identifier,
        title_zh: title,
        title_en,
        description_zh: g.text(id, &p(DCT, "description")).0.unwrap_or_default(),
        description_en: g.text(id, &p(DCT, "description")).1,
        agency,
        category: g
            .objects(id, &p(DCAT, "theme"))
            .first()
            .and_then(|t| g.label(t, true)),
        category_code: None,
        keywords: {
            let mut k: Vec<String> = Vec::new();
            for word in g
                .objects(id, &p(DCAT, "keyword"))
                .iter()
                .filter_map(|o| g.label(o, false))
            {
                if !k.contains(&word) {
                    k.push(word);
                }
            }
            k
        },
        kind: DatasetKind::RawData,
        frequency: g
            .objects(id, &p(DCT, "accrualPeriodicity"))
            .first()
            .map(|f| match f {
                Object::Node(iri) => last_segment(iri),
                Object::Literal { value, .. } => value.trim().to_string(),
            })
            .unwrap_or_default(),
        license: license_iri.clone(),
        license_url: license_iri.filter(|l| l.contains("://")),
        cost: None,
        cost_url: None,
        cost_law: None,
        access_level: match access.as_deref() {
            // The EU access-right table: PUBLIC, RESTRICTED, NON_PUBLIC, SENSITIVE.
            Some("RESTRICTED" | "NON_PUBLIC" | "SENSITIVE") => AccessLevel::Restricted,
            _ => AccessLevel::Open,
        },
        contact_name: contact.and_then(|c| g.text(c, &p(VCARD, "fn")).0),
        contact_email: contact_link("hasEmail"),
        contact_phone: contact_link("hasTelephone"),
        temporal_from: period("startDate"),
        temporal_to: period("endDate"),
        spatial: joined(labels("spatial", false)),
        language: joined(labels("language", true)),
        landing_page: g.link(id, &p(DCAT, "landingPage")),
        record_count: None,
        notes: series,
        fields: Vec::new(),
        issued: g.time(id, &p(DCT, "issued"))?,
        // A distribution's own modified date is the better evidence of new data.
        source_modified: distributions
            .iter()
            .filter_map(|d| d.modified)
            .max()
            .or(modified),
        distributions,
    })
}

/// A JSON-LD document (compacted or expanded) describing a catalogue or datasets. Each
/// `dcat:Dataset` becomes one entry, numbered in document order; series and services do not.
pub fn parse(bytes: &[u8], resolve: ResolveAgency<'_>) -> Result<Vec<ParsedDataset>, Text> {
    let (text, _) = decode_text(bytes)?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| {
        Text::new(
            format!("不是有效的 JSON-LD：{e}"),
            format!("not valid JSON-LD: {e}"),
        )
    })?;
    let mut g = Graph::default();
    let items = doc
        .as_array()
        .map_or_else(|| vec![&doc], |a| a.iter().collect());
    for item in items.into_iter().filter_map(Value::as_object) {
        g.top(item, &Context::default());
    }
    // A dataset without a publisher has its catalogue's (DCAT-AP: the catalogue's is mandatory).
    let mut publisher_of: HashMap<&str, &Object> = HashMap::new();
    let catalogues: Vec<&String> = g.typed(&p(DCAT, "Catalog")).collect();
    for catalogue in &catalogues {
        if let Some(agent) = g.objects(catalogue, &p(DCT, "publisher")).first() {
            for dataset in g.objects(catalogue, &p(DCAT, "dataset")) {
                if let Object::Node(d) = dataset {
                    publisher_of.insert(d.as_str(), agent);
                }
            }
        }
    }
    let only_catalogue = match catalogues.as_slice() {
        [one] => g.objects(one, &p(DCT, "publisher")).first(),
        _ => None,
    };
    let rows: Vec<ParsedDataset> = (1u64..)
        .zip(g.typed(&p(DCAT, "Dataset")))
        .map(|(line, id)| ParsedDataset {
            line,
            raw: g.raw(id),
            result: record(
                &g,
                id,
                publisher_of.get(id.as_str()).copied().or(only_catalogue),
                resolve,
            ),
        })
        .collect();
    if rows.is_empty() {
        // Never an empty listing: taken as complete, it would withdraw every dataset held.
        return Err(Text::new(
            "文件中找不到任何 dcat:Dataset（若使用外部 @context，請確認其詞彙）",
            "the document describes no dcat:Dataset (if it uses a remote @context, check its terms)",
        ));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agencies::AgencyCode;
    use crate::freshness::{Period, UpdateFrequency};

    fn example(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/../../fixtures/dcat-examples/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    const GREEK_AGENCY: &str = "https://agencies.gov.gr/id/GreekEnvironmentAgency";

    /// The harvest of data.gov.gr is set up for the Greek environment agency: datasets naming
    /// no publisher are taken as its own.
    fn greek(hint: &AgencyHint) -> Option<AgencyCode> {
        let own = hint.id.as_deref() == Some(GREEK_AGENCY) || *hint == AgencyHint::default();
        own.then(|| AgencyCode::parse("GR-ENV").unwrap())
    }

    #[test]
    fn the_official_bee_population_example_becomes_one_dataset() {
        let rows = parse(&example("example-bee-population.jsonld"), &greek).unwrap();
        assert_eq!(rows.len(), 1);
        let bees = rows[0].result.as_ref().unwrap();
        assert_eq!(
            bees.identifier,
            "https://data.gov.gr/id/dataset/BeePopulation"
        );
        assert_eq!(bees.title_zh, "Bee population", "English is what there is");
        assert_eq!(
            bees.title_en, None,
            "not repeated when it is the only title"
        );
        assert_eq!(
            bees.description_zh,
            "A dataset about bee population in Greece"
        );
        assert_eq!(bees.agency.as_str(), "GR-ENV");
        assert_eq!(bees.frequency, "");

        let nobody = |_: &AgencyHint| None;
        let rows = parse(&example("example-bee-population.jsonld"), &nobody).unwrap();
        assert!(
            rows[0]
                .result
                .as_ref()
                .unwrap_err()
                .zh
                .contains(&format!("提供機關「{GREEK_AGENCY}」不在機關清單中"))
        );
    }

    #[test]
    fn yearly_datasets_of_a_series_keep_never_and_name_their_annual_series() {
        // The series-frequency example alone has no titles: both datasets are refused, each saying so.
        let rows = parse(
            &example("example-bee-population-dataset-series-frequency.jsonld"),
            &greek,
        )
        .unwrap();
        assert_eq!(rows.len(), 2, "the series itself is not a dataset");
        assert!(
            rows.iter().all(
                |r| r.result.as_ref().unwrap_err().en == "the dataset has no title (dct:title)"
            )
        );

        // Read with the GEA/NHA example, which describes the same datasets, in one graph.
        let graph =
            |name: &str| serde_json::from_slice::<Value>(&example(name)).unwrap()["@graph"].clone();
        let mut both = graph("example-bee-population-dataset-series-frequency.jsonld")
            .as_array()
            .unwrap()
            .clone();
        both.extend(
            graph("example-bee-population-dataset-series-gea-nha.jsonld")
                .as_array()
                .unwrap()
                .clone(),
        );
        let doc = serde_json::json!({ "@context": "https://semiceu.github.io/uri.semic.eu-generated/DCAT-AP/releases/3.0.0/html/examples/context.jsonld", "@graph": both });
        let rows = parse(doc.to_string().as_bytes(), &greek).unwrap();
        let ok: Vec<&DatasetRecord> = rows.iter().map(|r| r.result.as_ref().unwrap()).collect();
        let names: Vec<&str> = ok
            .iter()
            .map(|d| d.identifier.rsplit('/').next().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "BeePopulation2022",
                "BeePopulation2023",
                "BeePopulation2000"
            ]
        );
        let y2023 = ok[1];
        assert_eq!(
            y2023.title_zh,
            "Bee population 2023 in the region of Thessaloniki and Athens"
        );
        assert_eq!(y2023.frequency, "NEVER");
        assert_eq!(y2023.frequency(), UpdateFrequency::Never);
        assert_eq!(
            y2023.notes.as_deref(),
            Some("資料集系列：Bee population（系列更新頻率 ANNUAL）")
        );
        assert_eq!(
            UpdateFrequency::parse("ANNUAL"),
            UpdateFrequency::Regular(Period::YEARLY)
        );
        assert_eq!(
            y2023.spatial.as_deref(),
            Some("https://sws.geonames.org/734077, https://sws.geonames.org/264371")
        );
        assert_eq!(y2023.issued.unwrap().to_rfc3339(), "2023-03-20T16:00:00Z");
        assert_eq!(ok[2].frequency, "", "2000 declares none");
    }

    #[test]
    fn the_built_in_context_is_the_published_dcat_ap_3_examples_context() {
        let published: Value = serde_json::from_slice(&example("context.jsonld")).unwrap();
        let read = Context::default().extend(&published["@context"]);
        let built_in =
            Context::default().extend(&Value::from("https://remote.example/context.jsonld"));
        let mut names: Vec<&String> = read.terms.keys().collect();
        names.sort();
        assert_eq!(names.len(), 36, "9 prefixes, 5 classes, 22 properties");
        for name in names {
            if !["dcat", "dcterms", "rdf"].contains(&name.as_str()) {
                assert_eq!(built_in.terms.get(name), read.terms.get(name), "{name}");
            }
        }
    }

    /// HAND-MADE in the style of ckanext-dcat output: an inline context of prefixes, a
    /// catalogue whose publisher its dataset inherits, language-tagged values, nodes linked by
    /// @id and one embedded. Values are Taoyuan's dengue dataset from the 2018 supply list.
    const HAND_MADE_CATALOGUE: &str = r#"{
      "@context": {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
                   "foaf": "http://xmlns.com/foaf/0.1/", "vcard": "http://www.w3.org/2006/vcard/ns#",
                   "freq": "http://publications.europa.eu/resource/authority/frequency/"},
      "@graph": [
        {"@id": "https://data.tycg.gov.tw/catalog", "@type": "dcat:Catalog",
         "dct:publisher": {"@id": "https://data.tycg.gov.tw/org/380140000I"},
         "dcat:dataset": [{"@id": "https://data.tycg.gov.tw/dataset/dengue"}]},
        {"@id": "https://data.tycg.gov.tw/org/380140000I", "@type": "foaf:Agent",
         "foaf:name": [{"@value": "桃園市政府衛生局", "@language": "zh-Hant"}, {"@value": "Department of Public Health", "@language": "en"}],
         "dct:identifier": "380140000I"},
        {"@id": "https://data.tycg.gov.tw/dataset/dengue", "@type": "dcat:Dataset",
         "dct:identifier": "d7d1a4b6-dengue",
         "dct:title": [{"@value": "Dengue cases in Taoyuan", "@language": "en"}, {"@value": "桃園市登革熱確診個案分布", "@language": "zh-TW"}],
         "dct:description": {"@value": "桃園市登革熱確診個案分布統計", "@language": "zh-TW"},
         "dcat:keyword": ["個案", "登革熱", "個案"],
         "dct:accrualPeriodicity": {"@id": "freq:MONTHLY"},
         "dct:issued": {"@value": "2016-01-01", "@type": "http://www.w3.org/2001/XMLSchema#date"},
         "dct:modified": "2018-03-20T02:31:00+08:00",
         "dcat:contactPoint": {"@type": "vcard:Organization", "vcard:fn": "疾病管制科", "vcard:hasEmail": {"@id": "mailto:dengue@example.tycg.gov.tw"}},
         "dct:temporal": {"dcat:startDate": "2016-01-01"},
         "dcat:distribution": [{"@id": "https://data.tycg.gov.tw/dataset/dengue/csv"}]},
        {"@id": "https://data.tycg.gov.tw/dataset/dengue/csv", "@type": "dcat:Distribution",
         "dct:format": {"@id": "http://publications.europa.eu/resource/authority/file-type/CSV"},
         "dcat:mediaType": {"@id": "https://www.iana.org/assignments/media-types/text/csv"},
         "dcat:downloadURL": {"@id": "https://data.tycg.gov.tw/dataset/dengue/dengue.csv"},
         "dct:license": {"@id": "https://data.gov.tw/license"},
         "dct:modified": "2018-03-02T10:40:48+08:00", "dcat:byteSize": "2048"}
      ]}"#;

    #[test]
    fn a_city_catalogue_in_json_ld_gives_a_full_dataset_record() {
        let taoyuan = |hint: &AgencyHint| {
            assert_eq!(
                hint.name.as_deref(),
                Some("桃園市政府衛生局"),
                "Chinese name preferred"
            );
            hint.code.as_deref().and_then(|c| AgencyCode::parse(c).ok())
        };
        let rows = parse(HAND_MADE_CATALOGUE.as_bytes(), &taoyuan).unwrap();
        assert_eq!(rows.len(), 1);
        let dengue = rows[0].result.as_ref().unwrap();
        assert_eq!(dengue.identifier, "d7d1a4b6-dengue");
        assert_eq!(
            dengue.agency.as_str(),
            "380140000I",
            "inherited from the catalogue"
        );
        assert_eq!(dengue.title_zh, "桃園市登革熱確診個案分布");
        assert_eq!(dengue.title_en.as_deref(), Some("Dengue cases in Taoyuan"));
        assert_eq!(dengue.keywords, ["個案", "登革熱"]);
        assert_eq!(dengue.frequency, "MONTHLY");
        assert_eq!(
            dengue.frequency(),
            UpdateFrequency::Regular(Period::MONTHLY)
        );
        assert_eq!(dengue.contact_name.as_deref(), Some("疾病管制科"));
        assert_eq!(
            dengue.contact_email.as_deref(),
            Some("dengue@example.tycg.gov.tw")
        );
        assert_eq!(dengue.temporal_from.as_deref(), Some("2016-01-01"));
        assert_eq!(
            dengue.license_url.as_deref(),
            Some("https://data.gov.tw/license")
        );
        let csv = &dengue.distributions[0];
        assert_eq!(
            (csv.format.as_deref(), csv.media_type.as_deref()),
            (Some("CSV"), Some("text/csv"))
        );
        assert_eq!(
            csv.download_url.as_deref(),
            Some("https://data.tycg.gov.tw/dataset/dengue/dengue.csv")
        );
        assert_eq!(csv.byte_size, Some(2048));
        // The distribution's date (2 March), not the dataset's (20 March, which ckanext-dcat
        // fills from metadata_modified when it knows nothing better), is the data's update.
        assert_eq!(
            dengue.source_modified.unwrap().to_rfc3339(),
            "2018-03-02T02:40:48Z"
        );
        assert_eq!(dengue.issued.unwrap().to_rfc3339(), "2015-12-31T16:00:00Z");
        assert!(rows[0].raw.contains("桃園市登革熱確診個案分布"));
    }

    #[test]
    fn expanded_json_ld_reads_the_same_as_compacted() {
        // HAND-MADE: example-bee-population.ttl plus its dataset-frequency example, written
        // out as expanded JSON-LD (full IRIs, every value in an array).
        let expanded = r#"[{"@id": "https://data.gov.gr/id/dataset/BeePopulation",
            "@type": ["http://www.w3.org/ns/dcat#Dataset"],
            "http://purl.org/dc/terms/title": [{"@value": "Bee population", "@language": "en"}],
            "http://purl.org/dc/terms/description": [{"@value": "A dataset about bee population in Greece", "@language": "en"}],
            "http://purl.org/dc/terms/publisher": [{"@id": "https://agencies.gov.gr/id/GreekEnvironmentAgency"}],
            "http://purl.org/dc/terms/accrualPeriodicity": [{"@id": "http://publications.europa.eu/resource/authority/frequency/ANNUAL"}]}]"#;
        let rows = parse(expanded.as_bytes(), &greek).unwrap();
        let compacted = parse(&example("example-bee-population.jsonld"), &greek).unwrap();
        let mut bees = rows[0].result.clone().unwrap();
        assert_eq!(bees.frequency, "ANNUAL");
        bees.frequency.clear();
        assert_eq!(&bees, compacted[0].result.as_ref().unwrap());
    }

    #[test]
    fn a_document_without_datasets_is_refused_rather_than_read_as_an_empty_catalogue() {
        let err = parse(
            br#"{"@context": {"ex": "https://ex.org/"}, "ex:name": "x"}"#,
            &greek,
        )
        .unwrap_err();
        assert!(err.en.starts_with("the document describes no dcat:Dataset"));
        assert!(
            parse(b"<rdf:RDF/>", &greek)
                .unwrap_err()
                .en
                .starts_with("not valid JSON-LD")
        );
    }
}
