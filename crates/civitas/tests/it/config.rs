//! Configuration: defaults, file < environment < flags, secrets from files, clear errors.

use crate::{civitas, run, stderr, stdout};

#[test]
fn print_default_lists_every_key_with_its_meaning() {
    let dir = tempfile::tempdir().unwrap();
    let text = stdout(&run(dir.path(), &["config", "print-default"]));
    for key in [
        "data_dir",
        "listen",
        "metrics_listen",
        "public_url",
        "log_format",
        "max_body_bytes",
        "[security]",
        "max_failed_logins",
        "[bootstrap]",
        "admin_password",
    ] {
        assert!(text.contains(key), "{key} missing");
    }
}

#[test]
fn a_file_is_overridden_by_the_environment_which_is_overridden_by_flags() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("civitas.toml");
    std::fs::write(
        &file,
        "listen = \"127.0.0.1:7001\"\nlog_level = \"debug\"\n[security]\nlockout_minutes = 30\n",
    )
    .unwrap();
    let show = |env: &[(&str, &str)], flags: &[&str]| {
        let mut c = civitas(dir.path());
        c.arg("--config")
            .arg(&file)
            .args(flags)
            .args(["config", "show"]);
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    let from_file = show(&[], &[]);
    assert!(
        from_file.contains("127.0.0.1:7001") && from_file.contains("lockout_minutes: 30"),
        "{from_file}"
    );
    let from_env = show(&[("CIVITAS_SECURITY__LOCKOUT_MINUTES", "45")], &[]);
    assert!(from_env.contains("lockout_minutes: 45"));
    let data_from_env = show(&[("CIVITAS_DATA_DIR", "/tmp/from-env")], &[]);
    // --data-dir is always passed by the harness, so the flag wins over the environment.
    assert!(
        !data_from_env.contains("/tmp/from-env"),
        "flags beat the environment"
    );
}

