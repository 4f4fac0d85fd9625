//! The civitas domain. Knows nothing about HTTP or SQL: the web crate and the CLI call the
//! services here; storage crates implement the ports in [`ports`].

pub mod accounts;
pub mod agencies;
pub mod audit;
pub mod authz;
pub mod clock;
pub mod error;
pub mod import;
pub mod intel;
pub mod inventory;
pub mod notify;
pub mod page;
pub mod platform;
pub mod ports;
pub mod random;
pub mod text;
pub mod time;

// Capabilities that later issues fill. Each module states its rules; see ARCHITECTURE.md.
pub mod alerts;
pub mod assets;
pub mod cases;
pub mod catalog;
pub mod exchange;
pub mod freshness;
pub mod geo;
pub mod sharing;

pub use error::{DomainError, DomainResult};
pub use platform::{Caller, Platform, SecurityPolicy};
