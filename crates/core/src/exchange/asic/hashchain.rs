//! X-Road hash chains (namespace `http://cyber.ee/hashchain`): a Merkle tree of digests, so one
//! signature or one time-stamp covers many parts or many messages. Each `HashStep` is hashed as
//! the DER `SEQUENCE OF SingleDigest`, `SingleDigest ::= SEQUENCE { digest OCTET STRING,
//! digestMethod UTF8String, transforms SEQUENCE {} }` (research notes §3.3, checked against the
//! `hc-verifier*` vectors). Verifying walks from the `HashChainResult` down to the data.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;

use super::der;
use super::xml::{self, C14nMode, Element};

pub const SHA256_URI: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
pub const SHA512_URI: &str = "http://www.w3.org/2001/04/xmlenc#sha512";
pub const SHA384_URI: &str = "http://www.w3.org/2001/04/xmldsig-more#sha384";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashChainError {
    /// Not a well-formed hash chain or result document, or a reference that leads nowhere.
    Malformed(String),
    /// A `DataRef` to a part we hold states a digest the part does not have.
    RefMismatch(String),
    /// Parts we hold that the chain never reaches: the chain does not cover them.
    UnusedInputs(Vec<String>),
    /// The chain computes to another value than its `HashChainResult` states.
    ResultMismatch,
}

impl HashChainError {
    pub fn code(&self) -> &'static str {
        match self {
            HashChainError::Malformed(_) => "hash_chain_malformed",
            HashChainError::RefMismatch(_) => "hash_chain_ref_mismatch",
            HashChainError::UnusedInputs(_) => "hash_chain_unused_inputs",
            HashChainError::ResultMismatch => "hash_chain_result_mismatch",
        }
    }
}

impl std::fmt::Display for HashChainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HashChainError::Malformed(m) => write!(f, "malformed hash chain: {m}"),
            HashChainError::RefMismatch(uri) => {
                write!(f, "the hash chain states another digest for {uri}")
            }
            HashChainError::UnusedInputs(u) => {
                write!(f, "the hash chain does not cover {}", u.join(", "))
            }
            HashChainError::ResultMismatch => {
                write!(f, "the hash chain does not compute to its stated result")
            }
        }
    }
}

fn malformed(m: impl Into<String>) -> HashChainError {
    HashChainError::Malformed(m.into())
}

/// Digest by XML-DSig algorithm URI.
pub fn digest(method: &str, data: &[u8]) -> Option<Vec<u8>> {
    use ring::digest as d;
    let alg = match method {
        SHA512_URI => &d::SHA512,
        SHA256_URI => &d::SHA256,
        SHA384_URI => &d::SHA384,
        _ => return None,
    };
    Some(d::digest(alg, data).as_ref().to_vec())
}

pub fn encode_b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn decode_b64(text: &str) -> Option<Vec<u8>> {
    let engine = &base64::engine::general_purpose::STANDARD;
    // Most values carry no line breaks: decode them as they are, without a cleaned copy.
    if text
        .bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_whitespace())
    {
        return engine.decode(text).ok();
    }
    let clean: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    engine.decode(clean).ok()
}

/// `<HashChainResult URI="/x.xml#STEP0"><DigestMethod/><DigestValue/></HashChainResult>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashChainResult {
    pub uri: String,
    pub digest_method: String,
    pub digest: Vec<u8>,
}

impl HashChainResult {
    pub fn parse(bytes: &[u8]) -> Result<Self, HashChainError> {
        let root = xml::parse(bytes).map_err(malformed)?;
        if root.local != "HashChainResult" {
            return Err(malformed("the root element is not HashChainResult"));
        }
        let uri = root
            .attr("URI")
            .ok_or_else(|| malformed("HashChainResult has no URI"))?
            .to_string();
        let digest_method = root
            .child("DigestMethod")
            .and_then(|m| m.attr("Algorithm"))
            .ok_or_else(|| malformed("HashChainResult has no DigestMethod"))?
            .to_string();
        let digest = root
            .child("DigestValue")
            .and_then(|v| decode_b64(&v.text()))
            .ok_or_else(|| malformed("HashChainResult has no DigestValue"))?;
        Ok(HashChainResult {
            uri,
            digest_method,
            digest,
        })
    }
}

