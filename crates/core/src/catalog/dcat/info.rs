//! What the export says about the catalogue itself, as opposed to its datasets.

use crate::agencies::AgencyCode;
use crate::text::Text;
use crate::time::Timestamp;

#[derive(Debug, Clone, PartialEq)]
pub struct CatalogInfo {
    pub title: Text,
    pub description: Text,
    /// The agency that publishes the catalogue: the city government.
    pub publisher: AgencyCode,
    /// The catalogue's public home page.
    pub homepage: String,
    /// When the catalogue was first published.
    pub issued: Option<Timestamp>,
    /// Licence of the metadata itself (e.g. `https://data.gov.tw/license`).
    pub licence_url: Option<String>,
    /// The area the catalogue covers; datasets whose 空間範圍 names it link to it.
    pub place: Option<Place>,
}

/// A named area with its geometry, as a `dct:Location`.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    /// The last segment of its IRI, `{base}/catalog/places/{slug}`.
    pub slug: String,
    pub name: Text,
    /// WKT in WGS 84 longitude/latitude, e.g. `POLYGON((120.9 24.5, …))`.
    pub bbox_wkt: Option<String>,
    /// WKT point, e.g. `POINT(121.2 24.9)`.
    pub centroid_wkt: Option<String>,
}

impl Place {
    /// Whether a dataset's free-text 空間範圍 names this place.
    pub fn is_named(&self, text: &str) -> bool {
        let text = text.trim();
        !text.is_empty()
            && (text == self.name.zh.trim() || text.eq_ignore_ascii_case(self.name.en.trim()))
    }
}
