//! `civitas exchange verify` on X-Road's own containers (fixtures/xroad, MIT): exit 0 for the
//! valid ones, 1 with each broken one's own code, 2 when the input cannot be checked.

use std::path::PathBuf;

use crate::{run, stdout};

fn fixture(name: &str) -> String {
    let p: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "..",
        "..",
        "fixtures",
        "xroad",
        name,
    ]
    .iter()
    .collect();
    p.to_string_lossy().into_owned()
}

fn verify(container: &str, json: bool) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let file = fixture(&format!("asic/{container}.asice"));
    let conf = fixture("globalconf_good2_v3");
    let mut args = vec!["exchange", "verify", file.as_str(), "--conf", conf.as_str()];
    if json {
        args.push("--json");
    }
    run(dir.path(), &args)
}

#[test]
fn an_auditor_verifies_the_five_valid_x_road_containers() {
    for name in [
        "valid-signed-message",
        "valid-signed-hashchain",
        "valid-batch-ts",
        "valid-non-batch-rest",
        "valid-non-batch-soap-attachments",
    ] {
        let out = verify(name, false);
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(0), "{name}:\n{text}");
        assert!(
            text.contains("結果：有效 / verdict: VALID"),
            "{name}:\n{text}"
        );
        assert!(
            text.contains("[通過 ok]   簽章值 / signature value"),
            "{text}"
        );
        assert!(text.contains("[通過 ok]   時戳 / time-stamp"), "{text}");
    }
}

#[test]
fn each_broken_container_is_refused_with_its_own_code() {
    for (name, code) in [
        ("wrong-message", "reference_digest_mismatch"),
        ("invalid-digest", "signed_properties_digest_mismatch"),
        ("invalid-signed-hashchain", "hash_chain_ref_mismatch"),
        (
            "invalid-hashchain-modified-message",
            "hash_chain_unused_inputs",
        ),
        ("invalid-incorrect-references", "reference_missing"),
        (
            "invalid-ts-hashchainresult",
            "timestamp_hash_chain_malformed",
        ),
        ("attachments", "certificate_untrusted"),
    ] {
        let out = verify(name, true);
        assert_eq!(out.status.code(), Some(1), "{name}");
        let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(v["valid"], false, "{name}");
        assert_eq!(v["failure"], code, "{name}");
        let failed: Vec<&serde_json::Value> = v["report"]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["status"] == "failed")
            .collect();
        assert_eq!(failed[0]["code"], code, "{name}");
        // The human form names the reason in both languages.
        let text = stdout(&verify(name, false));
        assert!(text.contains(&format!("[{code}]")), "{name}:\n{text}");
        assert!(
            text.contains("結果：無效 / verdict: INVALID"),
            "{name}:\n{text}"
        );
    }
}

#[test]
fn unsigned_extra_files_are_accepted_with_a_warning() {
    let out = verify("invalid-not-signed-hashchain", false);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("warning: entries covered by no signature"),
        "{text}"
    );
}

#[test]
fn input_that_cannot_be_checked_exits_with_2() {
    let dir = tempfile::tempdir().unwrap();
    let conf = fixture("globalconf_good2_v3");
    let not_zip = dir.path().join("x.asice");
    std::fs::write(&not_zip, b"plain text").unwrap();
    let not_zip = not_zip.to_string_lossy().into_owned();
    let out = run(
        dir.path(),
        &["exchange", "verify", &not_zip, "--conf", &conf],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(crate::stderr(&out).contains("not an ASiC-E container"));
    let missing = run(
        dir.path(),
        &["exchange", "verify", "/nonexistent.asice", "--conf", &conf],
    );
    assert_eq!(missing.status.code(), Some(2));
    // Without --conf the data directory's configuration is used; here there is none.
    let valid = fixture("asic/valid-batch-ts.asice");
    let no_conf = run(dir.path(), &["exchange", "verify", &valid]);
    assert_eq!(no_conf.status.code(), Some(2));
    assert!(crate::stderr(&no_conf).contains("--conf"));
}