/// One hash chain document (possibly one of several a chain spans).
struct ChainDoc {
    default_method: String,
    steps: BTreeMap<String, Element>,
}

impl ChainDoc {
    fn parse(bytes: &[u8]) -> Result<Self, HashChainError> {
        let root = xml::parse(bytes).map_err(malformed)?;
        if root.local != "HashChain" {
            return Err(malformed("the root element is not HashChain"));
        }
        let mut default_method = SHA512_URI.to_string();
        let mut steps = BTreeMap::new();
        for el in root.elements() {
            match el.local.as_str() {
                "DefaultDigestMethod" => {
                    default_method = el
                        .attr("Algorithm")
                        .ok_or_else(|| malformed("DefaultDigestMethod has no Algorithm"))?
                        .to_string();
                }
                "HashStep" => {
                    let id = el
                        .attr("id")
                        .ok_or_else(|| malformed("HashStep has no id"))?;
                    validate_step(el)?;
                    steps.insert(id.to_string(), el.clone());
                }
                other => {
                    return Err(malformed(format!(
                        "unexpected element {other} in HashChain"
                    )));
                }
            }
        }
        Ok(ChainDoc {
            default_method,
            steps,
        })
    }
}

/// The schema of a step (`hashchain.xsd`): only HashValue, StepRef and DataRef, each with only
/// the children it may have.
fn validate_step(step: &Element) -> Result<(), HashChainError> {
    for item in step.elements() {
        let allowed: &[&str] = match item.local.as_str() {
            "HashValue" => &["DigestMethod", "DigestValue"],
            "StepRef" => &[],
            "DataRef" => &["Transforms", "DigestMethod", "DigestValue"],
            other => return Err(malformed(format!("unexpected element {other} in HashStep"))),
        };
        for c in item.elements() {
            if !allowed.contains(&c.local.as_str()) {
                return Err(malformed(format!(
                    "unexpected element {} in {}",
                    c.local, item.local
                )));
            }
        }
        if item.local != "StepRef" && item.child("DigestValue").is_none() {
            return Err(malformed(format!("{} has no DigestValue", item.local)));
        }
        if item.local != "HashValue" && item.attr("URI").is_none() {
            return Err(malformed(format!("{} has no URI", item.local)));
        }
    }
    Ok(())
}

/// Apply a DataRef's transforms to a part before digesting (only Canonical XML is defined).
fn transformed(data: &[u8], item: &Element) -> Result<Vec<u8>, HashChainError> {
    let Some(transforms) = item.child("Transforms") else {
        return Ok(data.to_vec());
    };
    let mut current = data.to_vec();
    for t in transforms.children_named("Transform") {
        let alg = t.attr("Algorithm").unwrap_or_default();
        let mode = C14nMode::from_uri(alg)
            .ok_or_else(|| malformed(format!("unsupported transform {alg}")))?;
        let root = xml::parse(&current).map_err(malformed)?;
        current = xml::canonicalize_document(&root, mode).into_bytes();
    }
    Ok(current)
}

struct Walk<'a> {
    docs: BTreeMap<String, ChainDoc>,
    resolve: &'a dyn Fn(&str) -> Option<Vec<u8>>,
    inputs: &'a BTreeMap<String, Vec<u8>>,
    used: BTreeSet<String>,
    visiting: BTreeSet<(String, String)>,
}

