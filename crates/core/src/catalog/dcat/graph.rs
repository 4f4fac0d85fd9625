//! A small RDF graph, just enough to write the same triples as JSON-LD and as Turtle: named
//! nodes at the top level, blank nodes nested inside the node that uses them.

use std::collections::HashMap;

use crate::text::Text;

/// Language tags of the export: Traditional Chinese as written in Taiwan, and English.
pub const ZH: &str = "zh-Hant-TW";
pub const EN: &str = "en";

/// Prefixes of the predicates, classes and datatypes the export uses (both serialisations
/// declare the same ones, so compact names mean the same thing in each).
pub const PREFIXES: &[(&str, &str)] = &[
    ("adms", "http://www.w3.org/ns/adms#"),
    ("cnt", "http://www.w3.org/2011/content#"),
    ("dcat", "http://www.w3.org/ns/dcat#"),
    ("dcatap", "http://data.europa.eu/r5r/"),
    ("dct", "http://purl.org/dc/terms/"),
    ("foaf", "http://xmlns.com/foaf/0.1/"),
    ("gsp", "http://www.opengis.net/ont/geosparql#"),
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
    ("skos", "http://www.w3.org/2004/02/skos/core#"),
    ("spdx", "http://spdx.org/rdf/terms#"),
    ("vcard", "http://www.w3.org/2006/vcard/ns#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
];

/// An absolute IRI, already made safe to write between `<` and `>` in Turtle.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Iri(String);

impl Iri {
    /// An IRI the export writes itself (authority tables, IRIs minted under the base).
    pub fn new(text: impl AsRef<str>) -> Self {
        Iri(escape_iri(text.as_ref()))
    }

    /// A web address given by a source; `None` unless it is an absolute http(s) address,
    /// because a relative or scheme-less one would be resolved against the wrong document.
    pub fn web(text: &str) -> Option<Self> {
        let text = text.trim();
        let lower = text.to_ascii_lowercase();
        let rest = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"))?;
        let host_ok = rest
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '[');
        host_ok.then(|| Iri::new(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Turtle's IRIREF forbids spaces, controls and `<>"{}|^`\`; those are percent-encoded as
/// UTF-8, and so is a `%` that does not start an escape. Other characters (Chinese included)
/// are allowed in IRIs and kept.
fn escape_iri(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        let stray_percent = c == '%'
            && !(bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit));
        let forbidden = c.is_control()
            || c.is_whitespace()
            || matches!(c, '<' | '>' | '"' | '{' | '}' | '|' | '^' | '`' | '\\');
        if forbidden || stray_percent {
            push_percent_encoded(&mut out, c);
        } else {
            out.push(c);
        }
    }
    out
}

/// One path segment of an IRI we mint: everything but RFC 3986 unreserved characters is
/// percent-encoded, so identifiers and series titles become plain ASCII URLs.
pub fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~') {
            out.push(c);
        } else {
            push_percent_encoded(&mut out, c);
        }
    }
    out
}

fn push_percent_encoded(out: &mut String, c: char) {
    let mut buffer = [0u8; 4];
    for byte in c.encode_utf8(&mut buffer).bytes() {
        out.push_str(&format!("%{byte:02X}"));
    }
}

/// How a literal is marked: a language, a datatype (compact, e.g. `xsd:date`), or neither.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tag {
    Plain,
    Lang(&'static str),
    Type(&'static str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Literal {
    pub text: String,
    pub tag: Tag,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Object {
    Iri(Iri),
    Blank(Node),
    Literal(Literal),
}

/// A subject with its types and properties. `iri: None` is a blank node, written inline.
/// Predicates and types are compact names under [`PREFIXES`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Node {
    pub iri: Option<Iri>,
    pub types: Vec<&'static str>,
    pub props: Vec<(&'static str, Object)>,
}

impl Node {
    pub fn named(iri: Iri, types: &[&'static str]) -> Self {
        Node {
            iri: Some(iri),
            types: types.to_vec(),
            props: Vec::new(),
        }
    }

    pub fn blank(types: &[&'static str]) -> Self {
        Node {
            iri: None,
            types: types.to_vec(),
            props: Vec::new(),
        }
    }

    pub fn iri(&mut self, predicate: &'static str, iri: Iri) {
        self.props.push((predicate, Object::Iri(iri)));
    }

    pub fn node(&mut self, predicate: &'static str, node: Node) {
        self.props.push((predicate, Object::Blank(node)));
    }

    pub fn literal(&mut self, predicate: &'static str, text: impl Into<String>, tag: Tag) {
        self.props.push((
            predicate,
            Object::Literal(Literal {
                text: text.into(),
                tag,
            }),
        ));
    }

    /// A string in one language; nothing when it is blank.
    pub fn text(&mut self, predicate: &'static str, text: &str, lang: &'static str) {
        let text = text.trim();
        if !text.is_empty() {
            self.literal(predicate, text, Tag::Lang(lang));
        }
    }

    /// Both languages of a bilingual text.
    pub fn texts(&mut self, predicate: &'static str, text: &Text) {
        self.text(predicate, &text.zh, ZH);
        self.text(predicate, &text.en, EN);
    }

    pub fn typed(
        &mut self,
        predicate: &'static str,
        text: impl Into<String>,
        datatype: &'static str,
    ) {
        self.literal(predicate, text, Tag::Type(datatype));
    }

    pub fn has(&self, predicate: &str) -> bool {
        self.props.iter().any(|(p, _)| *p == predicate)
    }
}

/// The named nodes of an export, in the order they were first added. A node added twice
/// under the same IRI (a shared agency, theme or frequency) is kept once.
#[derive(Debug, Default)]
pub struct Graph {
    nodes: Vec<Node>,
    seen: HashMap<Iri, usize>,
}

impl Graph {
    pub fn add(&mut self, node: Node) {
        match &node.iri {
            Some(iri) if self.seen.contains_key(iri) => {}
            Some(iri) => {
                self.seen.insert(iri.clone(), self.nodes.len());
                self.nodes.push(node);
            }
            // Blank nodes only live inside the node that uses them.
            None => {}
        }
    }

    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    pub fn into_nodes(self) -> Vec<Node> {
        self.nodes
    }

    pub fn get(&self, iri: &Iri) -> Option<&Node> {
        self.seen.get(iri).and_then(|i| self.nodes.get(*i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_urls_with_spaces_or_quotes_still_make_valid_iris() {
        let iri = Iri::web(" https://data.tycg.gov.tw/a b\"c<d>?q=100%&x=%E6 ").unwrap();
        assert_eq!(
            iri.as_str(),
            "https://data.tycg.gov.tw/a%20b%22c%3Cd%3E?q=100%25&x=%E6"
        );
        assert_eq!(Iri::web("tyc.tycg.gov.tw/magazines/2"), None);
        assert_eq!(Iri::web("javascript:alert(1)"), None);
        assert_eq!(Iri::web("https:///nohost"), None);
        assert_eq!(segment("桃園 A/B"), "%E6%A1%83%E5%9C%92%20A%2FB");
    }
}
