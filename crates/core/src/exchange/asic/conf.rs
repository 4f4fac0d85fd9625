//! The verification configuration: what a container is checked against. It is read from the
//! shared parameters of an X-Road global configuration (`shared-params.xml`, research notes §3.6):
//! the approved certification authorities with their OCSP responders, the approved
//! time-stamping authorities, and `ocspFreshnessSeconds`.

use std::path::{Path, PathBuf};

use base64::Engine as _;

use super::x509::Certificate;
use super::xml::{self, Element};

/// X-Road's default when the configuration does not say (`ocspFreshnessSeconds`).
pub const DEFAULT_OCSP_FRESHNESS_SECONDS: i64 = 3600;

#[derive(Debug, Clone)]
pub struct ApprovedCa {
    pub name: String,
    pub top: Certificate,
    pub intermediates: Vec<Certificate>,
    /// OCSP responder certificates the configuration names for this CA.
    pub ocsp_certs: Vec<Certificate>,
    /// How member identifiers sit in this CA's certificates (`certificateProfileInfo`).
    pub certificate_profile: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ApprovedTsa {
    pub name: String,
    pub cert: Certificate,
}

#[derive(Debug, Clone, Default)]
pub struct VerificationConf {
    pub instances: Vec<String>,
    pub cas: Vec<ApprovedCa>,
    pub tsas: Vec<ApprovedTsa>,
    pub ocsp_freshness_seconds: Option<i64>,
    /// Batch signatures already found valid against this configuration (see
    /// [`super::check_signed_message`]); a reloaded configuration starts empty.
    pub batch_verdicts: BatchVerdicts,
}

/// Batch signatures that passed every signature-level check, under a SHA-256 of the signature
/// and its hash-chain result, with the member whose key signed (when the CA's certificate
/// profile names members). Every message of a batch carries the same signature: the first one
/// checks it in full, the rest only their own hash chain and signer.
#[derive(Debug, Clone, Default)]
pub struct BatchVerdicts(
    std::sync::Arc<
        std::sync::Mutex<
            std::collections::HashMap<[u8; 32], Option<crate::exchange::id::ClientId>>,
        >,
    >,
);

impl BatchVerdicts {
    /// Most verdicts kept; when full, the memory starts over.
    const KEPT: usize = 4_096;

    pub fn key(signature: &[u8], result: &[u8]) -> [u8; 32] {
        use sha2::Digest as _;
        let mut h = sha2::Sha256::new();
        for part in [signature, result] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
        h.finalize().into()
    }

    /// `Some(signer)` when the batch signature under `key` passed (`signer` is `None` when the
    /// certificate profile named no member).
    pub fn get(&self, key: &[u8; 32]) -> Option<Option<crate::exchange::id::ClientId>> {
        self.0.lock().ok().and_then(|m| m.get(key).cloned())
    }

    pub fn insert(&self, key: [u8; 32], signer: Option<crate::exchange::id::ClientId>) {
        if let Ok(mut m) = self.0.lock() {
            if m.len() >= Self::KEPT {
                m.clear();
            }
            m.insert(key, signer);
        }
    }
}

impl VerificationConf {
    /// Read every `shared-params.xml` under `dir`: the directory itself and one level of
    /// instance directories, as X-Road lays out a downloaded global configuration. An empty
    /// result (no approved CA or TSA) is an error, since nothing could verify against it.
    pub fn load_dir(dir: &Path) -> Result<VerificationConf, String> {
        let mut files = Vec::new();
        let direct = dir.join("shared-params.xml");
        if direct.is_file() {
            files.push(direct);
        }
        let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut subdirs: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect();
        subdirs.sort();
        files.extend(
            subdirs
                .into_iter()
                .map(|d| d.join("shared-params.xml"))
                .filter(|f| f.is_file()),
        );
        let mut conf = VerificationConf::default();
        for f in &files {
            let bytes = std::fs::read(f).map_err(|e| format!("{}: {e}", f.display()))?;
            conf.add_shared_params(&bytes)
                .map_err(|e| format!("{}: {e}", f.display()))?;
        }
        if conf.is_empty() {
            return Err(format!(
                "no shared-params.xml with approved CAs or TSAs under {}",
                dir.display()
            ));
        }
        Ok(conf)
    }

