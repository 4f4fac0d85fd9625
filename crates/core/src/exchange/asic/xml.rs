//! A small XML tree and Canonical XML (C14N 1.0 inclusive and exclusive, without comments),
//! the subset XML signatures in X-Road containers need: SignedInfo, SignedProperties and
//! Manifest elements inside a document, and whole documents for hash-chain transforms.
//! Parsing is by quick-xml; DTDs are refused (no entity expansion beyond the predefined ones).

use std::collections::BTreeMap;

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};

use crate::exchange::id::resolve_entity;

pub const C14N: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
pub const C14N_WITH_COMMENTS: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments";
pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    pub prefix: Option<String>,
    pub local: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Element(Element),
    Text(String),
    Comment(String),
    Pi(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub prefix: Option<String>,
    pub local: String,
    /// Namespace declarations on this element: ("" for the default namespace, URI).
    pub ns_decls: Vec<(String, String)>,
    pub attrs: Vec<Attr>,
    pub children: Vec<Node>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum C14nMode {
    Inclusive,
    Exclusive,
}

impl C14nMode {
    pub fn from_uri(uri: &str) -> Option<Self> {
        match uri {
            C14N => Some(C14nMode::Inclusive),
            EXC_C14N => Some(C14nMode::Exclusive),
            _ => None,
        }
    }
}

fn split_qname(q: &str) -> (Option<String>, String) {
    match q.split_once(':') {
        Some((p, l)) => (Some(p.to_string()), l.to_string()),
        None => (None, q.to_string()),
    }
}

fn start_element(e: &BytesStart<'_>) -> Result<Element, String> {
    let (prefix, local) = split_qname(e.name().as_ref());
    let mut el = Element {
        prefix,
        local,
        ns_decls: Vec::new(),
        attrs: Vec::new(),
        children: Vec::new(),
    };
    for a in e.attributes() {
        let a = a.map_err(|e| e.to_string())?;
        let key = a.key.as_ref().to_string();
        let value = a
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| e.to_string())?
            .into_owned();
        if key == "xmlns" {
            el.ns_decls.push((String::new(), value));
        } else if let Some(p) = key.strip_prefix("xmlns:") {
            el.ns_decls.push((p.to_string(), value));
        } else {
            let (prefix, local) = split_qname(&key);
            el.attrs.push(Attr {
                prefix,
                local,
                value,
            });
        }
    }
    Ok(el)
}

/// Parse a document into its root element. Whitespace is kept exactly (it is signed).
pub fn parse(bytes: &[u8]) -> Result<Element, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8".to_string())?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    fn push_node(stack: &mut [Element], node: Node) {
        if let Some(top) = stack.last_mut() {
            if let (Node::Text(t), Some(Node::Text(prev))) = (&node, top.children.last_mut()) {
                prev.push_str(t);
                return;
            }
            top.children.push(node);
        }
    }
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) => stack.push(start_element(&e)?),
            Event::Empty(e) => {
                let el = start_element(&e)?;
                if stack.is_empty() {
                    if root.is_some() {
                        return Err("more than one root element".into());
                    }
                    root = Some(el);
                } else {
                    push_node(&mut stack, Node::Element(el));
                }
            }
            Event::End(_) => {
                let el = stack.pop().ok_or("unbalanced end tag")?;
                if stack.is_empty() {
                    if root.is_some() {
                        return Err("more than one root element".into());
                    }
                    root = Some(el);
                } else {
                    push_node(&mut stack, Node::Element(el));
                }
            }
            Event::Text(t) => {
                let s = t.xml10_content().into_owned();
                if stack.is_empty() {
                    if !s.trim().is_empty() {
                        return Err("text outside the root element".into());
                    }
                } else {
                    push_node(&mut stack, Node::Text(s));
                }
            }
            Event::CData(c) => push_node(&mut stack, Node::Text(c.xml10_content().into_owned())),
            Event::GeneralRef(r) => {
                let name = r.into_inner();
                let c = resolve_entity(&name).ok_or_else(|| format!("unknown entity &{name};"))?;
                push_node(&mut stack, Node::Text(c.to_string()));
            }
            Event::Comment(c) => {
                push_node(&mut stack, Node::Comment(c.xml10_content().into_owned()))
            }
            Event::PI(p) => push_node(&mut stack, Node::Pi(p.into_inner().into_owned())),
            Event::DocType(_) => return Err("DTDs are not accepted".into()),
            Event::Decl(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err("unclosed element".into());
    }
    root.ok_or_else(|| "no root element".into())
}

