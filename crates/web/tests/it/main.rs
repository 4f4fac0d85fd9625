//! Web integration tests: a full server per test on a fresh data directory.
