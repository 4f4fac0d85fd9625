//! Shared by the intel tests: the STIX fixtures in the repository.

pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../../fixtures/stix/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}
