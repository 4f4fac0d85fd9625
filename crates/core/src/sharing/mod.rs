//! Cross-department sharing (issue 3): a requesting agency asks for a dataset; the providing
//! agency's steward approves, approves in part, or refuses with a reason; an approval becomes
//! a grant with an expiry; datasets with personal data need a legal basis and a second
//! approver. Every access to the data is counted. An approved sharing grant is the same
//! approval the exchange gateway will enforce.

mod model;
mod service;
mod table;

pub use model::{
    AccessLogEntry, AccessRequest, DataPage, Decision, KEY_PREFIX, NewAccessRequest, RequestStatus,
    SharingGrant, SharingKey, UploadOutcome, UsageRow,
};
pub use service::SharingService;
pub use table::{CsvTable, parse_csv_table};
