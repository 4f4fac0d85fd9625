//! Web integration tests: a full server on 127.0.0.1:0 per test, on a fresh data directory,
//! driven over real HTTP with cookies and tokens the way browsers and scripts use it.
// Tests may unwrap, index and panic: a failure should stop the test loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod alerts;
mod audit_trail;
mod auth_flow;
mod bad_input;
mod catalog;
mod catalog_entry;
mod ckan;
mod exchange;
mod exchange_nodes;
mod exchange_signing;
mod exchange_trust;
mod exchange_ui;
mod exchange_verify;
mod harness;
mod harvest;
mod incident_measures;
mod incidents;
mod incidents_ui;
mod intel;
mod inventory;
mod notifications;
// LibreOffice reads the exported spreadsheets back; shared with the export crate's tests.
#[path = "../../../export/tests/it/office.rs"]
mod office;
mod openapi;
mod pages;
mod role_matrix;
mod scoped_admin;
mod sharing;
