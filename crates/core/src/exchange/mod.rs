//! Exchange gateway (issue 6): X-Road identifiers, the pure rules of the X-Road Message
//! Protocol for REST, and the verifier of signed, time-stamped ASiC-E message containers.
//! Nothing here speaks HTTP; the web/gateway layer wires these rules into routes.

pub mod asic;
pub mod id;
pub mod rest;
