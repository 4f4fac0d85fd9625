//! Shared by the STIX tests (intel, cases): the fixtures in the repository and OASIS'
//! stix2-validator.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../../fixtures/stix/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A bundle written to a temporary file, removed when dropped.
pub struct TempBundle(pub PathBuf);

impl TempBundle {
    pub fn new(name: &str, bundle: &Value) -> Self {
        let path = std::env::temp_dir().join(format!("civitas-stix-{}-{name}", std::process::id()));
        std::fs::write(&path, serde_json::to_string_pretty(bundle).unwrap()).unwrap();
        TempBundle(path)
    }
}

impl Drop for TempBundle {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The warnings (the spec's SHOULDs) in a validator report.
pub fn warnings(report: &str) -> Vec<&str> {
    report
        .lines()
        .filter_map(|l| l.strip_prefix("  warning: "))
        .collect()
}

/// Runs OASIS' stix2-validator (scripts/stix-validate.py) on the files; panics with its
/// report unless every file is valid. Returns the report.
pub fn validate(files: &[&TempBundle]) -> String {
    let available = Command::new("python3")
        .args(["-c", "import stix2validator"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        available,
        "the STIX export is checked with OASIS' stix2-validator, which is not installed: \
         run `python3 -m pip install -r tests/requirements.txt`"
    );
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scripts/stix-validate.py"
    );
    let output = Command::new("python3")
        .arg(script)
        .args(files.iter().map(|f| &f.0))
        .output()
        .expect("python3 runs");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "stix2-validator refuses the export:\n{report}"
    );
    println!("{report}");
    report
}
