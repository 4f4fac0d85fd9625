//! Writes a graph as JSON-LD: an inline `@context` of prefixes (so no reader has to fetch a
//! remote context) and a `@graph` of the named nodes, blank nodes nested as objects.

use serde_json::{Map, Value, json};

use super::graph::{Graph, Literal, Node, Object, PREFIXES, Tag};

pub fn write(graph: &Graph) -> Value {
    let context: Map<String, Value> = PREFIXES
        .iter()
        .map(|(prefix, namespace)| ((*prefix).to_string(), json!(namespace)))
        .collect();
    let nodes: Vec<Value> = graph.nodes().iter().map(node).collect();
    json!({ "@context": context, "@graph": nodes })
}

fn node(node: &Node) -> Value {
    let mut out = Map::new();
    if let Some(iri) = &node.iri {
        out.insert("@id".into(), json!(iri.as_str()));
    }
    if !node.types.is_empty() {
        out.insert("@type".into(), json!(node.types));
    }
    // Values of one predicate are gathered into one array, in the order they were added.
    let mut predicates: Vec<&str> = Vec::new();
    for (predicate, _) in &node.props {
        if !predicates.contains(predicate) {
            predicates.push(predicate);
        }
    }
    for predicate in predicates {
        let values: Vec<Value> = node
            .props
            .iter()
            .filter(|(p, _)| *p == predicate)
            .map(|(_, object)| self::object(object))
            .collect();
        let value = match <[Value; 1]>::try_from(values) {
            Ok([single]) => single,
            Err(many) => Value::Array(many),
        };
        out.insert(predicate.to_string(), value);
    }
    Value::Object(out)
}

fn object(object: &Object) -> Value {
    match object {
        Object::Iri(iri) => json!({ "@id": iri.as_str() }),
        Object::Blank(blank) => node(blank),
        Object::Literal(literal) => self::literal(literal),
    }
}

fn literal(literal: &Literal) -> Value {
    match &literal.tag {
        Tag::Plain => json!({ "@value": literal.text }),
        Tag::Lang(lang) => json!({ "@value": literal.text, "@language": lang }),
        Tag::Type(datatype) => json!({ "@value": literal.text, "@type": datatype }),
    }
}
