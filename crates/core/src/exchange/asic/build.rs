//! Writing side of the ASiC-E support: the DER encoder of an RFC 3161 `TimeStampReq` for the
//! batch time-stamp (SHA-512 imprint, `certReq` true, a caller-supplied nonce). The HTTP TSA
//! client is built elsewhere and reuses this encoder; the container writer and the batch
//! time-stamp hash chain are not here yet.

use super::der::{self, oid};

const TAG_BOOLEAN: u8 = 0x01;
const TAG_INTEGER: u8 = 0x02;
const TAG_OCTET_STRING: u8 = 0x04;
const TAG_NULL: u8 = 0x05;
const TAG_OID: u8 = 0x06;
const TAG_SEQUENCE: u8 = 0x30;

/// The content octets of a non-negative DER INTEGER holding `value` (big-endian, unsigned):
/// leading zeros stripped, one zero byte kept in front when the top bit would read as a sign.
fn unsigned_integer_content(value: &[u8]) -> Vec<u8> {
    let trimmed: Vec<u8> = value.iter().copied().skip_while(|b| *b == 0).collect();
    match trimmed.first() {
        None => vec![0],
        Some(first) if first & 0x80 != 0 => {
            let mut out = Vec::with_capacity(trimmed.len() + 1);
            out.push(0);
            out.extend_from_slice(&trimmed);
            out
        }
        Some(_) => trimmed,
    }
}

/// The DER `TimeStampReq` (RFC 3161 §2.4.1) asking a TSA to stamp `imprint`, the SHA-512
/// digest of the batch's `ts-hashchainresult.xml`: version 1, SHA-512 with NULL parameters,
/// no policy, the `nonce` as a positive INTEGER, `certReq` TRUE (the token must carry the TSA
/// certificate so the verifier can check it), no extensions.
pub fn timestamp_request(imprint: &[u8], nonce: &[u8]) -> Vec<u8> {
    let mut algorithm = der::encode(TAG_OID, oid::SHA512);
    algorithm.extend(der::encode(TAG_NULL, &[]));
    let mut message_imprint = der::encode(TAG_SEQUENCE, &algorithm);
    message_imprint.extend(der::encode(TAG_OCTET_STRING, imprint));

    let mut body = der::encode(TAG_INTEGER, &[1]);
    body.extend(der::encode(TAG_SEQUENCE, &message_imprint));
    body.extend(der::encode(TAG_INTEGER, &unsigned_integer_content(nonce)));
    body.extend(der::encode(TAG_BOOLEAN, &[0xff]));
    der::encode(TAG_SEQUENCE, &body)
}

#[cfg(test)]
mod tests {
    use super::super::der::Tlv;
    use super::*;

    #[test]
    fn integer_content_is_minimal_and_positive() {
        assert_eq!(unsigned_integer_content(&[0, 0, 5]), vec![5]);
        assert_eq!(unsigned_integer_content(&[0x80, 1]), vec![0, 0x80, 1]);
        assert_eq!(unsigned_integer_content(&[0, 0]), vec![0]);
        assert_eq!(unsigned_integer_content(&[]), vec![0]);
    }

    #[test]
    fn timestamp_request_parses_back() {
        let imprint = ring::digest::digest(&ring::digest::SHA512, b"batch")
            .as_ref()
            .to_vec();
        let req = timestamp_request(&imprint, &[0x9a, 1, 2, 3, 4, 5, 6, 7]);
        let top = Tlv::parse(&req).unwrap().expect(TAG_SEQUENCE).unwrap();
        let mut r = top.reader();
        assert_eq!(r.next_tag(TAG_INTEGER).unwrap().content, &[1]);
        let mi = r.next_tag(TAG_SEQUENCE).unwrap();
        let mut mr = mi.reader();
        let alg = mr.next_tag(TAG_SEQUENCE).unwrap();
        assert_eq!(der::algorithm_oid(&alg).unwrap(), oid::SHA512);
        assert_eq!(
            mr.next_tag(TAG_OCTET_STRING).unwrap().content,
            imprint.as_slice()
        );
        assert!(mr.is_empty());
        assert_eq!(
            r.next_tag(TAG_INTEGER).unwrap().content,
            &[0, 0x9a, 1, 2, 3, 4, 5, 6, 7]
        );
        assert_eq!(r.next_tag(TAG_BOOLEAN).unwrap().content, &[0xff]);
        assert!(r.is_empty());
    }

    /// The independent check: `openssl ts -query` reads the request and reports its fields.
    #[test]
    fn timestamp_request_is_read_by_openssl() {
        let dir = std::env::temp_dir().join(format!("civitas-tsq-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("req.tsq");
        let imprint = ring::digest::digest(&ring::digest::SHA512, b"batch")
            .as_ref()
            .to_vec();
        std::fs::write(&path, timestamp_request(&imprint, &[0x12, 0x34])).unwrap();
        let out = std::process::Command::new("openssl")
            .args(["ts", "-query", "-in"])
            .arg(&path)
            .arg("-text")
            .output()
            .unwrap();
        std::fs::remove_dir_all(&dir).ok();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("sha512"), "{text}");
        assert!(text.contains("0x1234"), "{text}");
        assert!(text.contains("Certificate required: yes"), "{text}");
    }
}
