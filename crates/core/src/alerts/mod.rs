//! SOC alerts (issue 4): normalised alert model, classification rules as data, grouping into
//! notifications, analysis rollups kept at ingest time, threat-intelligence matching.
//!
//! This folder is the pure domain part: a parser per source format into one [`Alert`], the
//! agency an alert concerns, its category and severity with the reasons for both, and grouping
//! into notifications. Storage, `civitas alerts import`, the HTTP bulk endpoint and the syslog
//! listeners call into it: `parse_batch` → `AgencyDirectory::resolve` → `RuleSet::classify` →
//! `GroupingPolicy::member` + `group_alerts`.

pub mod agency;
pub mod analysis;
pub mod event_time;
pub mod fingerprint;
pub mod grouping;
pub mod ingest;
pub mod model;
pub mod observables;
pub mod parse;
pub mod query;
pub mod reclassify;
pub mod recurrence;
pub mod rsit;
pub mod rules;
pub mod service;
pub mod settings;
pub mod severity;
pub mod source;
pub mod targets;

pub use agency::{AgencyDirectory, AgencyEntry, AgencyResolution, Cidr, ResolvedBy};
pub use fingerprint::Fingerprint;
pub use grouping::{
    AlertGroup, GroupField, GroupKey, GroupMember, GroupUpdate, GroupingPolicy, group_alerts,
};
pub use ingest::{AlertWrite, ClassifiedAlert, GroupDelta, RollupKey};
pub use model::{
    Action, Alert, Endpoint, NativeSeverity, Observer, SeverityScale, SourceKind, TechniqueId,
    VendorRule,
};
pub use observables::{Observable, ObservableKind};
pub use parse::{MAX_RECORD_BYTES, ParsedBatch, parse_batch, parse_line};
pub use query::{AlertFilter, AlertGroupRow, AlertRow, AlertSummary, RollupRow, search_text};
pub use rules::{
    Category, Classification, DEFAULT_RULES, RuleSet, RuleSetError, Severity, SubBucket,
};
pub use service::{AlertImport, AlertService};
pub use settings::AlertSettings;
pub use severity::{Criticality, ScoreContext, Weights};
pub use source::{GenericMapping, SourceConfig, SourceFormat, SourceName};
pub use targets::{KnownTarget, TargetDirectory, TargetEntry};
