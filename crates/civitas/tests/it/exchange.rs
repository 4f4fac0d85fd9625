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

/// `civitas exchange verify-archives`: two linked archives hold; a changed container in the
/// first breaks the chain at that file (exit 1, its name and the fault's code printed); an
/// empty log archives nothing and says so.
#[test]
fn an_auditor_checks_the_chain_of_message_log_archives() {
    use civitas_core::exchange::archive::{ArchiveLink, archive_name, write_archive};
    let dir = tempfile::tempdir().unwrap();
    let archives = dir.path().join("archive");
    std::fs::create_dir_all(&archives).unwrap();
    let container = |n: u8| (format!("TW-{n}-response-{n}.asice"), vec![n; 64]);
    let (first, link) =
        write_archive(&ArchiveLink::default(), &[container(1), container(2)]).unwrap();
    let first_name = archive_name("20261129010000", "20261129010500", &link);
    std::fs::write(archives.join(&first_name), &first).unwrap();
    let link = ArchiveLink {
        file_name: first_name.clone(),
        ..link
    };
    let (second, link2) = write_archive(&link, &[container(3)]).unwrap();
    let second_name = archive_name("20261129020000", "20261129020000", &link2);
    std::fs::write(archives.join(&second_name), &second).unwrap();

    let dir_arg = archives.to_string_lossy().to_string();
    let out = run(dir.path(), &["exchange", "verify-archives", &dir_arg]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("2 archives, 3 containers, the chain holds"));

    // The first archive is rewritten with a changed container (and a matching linking info):
    // it holds on its own, but the second archive no longer follows it.
    let (forged, _) = write_archive(
        &ArchiveLink::default(),
        &[(container(1).0, b"forged".to_vec()), container(2)],
    )
    .unwrap();
    std::fs::write(archives.join(&first_name), &forged).unwrap();
    let out = run(dir.path(), &["exchange", "verify-archives", &dir_arg]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains(&second_name), "{}", stdout(&out));

    // Nothing signed in a fresh data directory: nothing to archive.
    let out = run(dir.path(), &["exchange", "archive"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("nothing to archive"),
        "{}",
        stdout(&out)
    );
}