impl Element {
    pub fn attr(&self, local: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.local == local)
            .map(|a| a.value.as_str())
    }

    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            _ => None,
        })
    }

    pub fn child(&self, local: &str) -> Option<&Element> {
        self.elements().find(|e| e.local == local)
    }

    pub fn children_named<'a>(&'a self, local: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.elements().filter(move |e| e.local == local)
    }

    /// The text directly inside this element.
    pub fn text(&self) -> String {
        self.children
            .iter()
            .filter_map(|n| match n {
                Node::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The first descendant (depth first, self included) with this local name.
    pub fn find(&self, local: &str) -> Option<&Element> {
        if self.local == local {
            return Some(self);
        }
        self.elements().find_map(|e| e.find(local))
    }

    /// The element whose `Id` (or `id`) attribute is `id`, with its ancestors (root first).
    pub fn find_by_id<'a>(&'a self, id: &str) -> Option<(Vec<&'a Element>, &'a Element)> {
        if self.attr("Id") == Some(id) || self.attr("id") == Some(id) {
            return Some((Vec::new(), self));
        }
        for child in self.elements() {
            if let Some((mut ancestors, found)) = child.find_by_id(id) {
                ancestors.insert(0, self);
                return Some((ancestors, found));
            }
        }
        None
    }

    /// The path of ancestors down to `target` (compared by address), root first.
    pub fn ancestors_of<'a>(&'a self, target: &Element) -> Option<Vec<&'a Element>> {
        if std::ptr::eq(self, target) {
            return Some(Vec::new());
        }
        for child in self.elements() {
            if let Some(mut path) = child.ancestors_of(target) {
                path.insert(0, self);
                return Some(path);
            }
        }
        None
    }
}

/// The namespaces in scope after the given ancestors (root first).
fn scope_of(ancestors: &[&Element]) -> BTreeMap<String, String> {
    let mut scope = BTreeMap::new();
    for a in ancestors {
        for (p, uri) in &a.ns_decls {
            scope.insert(p.clone(), uri.clone());
        }
    }
    scope
}

/// Canonicalise `element` (a subtree whose ancestors are `ancestors`, root first).
pub fn canonicalize(element: &Element, ancestors: &[&Element], mode: C14nMode) -> String {
    let mut out = String::new();
    let scope = scope_of(ancestors);
    write_element(element, &scope, &BTreeMap::new(), mode, &mut out);
    out
}

/// Canonicalise a whole document (its root element; comments dropped).
pub fn canonicalize_document(root: &Element, mode: C14nMode) -> String {
    canonicalize(root, &[], mode)
}

fn write_element(
    el: &Element,
    parent_scope: &BTreeMap<String, String>,
    rendered: &BTreeMap<String, String>,
    mode: C14nMode,
    out: &mut String,
) {
    let mut scope = parent_scope.clone();
    for (p, uri) in &el.ns_decls {
        scope.insert(p.clone(), uri.clone());
    }
    let candidates: Vec<String> = match mode {
        C14nMode::Inclusive => scope.keys().cloned().collect(),
        C14nMode::Exclusive => {
            let mut used = vec![el.prefix.clone().unwrap_or_default()];
            for a in &el.attrs {
                if let Some(p) = &a.prefix
                    && p != "xml"
                {
                    used.push(p.clone());
                }
            }
            used.sort();
            used.dedup();
            used
        }
    };
    let mut now_rendered = rendered.clone();
    let mut decls: Vec<(String, String)> = Vec::new();
    for p in candidates {
        if p == "xml" {
            continue;
        }
        let uri = scope.get(&p).cloned().unwrap_or_default();
        let shown = rendered.get(&p).cloned().unwrap_or_default();
        if uri.is_empty() && p.is_empty() {
            // xmlns="" only to undo a default namespace an output ancestor rendered.
            if !shown.is_empty() {
                decls.push((p.clone(), String::new()));
                now_rendered.insert(p, String::new());
            }
            continue;
        }
        if uri.is_empty() {
            continue;
        }
        if rendered.get(&p) != Some(&uri) {
            decls.push((p.clone(), uri.clone()));
            now_rendered.insert(p, uri);
        }
    }
    decls.sort();
    let name = qname(&el.prefix, &el.local);
    out.push('<');
    out.push_str(&name);
    for (p, uri) in &decls {
        if p.is_empty() {
            out.push_str(" xmlns=\"");
        } else {
            out.push_str(" xmlns:");
            out.push_str(p);
            out.push_str("=\"");
        }
        escape_attr(uri, out);
        out.push('"');
    }
    let mut attrs: Vec<(String, &Attr)> = el
        .attrs
        .iter()
        .map(|a| {
            let ns = match &a.prefix {
                Some(p) if p == "xml" => "http://www.w3.org/XML/1998/namespace".to_string(),
                Some(p) => scope.get(p).cloned().unwrap_or_default(),
                None => String::new(),
            };
            (ns, a)
        })
        .collect();
    attrs.sort_by(|(na, a), (nb, b)| (na, &a.local).cmp(&(nb, &b.local)));
    for (_, a) in attrs {
        out.push(' ');
        out.push_str(&qname(&a.prefix, &a.local));
        out.push_str("=\"");
        escape_attr(&a.value, out);
        out.push('"');
    }
    out.push('>');
    for child in &el.children {
        match child {
            Node::Element(e) => write_element(e, &scope, &now_rendered, mode, out),
            Node::Text(t) => escape_text(t, out),
            Node::Pi(p) => {
                out.push_str("<?");
                out.push_str(p);
                out.push_str("?>");
            }
            Node::Comment(_) => {}
        }
    }
    out.push_str("</");
    out.push_str(&name);
    out.push('>');
}

