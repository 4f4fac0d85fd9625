//! `dct:format` and `dcat:mediaType` of a distribution: the EU file-type table for the formats
//! agencies write (CSV, XLSX, SHP …) and the IANA media type where one is registered.
//! A format with no EU code (URL, WEB, API, shapefile side files) is kept as a labelled
//! `dct:MediaTypeOrExtent`, never forced onto a code that says something else.

use super::graph::{Iri, Node};

const EU_FILE_TYPE: &str = "http://publications.europa.eu/resource/authority/file-type/";
const IANA_MEDIA_TYPES: &str = "https://www.iana.org/assignments/media-types/";

/// What agencies write → EU file-type code, IANA media type.
const FORMATS: &[(&[&str], &str, Option<&str>)] = &[
    (&["CSV"], "CSV", Some("text/csv")),
    (&["TSV"], "TSV", Some("text/tab-separated-values")),
    (&["JSON"], "JSON", Some("application/json")),
    (&["GEOJSON"], "GEOJSON", Some("application/geo+json")),
    (
        &["JSON-LD", "JSONLD"],
        "JSON_LD",
        Some("application/ld+json"),
    ),
    (&["XML"], "XML", Some("application/xml")),
    (&["RDF", "RDF/XML"], "RDF_XML", Some("application/rdf+xml")),
    (&["TTL", "TURTLE"], "RDF_TURTLE", Some("text/turtle")),
    (&["PDF"], "PDF", Some("application/pdf")),
    (&["XLS"], "XLS", Some("application/vnd.ms-excel")),
    (
        &["XLSX"],
        "XLSX",
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ),
    (
        &["ODS"],
        "ODS",
        Some("application/vnd.oasis.opendocument.spreadsheet"),
    ),
    (&["DOC"], "DOC", Some("application/msword")),
    (
        &["DOCX"],
        "DOCX",
        Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ),
    (
        &["ODT"],
        "ODT",
        Some("application/vnd.oasis.opendocument.text"),
    ),
    (&["PPT"], "PPT", Some("application/vnd.ms-powerpoint")),
    (
        &["PPTX"],
        "PPTX",
        Some("application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    ),
    (
        &["ODP"],
        "ODP",
        Some("application/vnd.oasis.opendocument.presentation"),
    ),
    (&["TXT"], "TXT", Some("text/plain")),
    (&["HTML", "HTM"], "HTML", Some("text/html")),
    (
        &["KML"],
        "KML",
        Some("application/vnd.google-earth.kml+xml"),
    ),
    (&["KMZ"], "KMZ", Some("application/vnd.google-earth.kmz")),
    (&["SHP", "SHAPEFILE"], "SHP", None),
    (&["DBF"], "DBF", None),
    (&["GML"], "GML", Some("application/gml+xml")),
    (
        &["GPKG", "GEOPACKAGE"],
        "GPKG",
        Some("application/geopackage+sqlite3"),
    ),
    (&["ZIP"], "ZIP", Some("application/zip")),
    (&["RAR"], "RAR", Some("application/vnd.rar")),
    // 7z has no IANA registration (only the unofficial x-7z-compressed).
    (&["7Z"], "7Z", None),
    (&["JPG", "JPEG"], "JPEG", Some("image/jpeg")),
    (&["PNG"], "PNG", Some("image/png")),
    (&["GIF"], "GIF", Some("image/gif")),
    (&["TIF", "TIFF"], "TIFF", Some("image/tiff")),
    (&["SVG"], "SVG", Some("image/svg+xml")),
    (&["WMS"], "WMS_SRVC", None),
    (&["WFS"], "WFS_SRVC", None),
    (&["WMTS"], "WMTS_SRVC", None),
];

pub struct Format {
    /// The `dct:format` value: an EU file type, or a blank node labelled as written.
    pub format: Node,
    /// The `dcat:mediaType`, when the format has a registered one.
    pub media_type: Option<Node>,
}

pub fn format(written: &str) -> Option<Format> {
    let written = written.trim();
    if written.is_empty() {
        return None;
    }
    let upper = written.trim_start_matches('.').to_uppercase();
    let known = FORMATS
        .iter()
        .find(|(names, _, _)| names.contains(&upper.as_str()));
    Some(match known {
        Some((_, code, media)) => Format {
            format: Node::named(
                Iri::new(format!("{EU_FILE_TYPE}{code}")),
                &["dct:MediaTypeOrExtent"],
            ),
            media_type: media.map(media_type),
        },
        None => {
            let mut node = Node::blank(&["dct:MediaTypeOrExtent"]);
            node.literal("rdfs:label", written, super::graph::Tag::Plain);
            Format {
                format: node,
                media_type: None,
            }
        }
    })
}

/// An IANA media type (`text/csv`) as the IRI of its registration.
pub fn media_type(name: &str) -> Node {
    let name = name.trim().to_ascii_lowercase();
    Node::named(
        Iri::new(format!("{IANA_MEDIA_TYPES}{name}")),
        &["dct:MediaType"],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_formats_get_eu_file_types_and_the_rest_keep_their_name() {
        let csv = format("csv").unwrap();
        assert_eq!(
            csv.format.iri.unwrap().as_str(),
            "http://publications.europa.eu/resource/authority/file-type/CSV"
        );
        assert_eq!(
            csv.media_type.unwrap().iri.unwrap().as_str(),
            "https://www.iana.org/assignments/media-types/text/csv"
        );
        assert!(
            format("JPG")
                .unwrap()
                .format
                .iri
                .unwrap()
                .as_str()
                .ends_with("/JPEG")
        );
        let url = format("URL").unwrap();
        assert_eq!(url.format.iri, None);
        assert!(url.format.has("rdfs:label"));
        assert!(url.media_type.is_none());
        assert!(format("  ").is_none());
    }
}
