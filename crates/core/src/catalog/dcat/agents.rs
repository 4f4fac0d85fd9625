//! Who publishes and whom to ask: agencies as `foaf:Agent`s and contact points as vCards.

use super::graph::{EN, Iri, Node, Tag, ZH};
use super::vocabulary;
use crate::agencies::{Agency, AgencyCode, AgencyKind};
use crate::catalog::DatasetRecord;

/// The agent for an agency, and the publisher-type concept it points to. An agency missing
/// from the register is still named, by its code, because the shapes require a `foaf:name`.
pub fn agent(iri: Iri, code: &AgencyCode, agency: Option<&Agency>) -> (Node, Option<Node>) {
    let mut node = Node::named(iri, &["foaf:Agent", "foaf:Organization"]);
    match agency {
        Some(agency) => {
            node.text("foaf:name", &agency.name_zh, ZH);
            if let Some(en) = &agency.name_en {
                node.text("foaf:name", en, EN);
            }
        }
        None => node.literal("foaf:name", code.as_str(), Tag::Plain),
    }
    node.literal("dct:identifier", code.as_str(), Tag::Plain);
    let kind = agency.map(|a| vocabulary::publisher_type(a.kind == AgencyKind::Enterprise));
    if let Some(iri) = kind.as_ref().and_then(|k| k.iri.clone()) {
        node.iri("dct:type", iri);
    }
    (node, kind)
}

/// `dcat:contactPoint` from the record's contact fields; `None` when it names no one and
/// gives no way to reach anyone.
pub fn contact_point(record: &DatasetRecord, agency: Option<&Agency>) -> Option<Node> {
    let name = record
        .contact_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    let email = record.contact_email.as_deref().and_then(mailto);
    let phone = record.contact_phone.as_deref().and_then(tel);
    if name.is_none() && email.is_none() && phone.is_none() {
        return None;
    }
    let mut node = Node::blank(&["vcard:Kind"]);
    // A vCard needs a formatted name: the person, else the agency that answers for them.
    let fallback = agency
        .map(|a| a.name_zh.as_str())
        .unwrap_or(record.agency.as_str());
    node.text("vcard:fn", name.unwrap_or(fallback), ZH);
    if let Some(email) = email {
        node.iri("vcard:hasEmail", email);
    }
    if let Some(phone) = phone {
        node.iri("vcard:hasTelephone", phone);
    }
    Some(node)
}

fn mailto(email: &str) -> Option<Iri> {
    let email = email.trim().trim_start_matches("mailto:");
    let (user, host) = email.split_once('@')?;
    let plausible = !user.is_empty()
        && host.contains('.')
        && !email
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '<' | '>' | ',' | ';'));
    plausible.then(|| Iri::new(format!("mailto:{email}")))
}

/// `03-3322101#1234` → `tel:03-3322101;ext=1234`: digits, `+` and `-` only.
fn tel(phone: &str) -> Option<Iri> {
    let (number, extension) = match phone.split_once(['#', '轉']) {
        Some((n, e)) => (n, Some(e)),
        None => (phone, None),
    };
    let keep = |text: &str| -> String {
        text.chars()
            .filter(|c| c.is_ascii_digit() || matches!(c, '+' | '-'))
            .collect()
    };
    let number = keep(number);
    if !number.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let extension = extension.map(keep).filter(|e| !e.is_empty());
    Some(Iri::new(match extension {
        Some(ext) => format!("tel:{number};ext={ext}"),
        None => format!("tel:{number}"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_and_emails_become_tel_and_mailto_iris() {
        assert_eq!(
            tel("(03) 332-2101 #1234").unwrap().as_str(),
            "tel:03332-2101;ext=1234"
        );
        assert_eq!(tel("無"), None);
        assert_eq!(
            mailto(" a.b@tycg.gov.tw ").unwrap().as_str(),
            "mailto:a.b@tycg.gov.tw"
        );
        assert_eq!(mailto("not an email"), None);
        assert_eq!(mailto("a@b"), None);
    }
}
