//! The city's organisation tree: city government → bureaus and offices → subordinate
//! agencies. Every grant, dataset, alert and incident belongs to an agency here.

mod import;
mod model;
mod service;
mod tree;

pub use import::{AgencyImportFormat, AgencyImportPlan, parse_agency_file, plan_agency_import};
pub use model::{Agency, AgencyCode, AgencyInput, AgencyKind, AgencyRecord, diff_records};
pub use service::AgencyService;
pub use tree::{AgencyTree, TreeNode};
