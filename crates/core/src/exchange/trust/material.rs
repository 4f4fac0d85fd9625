//! Key material for the trust services, from PEM files: the TSA certificates whose tokens are
//! accepted, the gateway's own certificate and its issuer (whose OCSP status is fetched), and
//! the OCSP responder certificates. Only certificates are needed: neither an RFC 3161 request
//! nor an OCSP request is signed.

use base64::Engine as _;

use crate::exchange::asic::x509::Certificate;

/// Every `CERTIFICATE` block of a PEM text, in order; a text without PEM blocks is read as one
/// DER certificate. Other blocks (keys) are skipped, never returned or logged.
pub fn certs_from_pem(bytes: &[u8]) -> Result<Vec<Certificate>, String> {
    let text = String::from_utf8_lossy(bytes);
    if !text.contains("-----BEGIN") {
        return Certificate::from_der(bytes)
            .map(|c| vec![c])
            .map_err(|e| format!("not PEM, and not a DER certificate: {e}"));
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut out = Vec::new();
    let mut body: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if line == "-----BEGIN CERTIFICATE-----" {
            body = Some(String::new());
        } else if line == "-----END CERTIFICATE-----" {
            let Some(b) = body.take() else {
                return Err("an END CERTIFICATE line without its BEGIN".into());
            };
            let der = b64
                .decode(b)
                .map_err(|e| format!("certificate {} is not base64: {e}", out.len() + 1))?;
            out.push(
                Certificate::from_der(&der)
                    .map_err(|e| format!("certificate {} cannot be read: {e}", out.len() + 1))?,
            );
        } else if let Some(b) = body.as_mut() {
            b.push_str(line);
        }
    }
    if body.is_some() {
        return Err("a certificate has no END line".into());
    }
    if out.is_empty() {
        return Err("no CERTIFICATE block".into());
    }
    Ok(out)
}

/// Read the certificates of a PEM (or DER) file; the error names the file.
pub fn load_certs(path: &std::path::Path) -> Result<Vec<Certificate>, String> {
    let bytes =
        std::fs::read(path).map_err(|e| format!("{} cannot be read: {e}", path.display()))?;
    certs_from_pem(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// The one certificate of a file (the first, when it holds a chain).
pub fn load_cert(path: &std::path::Path) -> Result<Certificate, String> {
    load_certs(path)?
        .into_iter()
        .next()
        .ok_or_else(|| format!("{}: no certificate", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_and_half_blocks_are_refused_with_a_reason() {
        assert!(certs_from_pem(b"hello").is_err());
        let e = certs_from_pem(b"-----BEGIN CERTIFICATE-----\nAAAA\n").unwrap_err();
        assert!(e.contains("END"), "{e}");
        let e = certs_from_pem(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
            .unwrap_err();
        assert!(e.contains("no CERTIFICATE"), "{e}");
        let e = certs_from_pem(b"-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n")
            .unwrap_err();
        assert!(e.contains("base64"), "{e}");
    }
}