#[test]
fn a_bad_value_names_its_key_and_where_it_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let out = civitas(dir.path())
        .env("CIVITAS_LISTEN", "not-an-address")
        .args(["config", "show"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.to_lowercase().contains("\"listen\"") && err.contains("CIVITAS_"),
        "{err}"
    );
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "[security]\nmax_failed_logins = \"five\"\n").unwrap();
    let out = civitas(dir.path())
        .arg("--config")
        .arg(&file)
        .args(["config", "show"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(
        err.contains("max_failed_logins") && err.contains("bad.toml"),
        "{err}"
    );
    let out = civitas(dir.path())
        .env("CIVITAS_SECURITY__NO_SUCH_KEY", "1")
        .args(["config", "show"])
        .output()
        .unwrap();
    assert!(
        stderr(&out).contains("no_such_key"),
        "unknown keys are refused: {}",
        stderr(&out)
    );
}

#[test]
fn secrets_come_from_files_and_never_print() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("admin-password");
    std::fs::write(&secret, "bootstrap secret phrase\n").unwrap();
    let out = civitas(dir.path())
        .env("CIVITAS_BOOTSTRAP__ADMIN_NAME", "root.admin")
        .env("CIVITAS_BOOTSTRAP__ADMIN_PASSWORD_FILE", &secret)
        .args(["config", "show"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let shown = stdout(&out);
    assert!(shown.contains("root.admin"));
    assert!(!shown.contains("bootstrap secret phrase"), "{shown}");
    assert!(shown.contains("***"));
}

/// Keys ending in `_file` that are paths civitas reads itself (certificates, rule files) stay
/// as they are: the secret-file adapter must not turn `cert_file` into an unknown key `cert`.
#[test]
fn certificate_file_keys_load_as_paths_from_the_file_and_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("server.pem");
    std::fs::write(&pem, "-----BEGIN CERTIFICATE-----\nnot read by config\n").unwrap();
    let file = dir.path().join("civitas.toml");
    std::fs::write(
        &file,
        format!(
            "[exchange]\nlisten = \"127.0.0.1:0\"\ncert_file = \"{p}\"\nkey_file = \"{p}\"\nclient_ca_file = \"{p}\"\n\
             [exchange.trust]\ntsa_urls = [\"http://127.0.0.1:9/tsa\"]\ntsa_cert_file = \"{p}\"\n\
             acceptable_timestamp_failure_secs = 7200\nocsp_url = \"http://127.0.0.1:9/ocsp\"\n\
             ocsp_issuer_file = \"/etc/civitas/issuer.pem\"\nocsp_responder_file = \"/etc/civitas/responder.pem\"\n",
            p = pem.display()
        ),
    )
    .unwrap();
    let out = civitas(dir.path())
        .arg("--config")
        .arg(&file)
        .env(
            "CIVITAS_EXCHANGE__TRUST__OCSP_CERT_FILE",
            "/etc/civitas/gw.pem",
        )
        .args(["config", "show"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let shown = stdout(&out);
    let path = pem.display().to_string();
    for expected in [
        format!("cert_file: \"{path}\""),
        format!("key_file: \"{path}\""),
        format!("client_ca_file: \"{path}\""),
        format!("tsa_cert_file: \"{path}\""),
        "ocsp_cert_file: \"/etc/civitas/gw.pem\"".to_string(),
        "ocsp_issuer_file: \"/etc/civitas/issuer.pem\"".to_string(),
        "ocsp_responder_file: \"/etc/civitas/responder.pem\"".to_string(),
        "acceptable_timestamp_failure_secs: 7200".to_string(),
    ] {
        assert!(shown.contains(&expected), "{expected} missing: {shown}");
    }
    assert!(!shown.contains("not read by config"), "{shown}");
    // Secrets still come from files: the adapter works for the keys it is for.
    let secret = dir.path().join("pw");
    std::fs::write(&secret, "from a file\n").unwrap();
    let out = civitas(dir.path())
        .arg("--config")
        .arg(&file)
        .env("CIVITAS_BOOTSTRAP__ADMIN_PASSWORD_FILE", &secret)
        .args(["config", "show"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // A half-configured trust section is refused with its key named.
    std::fs::write(
        &file,
        "[exchange.trust]\ntsa_urls = [\"http://127.0.0.1:9/tsa\"]\n",
    )
    .unwrap();
    let out = civitas(dir.path())
        .arg("--config")
        .arg(&file)
        .args(["config", "show"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("tsa_cert_file"), "{}", stderr(&out));
}

/// A CA and a node certificate signed by it, PEM: (CA, certificate, key).
fn node_pki() -> (String, String, String) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    params.extended_key_usages = vec![
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
    ];
    let issuer = rcgen::Issuer::from_params(&ca, &ca_key);
    let cert = params.signed_by(&key, &issuer).unwrap();
    (ca_pem, cert.pem(), key.serialize_pem())
}

/// `*_file` keys of `[exchange]` name files civitas reads itself: the loader used to read them
/// as secrets and fail with "unknown field `cert`" (and the same for the node and peer files).
#[test]
fn exchange_file_keys_are_paths_the_loader_leaves_alone() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = node_pki();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_string_lossy().into_owned()
    };
    let (ca, cert, key) = (
        write("ca.pem", &ca),
        write("node.pem", &cert),
        write("node.key", &key),
    );
    let peer_cert = cert.clone();
    let file = dir.path().join("civitas.toml");
    std::fs::write(
        &file,
        format!(
            "[exchange]\nlisten = \"127.0.0.1:0\"\ncert_file = \"{cert}\"\nkey_file = \"{key}\"\n\
             client_ca_file = \"{ca}\"\nnode_cert_file = \"{cert}\"\nnode_key_file = \"{key}\"\n\
             node_ca_file = \"{ca}\"\n\n[[exchange.peers]]\nname = \"transport\"\n\
             url = \"https://127.0.0.1:9443\"\nmembers = [\"TW/GOV/380290000H\"]\n\
             certificate_file = \"{peer_cert}\"\ntimeout_seconds = 5\n"
        ),
    )
    .unwrap();
    let out = civitas(dir.path())
        .arg("--config")
        .arg(&file)
        .args(["config", "show"])
        .output()
        .unwrap();
    let shown = stdout(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("unknown field"), "{}", stderr(&out));
    assert!(shown.contains(&format!("cert_file: \"{cert}\"")), "{shown}");
    assert!(
        shown.contains(&format!("node_ca_file: \"{ca}\"")),
        "{shown}"
    );
    assert!(
        !shown.contains("PRIVATE KEY"),
        "the key file is not read into the settings"
    );
    // The same keys from the environment.
    let out = civitas(dir.path())
        .env("CIVITAS_EXCHANGE__LISTEN", "127.0.0.1:0")
        .env("CIVITAS_EXCHANGE__CERT_FILE", &cert)
        .env("CIVITAS_EXCHANGE__KEY_FILE", &key)
        .env("CIVITAS_EXCHANGE__CLIENT_CA_FILE", &ca)
        .args(["config", "show"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // A peer pinned by an unreadable certificate, or not pinned at all, stops the start.
    std::fs::write(
        &file,
        format!(
            "[exchange]\nnode_cert_file = \"{cert}\"\nnode_key_file = \"{key}\"\nnode_ca_file = \"{ca}\"\n\
             [[exchange.peers]]\nname = \"transport\"\nurl = \"https://127.0.0.1:9443\"\n\
             members = [\"TW/GOV/380290000H\"]\n"
        ),
    )
    .unwrap();
    let out = civitas(dir.path())
        .arg("--config")
        .arg(&file)
        .args(["config", "show"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("fingerprint"), "{}", stderr(&out));
    // Secrets still come from files (the adapter is only told to leave paths alone).
    let secret = write("pw", "from a file\n");
    let out = civitas(dir.path())
        .env("CIVITAS_BOOTSTRAP__ADMIN_PASSWORD_FILE", &secret)
        .args(["config", "show"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("***"));
}
