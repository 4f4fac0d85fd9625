//! The export checked by someone else's code: pyshacl validates it against the official
//! DCAT-AP 3.0.0 shapes, and rdflib reads back what we wrote. Needs `python3` with
//! `pyshacl==0.40.1` (which brings rdflib).

use std::path::PathBuf;
use std::process::Command;

use super::super::{catalog_jsonld, catalog_turtle};
use super::{BASE, city, dataset, health_bureau, info, record, taoyuan_catalogue};

fn workspace() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// Writes `content` to a temporary file that is removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, content: &str) -> Self {
        let path = std::env::temp_dir().join(format!("civitas-dcat-{}-{name}", std::process::id()));
        std::fs::write(&path, content).unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Runs scripts/dcat-validate.py on the export with both shape files; panics with the
/// validator's report unless there are no violations. Returns its summary.
fn validate(file: &TempFile) -> String {
    let root = workspace();
    let output = Command::new("python3")
        .arg(root.join("scripts/dcat-validate.py"))
        .arg(&file.0)
        .arg(root.join("fixtures/dcat/shapes.ttl"))
        .arg(root.join("fixtures/dcat/shapes_recommended.ttl"))
        .output()
        .expect("python3 is installed");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the export does not pass the DCAT-AP shapes ({}):\n{stdout}\n{stderr}",
        output.status
    );
    println!("{stdout}");
    stdout
}

fn taoyuan_export_is_valid(name: &str, content: String) {
    let file = TempFile::new(name, &content);
    let summary = validate(&file);
    assert!(summary.contains("violations: 0,"), "{summary}");
}

#[test]
fn the_whole_taoyuan_supply_list_as_turtle_passes_the_dcat_ap_shapes() {
    let (agencies, datasets) = taoyuan_catalogue();
    assert_eq!(datasets.len(), 1429);
    let turtle = catalog_turtle(&info(), &agencies, &datasets, BASE);
    taoyuan_export_is_valid("taoyuan.ttl", turtle);
}

#[test]
fn the_whole_taoyuan_supply_list_as_json_ld_passes_the_dcat_ap_shapes() {
    let (agencies, datasets) = taoyuan_catalogue();
    let doc = catalog_jsonld(&info(), &agencies, &datasets, BASE);
    taoyuan_export_is_valid("taoyuan.jsonld", doc.to_string());
}

/// rdflib parses both files and prints each dataset's Chinese description and English
/// title as JSON, which must equal what the steward typed.
#[test]
fn tricky_text_reads_back_unchanged_through_an_independent_parser() {
    let mut tricky = record("tricky-1", "「桃園」\"quoted\" title");
    let description = "第一行\n第二行\r\n\t他說：\"好\" \\ 反斜線 \u{7}鈴 😀";
    tricky.description_zh = description.into();
    tricky.title_en = Some("Line one\nline two\\".into());
    let agencies = [city(), health_bureau()];
    let datasets = [dataset(1, tricky)];
    let turtle = TempFile::new(
        "tricky.ttl",
        &catalog_turtle(&info(), &agencies, &datasets, BASE),
    );
    let jsonld = TempFile::new(
        "tricky.jsonld",
        &catalog_jsonld(&info(), &agencies, &datasets, BASE).to_string(),
    );
    let script = r#"
import json, sys
from rdflib import Graph, Namespace, URIRef
DCT = Namespace("http://purl.org/dc/terms/")
out = []
for path, fmt in ((sys.argv[1], "turtle"), (sys.argv[2], "json-ld")):
    g = Graph().parse(path, format=fmt)
    s = URIRef(sys.argv[3])
    out.append({
        "description": [str(o) for o in g.objects(s, DCT.description) if (o.language or "").lower() == "zh-hant-tw"],
        "title_en": [str(o) for o in g.objects(s, DCT.title) if (o.language or "").lower() == "en"],
    })
print(json.dumps(out))
"#;
    let output = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&turtle.0)
        .arg(&jsonld.0)
        .arg(format!("{BASE}/catalog/datasets/tricky-1"))
        .output()
        .expect("python3 is installed");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let read: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let expected = serde_json::json!({
        "description": [description],
        "title_en": ["Line one\nline two\\"],
    });
    assert_eq!(read, serde_json::json!([expected, expected]));
}
