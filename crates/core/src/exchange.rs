//! Exchange gateway (issue 6): X-Road identifiers, services, access grants, signed and
//! time-stamped message records. Protocol wire formats live in the web/gateway layer.