impl Walk<'_> {
    fn doc(&mut self, name: &str) -> Result<&ChainDoc, HashChainError> {
        if !self.docs.contains_key(name) {
            let bytes = (self.resolve)(name)
                .ok_or_else(|| malformed(format!("hash chain document {name} is missing")))?;
            let doc = ChainDoc::parse(&bytes)?;
            self.docs.insert(name.to_string(), doc);
        }
        self.docs
            .get(name)
            .ok_or_else(|| malformed(format!("hash chain document {name} is missing")))
    }

    /// The digest of one step, by URI (`/doc.xml#STEPn` or `#STEPn` within `current_doc`).
    fn step_digest(&mut self, uri: &str, current_doc: &str) -> Result<Vec<u8>, HashChainError> {
        let (doc_name, step_id) = uri
            .split_once('#')
            .ok_or_else(|| malformed(format!("step reference {uri} has no fragment")))?;
        let doc_name = if doc_name.is_empty() {
            current_doc.to_string()
        } else {
            doc_name.to_string()
        };
        let key = (doc_name.clone(), step_id.to_string());
        if !self.visiting.insert(key.clone()) {
            return Err(malformed(format!("step {uri} is reached twice")));
        }
        let (default_method, step) = {
            let doc = self.doc(&doc_name)?;
            let step = doc
                .steps
                .get(step_id)
                .cloned()
                .ok_or_else(|| malformed(format!("step {uri} does not exist")))?;
            (doc.default_method.clone(), step)
        };
        let mut list = Vec::new();
        for item in step.elements() {
            let method = item
                .child("DigestMethod")
                .and_then(|m| m.attr("Algorithm"))
                .unwrap_or(&default_method)
                .to_string();
            let value = match item.local.as_str() {
                "StepRef" => self.step_digest(item.attr("URI").unwrap_or_default(), &doc_name)?,
                "HashValue" => stated(item)?,
                _ => {
                    let uri = item.attr("URI").unwrap_or_default().to_string();
                    let stated = stated(item)?;
                    if let Some(data) = self.inputs.get(&uri) {
                        let actual = digest(&method, &transformed(data, item)?)
                            .ok_or_else(|| malformed(format!("unsupported digest {method}")))?;
                        if actual != stated {
                            return Err(HashChainError::RefMismatch(uri));
                        }
                        self.used.insert(uri);
                    }
                    stated
                }
            };
            list.extend(single_digest(&value, &method));
        }
        digest(&default_method, &der::encode(der::SEQUENCE, &list))
            .ok_or_else(|| malformed(format!("unsupported digest {default_method}")))
    }
}

fn stated(item: &Element) -> Result<Vec<u8>, HashChainError> {
    item.child("DigestValue")
        .and_then(|v| decode_b64(&v.text()))
        .ok_or_else(|| malformed(format!("{} has a bad DigestValue", item.local)))
}

pub(crate) fn single_digest(value: &[u8], method: &str) -> Vec<u8> {
    let body = [
        der::encode(der::OCTET_STRING, value),
        der::encode(0x0c, method.as_bytes()),
        der::encode(der::SEQUENCE, &[]),
    ]
    .concat();
    der::encode(der::SEQUENCE, &body)
}

