//! Threat intelligence (issue 4, point 6): STIX 2.1 bundles from the regional exchange and
//! TAXII 2.1 collections, indicator matching against alert observables, sightings, and
//! STIX 2.1 export of what the city saw and what it knows. Pure domain: the integrator stores
//! the objects, does the HTTP and feeds alerts in.

pub mod bundle;
pub mod export;
pub mod id;
pub mod matcher;
pub mod object;
pub mod observable;
pub mod pattern;
pub mod sighting;
pub mod taxii;
pub mod timestamp;
pub mod tlp;

#[cfg(test)]
mod test_support;

pub use bundle::{
    BundleImport, ObjectVersion, ParsedBundle, StoredVersions, import_bundle, parse_bundle,
};
pub use export::{BundleBuilder, CityExport, IndicatorDraft, city_indicator, export_city_bundle};
pub use id::StixId;
pub use matcher::{IndicatorEntry, IndicatorIndex, IndicatorMatch};
pub use object::{ObjectBody, StixObject};
pub use observable::{HashAlgorithm, MatchKey, Observable, ObservableKind};
pub use pattern::{MatchPlan, Matchability, Pattern, PatternError};
pub use sighting::{
    CityIdentity, CitySighting, SightingChange, SightingObservation, record_sighting, sighting_id,
};
pub use taxii::{CollectionQuery, Page, TaxiiRequest, parse_envelope};
pub use timestamp::StixTimestamp;
pub use tlp::{Tlp, TlpVersion};