    /// Read one instance's shared parameters and add them (a federation has several).
    pub fn add_shared_params(&mut self, bytes: &[u8]) -> Result<(), String> {
        let root = xml::parse(bytes)?;
        if root.local != "conf" {
            return Err("not a shared-parameters document (root is not 'conf')".into());
        }
        let instance = root
            .child("instanceIdentifier")
            .map(|e| e.text().trim().to_string())
            .ok_or("instanceIdentifier is missing")?;
        self.instances.push(instance);
        for ca in root.children_named("approvedCA") {
            let top_el = ca.child("topCA").ok_or("approvedCA has no topCA")?;
            let top = cert_of(top_el)?;
            let mut ocsp_certs = ocsp_of(top_el)?;
            let mut intermediates = Vec::new();
            for i in ca.children_named("intermediateCA") {
                intermediates.push(cert_of(i)?);
                ocsp_certs.extend(ocsp_of(i)?);
            }
            self.cas.push(ApprovedCa {
                name: ca.child("name").map(|n| n.text()).unwrap_or_default(),
                top,
                intermediates,
                ocsp_certs,
                certificate_profile: ca
                    .child("certificateProfileInfo")
                    .map(|p| p.text().trim().to_string()),
            });
        }
        for tsa in root.children_named("approvedTSA") {
            self.tsas.push(ApprovedTsa {
                name: tsa.child("name").map(|n| n.text()).unwrap_or_default(),
                cert: cert_of(tsa)?,
            });
        }
        if let Some(f) = root
            .child("globalSettings")
            .and_then(|g| g.child("ocspFreshnessSeconds"))
        {
            let secs: i64 = f
                .text()
                .trim()
                .parse()
                .map_err(|_| "ocspFreshnessSeconds is not a number")?;
            self.ocsp_freshness_seconds = Some(
                self.ocsp_freshness_seconds
                    .map_or(secs, |current| current.min(secs)),
            );
        }
        Ok(())
    }

    pub fn ocsp_freshness(&self) -> i64 {
        self.ocsp_freshness_seconds
            .unwrap_or(DEFAULT_OCSP_FRESHNESS_SECONDS)
    }

    pub fn is_empty(&self) -> bool {
        self.cas.is_empty() && self.tsas.is_empty()
    }
}

fn cert_of(el: &Element) -> Result<Certificate, String> {
    let text = el.child("cert").ok_or("a certificate is missing")?.text();
    decode_cert(&text)
}

fn ocsp_of(el: &Element) -> Result<Vec<Certificate>, String> {
    el.children_named("ocsp")
        .filter_map(|o| o.child("cert"))
        .map(|c| decode_cert(&c.text()))
        .collect()
}

/// Certificates in shared parameters are base64 of DER, or (in some test configurations, such
/// as globalconf_good2_v3) base64 of a PEM file; both are accepted.
pub fn decode_cert(text: &str) -> Result<Certificate, String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let clean: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = b64
        .decode(clean)
        .map_err(|e| format!("certificate is not base64: {e}"))?;
    let der = if bytes.starts_with(b"-----BEGIN") {
        let pem = String::from_utf8_lossy(&bytes);
        let body: String = pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .flat_map(|l| l.chars().filter(|c| !c.is_whitespace()))
            .collect();
        b64.decode(body)
            .map_err(|e| format!("PEM certificate is not base64: {e}"))?
    } else {
        bytes
    };
    Certificate::from_der(&der).map_err(|e| format!("certificate cannot be read: {e}"))
}
