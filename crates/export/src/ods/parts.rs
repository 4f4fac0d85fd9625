//! The fixed parts of the package: manifest, metadata, named styles, and the view settings
//! that freeze the header row (ODF has no freeze in the content; LibreOffice keeps it here).

use super::MIMETYPE;
use super::xml::escape;

pub(super) const ODF_VERSION: &str = "1.3";
const DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

pub(super) fn manifest() -> String {
    let entries: String = ["meta.xml", "styles.xml", "settings.xml", "content.xml"]
        .iter()
        .map(|part| {
            format!(r#"<manifest:file-entry manifest:full-path="{part}" manifest:media-type="text/xml"/>"#)
        })
        .collect();
    format!(
        r#"{DECLARATION}<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="{ODF_VERSION}"><manifest:file-entry manifest:full-path="/" manifest:version="{ODF_VERSION}" manifest:media-type="{MIMETYPE}"/>{entries}</manifest:manifest>"#
    )
}

/// No creation date: the output depends only on the table, and the clock stays with the caller.
pub(super) fn meta(title: &str) -> String {
    let generator = concat!("civitas-export/", env!("CARGO_PKG_VERSION"));
    let title = escape(title);
    format!(
        r#"{DECLARATION}<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="{ODF_VERSION}"><office:meta><meta:generator>{generator}</meta:generator><dc:title>{title}</dc:title></office:meta></office:document-meta>"#
    )
}

/// The "Default" cell style that the automatic styles in content.xml derive from.
pub(super) fn styles() -> String {
    format!(
        r#"{DECLARATION}<office:document-styles xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" office:version="{ODF_VERSION}"><office:styles><style:style style:name="Default" style:family="table-cell"/></office:styles></office:document-styles>"#
    )
}

/// LibreOffice's view settings for a header frozen below row 1 (split mode 2 = frozen).
pub(super) fn settings(sheet: &str) -> String {
    let sheet = escape(sheet);
    let items: String = [
        ("CursorPositionX", "int", "0"),
        ("CursorPositionY", "int", "1"),
        ("HorizontalSplitMode", "short", "0"),
        ("VerticalSplitMode", "short", "2"),
        ("HorizontalSplitPosition", "int", "0"),
        ("VerticalSplitPosition", "int", "1"),
        ("ActiveSplitRange", "short", "2"),
        ("PositionLeft", "int", "0"),
        ("PositionRight", "int", "0"),
        ("PositionTop", "int", "0"),
        ("PositionBottom", "int", "1"),
    ]
    .iter()
    .map(|(name, kind, value)| {
        format!(r#"<config:config-item config:name="{name}" config:type="{kind}">{value}</config:config-item>"#)
    })
    .collect();
    format!(
        r#"{DECLARATION}<office:document-settings xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:config="urn:oasis:names:tc:opendocument:xmlns:config:1.0" office:version="{ODF_VERSION}"><office:settings><config:config-item-set config:name="ooo:view-settings"><config:config-item-map-indexed config:name="Views"><config:config-item-map-entry><config:config-item config:name="ViewId" config:type="string">view1</config:config-item><config:config-item-map-named config:name="Tables"><config:config-item-map-entry config:name="{sheet}">{items}</config:config-item-map-entry></config:config-item-map-named><config:config-item config:name="ActiveTable" config:type="string">{sheet}</config:config-item></config:config-item-map-entry></config:config-item-map-indexed></config:config-item-set></office:settings></office:document-settings>"#
    )
}
