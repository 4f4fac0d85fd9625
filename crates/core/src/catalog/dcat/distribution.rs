//! One way to get the data (資料資源) as a `dcat:Distribution`.

use super::dates;
use super::export::Export;
use super::formats;
use super::graph::{EN, Iri, Node, Tag, ZH};
use crate::catalog::{Dataset, Distribution};

pub fn distribution(
    ex: &mut Export,
    dataset: &Dataset,
    dataset_iri: &Iri,
    index: usize,
    d: &Distribution,
) -> Node {
    let record = &dataset.record;
    let iri = Iri::new(format!(
        "{}/distributions/{}",
        dataset_iri.as_str(),
        index + 1
    ));
    let mut node = Node::named(iri, &["dcat:Distribution"]);
    let format_name = d.format.as_deref().map(str::trim).filter(|f| !f.is_empty());

    let title = match (&d.title, format_name) {
        (Some(title), _) if !title.trim().is_empty() => title.trim().to_string(),
        (_, Some(format)) => format!("{}（{format}）", record.title_zh.trim()),
        _ => record.title_zh.trim().to_string(),
    };
    node.text("dct:title", &title, ZH);
    // Sources rarely describe a distribution; say what it is rather than leave it blank.
    match format_name {
        Some(format) => {
            node.text(
                "dct:description",
                &format!("以 {format} 格式提供「{}」。", record.title_zh.trim()),
                ZH,
            );
            node.text("dct:description", &format!("The data as {format}."), EN);
        }
        None => {
            node.text(
                "dct:description",
                &format!("「{}」的資料資源。", record.title_zh.trim()),
                ZH,
            );
            node.text("dct:description", "A distribution of the data.", EN);
        }
    }

    // dcat:accessURL is mandatory: the source's access or download address, else the
    // dataset's landing page, else its page in this catalogue.
    let download = d.download_url.as_deref().and_then(Iri::web);
    let access = d
        .access_url
        .as_deref()
        .and_then(Iri::web)
        .or_else(|| download.clone())
        .or_else(|| record.landing_page.as_deref().and_then(Iri::web))
        .unwrap_or_else(|| dataset_iri.clone());
    node.iri("dcat:accessURL", access);
    if let Some(download) = download {
        node.iri("dcat:downloadURL", download);
    }

    let format = format_name.and_then(formats::format);
    let media_type = d
        .media_type
        .as_deref()
        .map(str::trim)
        .filter(|m| m.contains('/') && !m.contains(char::is_whitespace))
        .map(formats::media_type);
    if let Some(format) = format {
        ex.link(&mut node, "dct:format", format.format);
        if let Some(media) = media_type.or(format.media_type) {
            ex.link(&mut node, "dcat:mediaType", media);
        }
    } else if let Some(media) = media_type {
        ex.link(&mut node, "dcat:mediaType", media);
    }

    ex.licence(
        &mut node,
        record.license.as_deref(),
        record.license_url.as_deref(),
    );
    // 編碼格式 may list several ("UTF-8, Big5"): one value each.
    for encoding in d
        .encoding
        .iter()
        .flat_map(|e| e.split([',', '、', '，', ';']))
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        node.literal("cnt:characterEncoding", encoding, Tag::Plain);
    }
    if let Some(size) = d.byte_size {
        // DCAT-AP 3.0.0's shape asks for xsd:decimal (DCAT 3 itself says nonNegativeInteger).
        node.typed("dcat:byteSize", size.to_string(), "xsd:decimal");
    }
    if let Some(checksum) = d.checksum_sha256.as_deref().and_then(checksum) {
        node.node("spdx:checksum", checksum);
    }
    if let Some(modified) = d.modified {
        dates::date_time(&mut node, "dct:modified", modified);
    }
    node
}

/// `spdx:Checksum` for a SHA-256 written as 64 hex digits; anything else is not a checksum.
fn checksum(hex: &str) -> Option<Node> {
    let hex = hex.trim();
    if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let mut node = Node::blank(&["spdx:Checksum"]);
    node.iri(
        "spdx:algorithm",
        Iri::new("http://spdx.org/rdf/terms#checksumAlgorithm_sha256"),
    );
    node.typed(
        "spdx:checksumValue",
        hex.to_ascii_lowercase(),
        "xsd:hexBinary",
    );
    Some(node)
}
