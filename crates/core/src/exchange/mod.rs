//! Exchange gateway (issue 6): X-Road identifiers, the pure rules of the X-Road Message
//! Protocol for REST, the verifier of signed, time-stamped ASiC-E message containers, and the
//! provider face's registry, access grants and message log (`service.rs`). Nothing here
//! speaks HTTP; the web crate wires these rules into `/r1` routes.

pub mod archive;
pub mod asic;
pub mod id;
pub mod model;
pub mod rest;
pub mod service;
pub mod trust;
pub mod verification;

pub use model::{
    AccessGrant, CredentialKind, ExchangeCredential, ExchangeMember, GrantFilter, GrantInput,
    LATENCY_BOUNDS_MS, MessageEvidence, MessageFilter, MessageRecord, MessageSide, NewArchive,
    NewTimestampBatch, PendingStamp, PresentedCredential, RecordTimestamp, RegisteredService,
    ServiceInput, ServiceType, StoredEvidence, TrafficHour, TransferRecord,
};
pub use service::{CallDecision, CredentialInput, ExchangeService, IssuedToken, TOKEN_HEADER};