fn qname(prefix: &Option<String>, local: &str) -> String {
    match prefix {
        Some(p) => format!("{p}:{local}"),
        None => local.to_string(),
    }
}

fn escape_text(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

fn escape_attr(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c14n_of(doc: &str, local: &str, mode: C14nMode) -> String {
        let root = parse(doc.as_bytes()).unwrap();
        let target = root.find(local).unwrap();
        let ancestors = root.ancestors_of(target).unwrap();
        canonicalize(target, &ancestors, mode)
    }

    #[test]
    fn inclusive_c14n_carries_the_ancestors_namespaces_and_sorts() {
        let doc = "<?xml version=\"1.0\"?>\r\n<a:r xmlns:a=\"urn:a\" xmlns:z=\"urn:z\" xmlns=\"urn:d\"><a:s b=\"2\" z:c=\"3\" a=\"1\"><e/>x&#13;y &amp; &lt;</a:s></a:r>";
        assert_eq!(
            c14n_of(doc, "s", C14nMode::Inclusive),
            "<a:s xmlns=\"urn:d\" xmlns:a=\"urn:a\" xmlns:z=\"urn:z\" a=\"1\" b=\"2\" z:c=\"3\"><e></e>x&#xD;y &amp; &lt;</a:s>"
        );
        // Exclusive: only the prefixes the element and its attributes use.
        assert_eq!(
            c14n_of(doc, "s", C14nMode::Exclusive),
            "<a:s xmlns:a=\"urn:a\" xmlns:z=\"urn:z\" a=\"1\" b=\"2\" z:c=\"3\"><e xmlns=\"urn:d\"></e>x&#xD;y &amp; &lt;</a:s>"
        );
    }

    #[test]
    fn comments_go_line_ends_normalise_and_attribute_whitespace_is_escaped() {
        let doc = "<foo>\r\n  <!-- gone -->\r\n  <bar t=\"a&#9;b&#10;\">Hello</bar>\n</foo>";
        let root = parse(doc.as_bytes()).unwrap();
        assert_eq!(
            canonicalize_document(&root, C14nMode::Inclusive),
            "<foo>\n  \n  <bar t=\"a&#x9;b&#xA;\">Hello</bar>\n</foo>"
        );
        assert!(parse(b"<!DOCTYPE x [<!ENTITY e \"boom\">]><x>&e;</x>").is_err());
        assert!(parse(b"<a><b></a>").is_err());
        assert!(parse(b"<a/><b/>").is_err());
    }

    #[test]
    fn ids_are_found_with_their_ancestors() {
        let root = parse(b"<r xmlns:p=\"urn:p\"><p:o><p:t Id=\"x\">1</p:t></p:o></r>").unwrap();
        let (ancestors, el) = root.find_by_id("x").unwrap();
        assert_eq!(ancestors.len(), 2);
        assert_eq!(el.text(), "1");
        assert_eq!(
            canonicalize(el, &ancestors, C14nMode::Inclusive),
            "<p:t xmlns:p=\"urn:p\" Id=\"x\">1</p:t>"
        );
        assert!(root.find_by_id("y").is_none());
    }
}
