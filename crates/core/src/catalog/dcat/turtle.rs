//! Writes a graph as Turtle by hand: prefixes, then one block per named node, with blank
//! nodes nested in `[ … ]`. Literals use short double-quoted strings with every special
//! character escaped, so text from any source (quotes, line breaks, controls) stays one token.

use std::fmt::Write;

use super::graph::{Graph, Literal, Node, Object, PREFIXES, Tag};

pub fn write(graph: &Graph) -> String {
    let mut out = String::new();
    for (prefix, namespace) in PREFIXES {
        out.push_str(&format!("@prefix {prefix}: <{namespace}> .\n"));
    }
    for node in graph.nodes() {
        let Some(iri) = &node.iri else { continue };
        if node.types.is_empty() && node.props.is_empty() {
            continue;
        }
        out.push('\n');
        out.push_str(&format!("<{}>", iri.as_str()));
        write_body(&mut out, node, 1);
        out.push_str(" .\n");
    }
    out
}

/// The predicate–object list of a node, one pair per line, indented by `depth`.
fn write_body(out: &mut String, node: &Node, depth: usize) {
    let indent = "    ".repeat(depth);
    let mut lines: Vec<String> = Vec::new();
    if !node.types.is_empty() {
        lines.push(format!("a {}", node.types.join(", ")));
    }
    for (predicate, object) in &node.props {
        let mut line = format!("{predicate} ");
        write_object(&mut line, object, depth);
        lines.push(line);
    }
    for (i, line) in lines.iter().enumerate() {
        out.push_str(if i == 0 { "\n" } else { " ;\n" });
        out.push_str(&indent);
        out.push_str(line);
    }
}

fn write_object(out: &mut String, object: &Object, depth: usize) {
    match object {
        Object::Iri(iri) => {
            let _ = write!(out, "<{}>", iri.as_str());
        }
        Object::Literal(literal) => write_literal(out, literal),
        Object::Blank(node) if node.types.is_empty() && node.props.is_empty() => {
            out.push_str("[]");
        }
        Object::Blank(node) => {
            out.push('[');
            write_body(out, node, depth + 1);
            out.push('\n');
            out.push_str(&"    ".repeat(depth));
            out.push(']');
        }
    }
}

fn write_literal(out: &mut String, literal: &Literal) {
    out.push('"');
    out.push_str(&escape_string(&literal.text));
    out.push('"');
    match &literal.tag {
        Tag::Plain => {}
        Tag::Lang(lang) => {
            out.push('@');
            out.push_str(lang);
        }
        Tag::Type(datatype) => {
            out.push_str("^^");
            out.push_str(datatype);
        }
    }
}

/// Escapes for a Turtle `STRING_LITERAL_QUOTE`: the quote, the backslash and line breaks
/// must not appear raw; other controls are written as `\uXXXX` so nothing invisible leaks.
pub fn escape_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_character_that_would_end_or_break_a_literal_is_escaped() {
        assert_eq!(
            escape_string("他說：\"桃園\"\\n\n第二行\r\t\u{0}\u{7f}"),
            "他說：\\\"桃園\\\"\\\\n\\n第二行\\r\\t\\u0000\\u007F"
        );
    }
}
