//! Threat intelligence (issue 4, point 6): STIX 2.1 bundles from the regional exchange and
//! TAXII 2.1 collections, indicator matching against alert observables, sightings, and
//! STIX 2.1 export of what the city saw and what it knows. Pure domain: the integrator stores
//! the objects, does the HTTP and feeds alerts in.
//!
//! How the pieces fit:
//! - import: [`parse_bundle`] (or a TAXII [`Page::parse`]) → [`ParsedBundle::ids`] to look up
//!   stored versions → [`ParsedBundle::plan`] → store `to_store` (create or replace by id) and
//!   the report with its rejections;
//! - matching: [`IndicatorIndex::build`] over the stored indicators, rebuilt (or
//!   [`IndicatorIndex::add`]ed to) after an import; [`IndicatorIndex::matches`] per alert with
//!   its observables and time;
//! - sightings: per match and alert group, [`sighting_id`] → stored sighting →
//!   [`record_sighting`] → store what it returns (nothing when `Unchanged`);
//! - export: [`export_city_bundle`] for sharing, [`BundleBuilder`] to re-export stored objects.

pub mod bundle;
pub mod export;
pub mod id;
pub mod matcher;
pub mod object;
pub mod observable;
pub mod pattern;
pub mod pull;
pub mod service;
pub mod sighting;
pub mod stored;
pub mod taxii;
pub mod timestamp;
pub mod tlp;

#[cfg(test)]
pub(crate) mod test_support;

pub use bundle::{
    BundleImport, ObjectVersion, ParsedBundle, StoredVersions, import_bundle, parse_bundle,
};
pub use export::{BundleBuilder, CityExport, IndicatorDraft, city_indicator, export_city_bundle};
pub use id::StixId;
pub use matcher::{IndicatorEntry, IndicatorIndex, IndicatorMatch};
pub use object::{ObjectBody, StixObject};
pub use observable::{HashAlgorithm, MatchKey, Observable, ObservableKind};
pub use pattern::{MatchPlan, Matchability, Pattern, PatternError};
pub use pull::{TaxiiCollection, TaxiiPull, TaxiiResponse, TaxiiTransport};
pub use service::{
    ActiveIndicators, IntelImport, IntelService, IntelSettings, IntelState, MatchRun,
};
pub use sighting::{
    CityIdentity, CitySighting, SightingChange, SightingObservation, record_sighting, sighting_id,
};
pub use stored::{
    AlertMatch, AlertObservables, IndexedIndicator, IndicatorFilter, IndicatorRow, SightingFilter,
    SightingRow, SightingTally, TestRow,
};
pub use taxii::{CollectionQuery, Page, TaxiiRequest, parse_envelope};
pub use timestamp::StixTimestamp;
pub use tlp::{Tlp, TlpVersion};