/// Verify a hash chain: from `result`, documents are fetched through `resolve` (by the name in
/// the URIs, e.g. `/sig-hashchain.xml`), and every part in `inputs` (by URI, e.g.
/// `/message.xml`) must be reached with its true digest.
pub fn verify(
    result: &HashChainResult,
    resolve: &dyn Fn(&str) -> Option<Vec<u8>>,
    inputs: &BTreeMap<String, Vec<u8>>,
) -> Result<(), HashChainError> {
    let mut walk = Walk {
        docs: BTreeMap::new(),
        resolve,
        inputs,
        used: BTreeSet::new(),
        visiting: BTreeSet::new(),
    };
    let (doc, _) = result
        .uri
        .split_once('#')
        .ok_or_else(|| malformed("HashChainResult URI has no fragment"))?;
    let top = walk.step_digest(&result.uri, doc)?;
    let unused: Vec<String> = inputs
        .keys()
        .filter(|k| !walk.used.contains(*k))
        .cloned()
        .collect();
    if !unused.is_empty() {
        return Err(HashChainError::UnusedInputs(unused));
    }
    if top != result.digest {
        return Err(HashChainError::ResultMismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! hc {
        ($name:literal) => {
            include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../fixtures/xroad/hashchain/",
                $name
            ))
            .to_vec()
        };
    }

    fn check(
        result: Vec<u8>,
        docs: Vec<(&'static str, Vec<u8>)>,
        inputs: Vec<(&str, Vec<u8>)>,
    ) -> Result<(), HashChainError> {
        let result = HashChainResult::parse(&result)?;
        let docs: BTreeMap<&str, Vec<u8>> = docs.into_iter().collect();
        let resolve = |name: &str| docs.get(name).cloned();
        let inputs = inputs
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        verify(&result, &resolve, &inputs)
    }

    #[test]
    fn the_x_road_hash_chain_vectors_give_x_roads_verdicts() {
        // 1: two steps, the message as input.
        check(
            hc!("hc-verifier1-hashchainresult.xml"),
            vec![("/hashchain.xml", hc!("hc-verifier1-hashchain.xml"))],
            vec![("/message.xml", hc!("hc-verifier1-message.xml"))],
        )
        .unwrap();
        // 2: stated digests only (no part held): the chain still computes to its result.
        check(
            hc!("hc-verifier2-hashchainresult.xml"),
            vec![("/hashchain.xml", hc!("hc-verifier2-hashchain.xml"))],
            vec![],
        )
        .unwrap();
        // 3: the message is digested after Canonical XML (its comment goes)...
        check(
            hc!("hc-verifier3-hashchainresult.xml"),
            vec![("/hashchain.xml", hc!("hc-verifier3-hashchain.xml"))],
            vec![("/message.xml", hc!("hc-verifier3-message.xml"))],
        )
        .unwrap();
        // ...and without the transform the stated digest is wrong.
        assert_eq!(
            check(
                hc!("hc-verifier3-hashchainresult.xml"),
                vec![("/hashchain.xml", hc!("hc-verifier3-hashchain-invalid.xml"))],
                vec![("/message.xml", hc!("hc-verifier3-message.xml"))],
            ),
            Err(HashChainError::RefMismatch("/message.xml".into()))
        );
        // 4: a chain spread over two documents.
        check(
            hc!("hc-verifier4-hashchainresult.xml"),
            vec![
                ("/hashchain.xml", hc!("hc-verifier4-hashchain1.xml")),
                ("/hashchain2.xml", hc!("hc-verifier4-hashchain2.xml")),
            ],
            vec![("/message.xml", hc!("hc-verifier4-message.xml"))],
        )
        .unwrap();
        // 5: an element the schema does not allow.
        let err = check(
            hc!("hc-verifier3-hashchainresult.xml"),
            vec![(
                "/hashchain.xml",
                hc!("hc-verifier5-hashchain-invalid-schema.xml"),
            )],
            vec![],
        )
        .unwrap_err();
        assert_eq!(err.code(), "hash_chain_malformed");
    }

    #[test]
    fn a_part_the_chain_does_not_reach_or_a_wrong_result_is_refused() {
        let err = check(
            hc!("hc-verifier1-hashchainresult.xml"),
            vec![("/hashchain.xml", hc!("hc-verifier1-hashchain.xml"))],
            vec![
                ("/message.xml", hc!("hc-verifier1-message.xml")),
                ("/attachment1", b"extra".to_vec()),
            ],
        )
        .unwrap_err();
        assert_eq!(
            err,
            HashChainError::UnusedInputs(vec!["/attachment1".into()])
        );
        // hc2's result against hc1's chain.
        let err = check(
            hc!("hc-verifier2-hashchainresult.xml"),
            vec![("/hashchain.xml", hc!("hc-verifier1-hashchain.xml"))],
            vec![],
        )
        .unwrap_err();
        assert_eq!(err, HashChainError::ResultMismatch);
        // A missing document and a self-referencing step are malformed, not a crash.
        let missing = check(hc!("hc-verifier4-hashchainresult.xml"), vec![], vec![]).unwrap_err();
        assert_eq!(missing.code(), "hash_chain_malformed");
        let looped = br##"<HashChain xmlns="http://cyber.ee/hashchain"><HashStep id="STEP0"><StepRef URI="#STEP0"/></HashStep></HashChain>"##;
        let err = check(
            hc!("hc-verifier1-hashchainresult.xml"),
            vec![("/hashchain.xml", looped.to_vec())],
            vec![],
        )
        .unwrap_err();
        assert_eq!(err.code(), "hash_chain_malformed");
    }
}
