//! Batch time-stamping's hash chains (research notes §3.4): the SHA-512 of each record's
//! `signatures.xml` is a leaf of a Merkle tree; `ts-hashchainresult.xml` states the root's digest
//! and the time-stamp authority stamps the SHA-512 of that document's bytes; each record keeps
//! its own `ts-hashchain.xml`, the path from the root down to its `DataRef` to
//! `/META-INF/signatures.xml`, with the other branches as `HashValue`s. A step's digest is the
//! SHA-512 of the DER `SEQUENCE OF SingleDigest` of its items in order (`hashchain.rs`, checked
//! against X-Road's vectors), so the verifier walks the chain without knowing the tree.
//! A batch of one record is a chain of one step holding its `DataRef`.

use super::der;
use super::hashchain::{SHA512_URI, digest, encode_b64};

const SIGNATURES: &str = "/META-INF/signatures.xml";
const CHAIN_DOC: &str = "/ts-hashchain.xml";

/// One batch: the result document (the same for every record), what the TSA stamps, and each
/// record's chain, in the order the signature hashes were given.
#[derive(Debug, Clone)]
pub struct BatchTimestamp {
    pub result_xml: Vec<u8>,
    /// SHA-512 of `result_xml`: the RFC 3161 message imprint.
    pub imprint: Vec<u8>,
    pub chains: Vec<Vec<u8>>,
}

#[derive(Debug, Clone)]
pub(super) enum Node {
    Leaf(usize),
    Inner(Box<Node>, Box<Node>),
}

pub(super) fn sha512(bytes: &[u8]) -> Vec<u8> {
    digest(SHA512_URI, bytes).unwrap_or_default()
}

fn single_digest(value: &[u8]) -> Vec<u8> {
    let body = [
        der::encode(der::OCTET_STRING, value),
        der::encode(0x0c, SHA512_URI.as_bytes()),
        der::encode(der::SEQUENCE, &[]),
    ]
    .concat();
    der::encode(der::SEQUENCE, &body)
}

pub(super) fn step_digest(values: &[&[u8]]) -> Vec<u8> {
    let list: Vec<u8> = values.iter().flat_map(|v| single_digest(v)).collect();
    sha512(&der::encode(der::SEQUENCE, &list))
}

impl Node {
    /// The value a parent step states for this node: a leaf's signature hash, an inner node's
    /// step digest.
    pub(super) fn value(&self, leaves: &[Vec<u8>]) -> Vec<u8> {
        match self {
            Node::Leaf(i) => leaves.get(*i).cloned().unwrap_or_default(),
            Node::Inner(l, r) => step_digest(&[&l.value(leaves), &r.value(leaves)]),
        }
    }

    pub(super) fn contains(&self, leaf: usize) -> bool {
        match self {
            Node::Leaf(i) => *i == leaf,
            Node::Inner(l, r) => l.contains(leaf) || r.contains(leaf),
        }
    }
}

pub(super) fn tree(n: usize) -> Node {
    let mut level: Vec<Node> = (0..n).map(Node::Leaf).collect();
    while level.len() > 1 {
        let mut next = Vec::with_capacity(level.len().div_ceil(2));
        let mut it = level.into_iter();
        while let Some(left) = it.next() {
            match it.next() {
                Some(right) => next.push(Node::Inner(Box::new(left), Box::new(right))),
                // The odd one out moves up unchanged.
                None => next.push(left),
            }
        }
        level = next;
    }
    level.pop().unwrap_or(Node::Leaf(0))
}

fn data_ref(value: &[u8]) -> String {
    format!(
        "<DataRef URI=\"{SIGNATURES}\"><ns2:DigestValue>{}</ns2:DigestValue></DataRef>",
        encode_b64(value)
    )
}

pub(super) fn hash_value(value: &[u8]) -> String {
    format!(
        "<HashValue><ns2:DigestValue>{}</ns2:DigestValue></HashValue>",
        encode_b64(value)
    )
}

/// Record `leaf`'s chain document.
fn chain_for(root: &Node, leaf: usize, leaves: &[Vec<u8>]) -> Vec<u8> {
    let mut steps = Vec::new();
    let mut node = root;
    loop {
        let n = steps.len();
        match node {
            Node::Leaf(i) => {
                // A batch of one: the whole chain is one step with the DataRef.
                let value = leaves.get(*i).cloned().unwrap_or_default();
                steps.push(format!(
                    "<HashStep id=\"STEP{n}\">{}</HashStep>",
                    data_ref(&value)
                ));
                break;
            }
            Node::Inner(l, r) => {
                let (on_path, other, on_left) = if l.contains(leaf) {
                    (l.as_ref(), r.as_ref(), true)
                } else {
                    (r.as_ref(), l.as_ref(), false)
                };
                let here = match on_path {
                    Node::Leaf(i) => data_ref(&leaves.get(*i).cloned().unwrap_or_default()),
                    Node::Inner(..) => format!("<StepRef URI=\"#STEP{}\"/>", n + 1),
                };
                let there = hash_value(&other.value(leaves));
                let items = if on_left {
                    format!("{here}{there}")
                } else {
                    format!("{there}{here}")
                };
                steps.push(format!("<HashStep id=\"STEP{n}\">{items}</HashStep>"));
                match on_path {
                    Node::Leaf(_) => break,
                    inner => node = inner,
                }
            }
        }
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<HashChain xmlns=\"http://cyber.ee/hashchain\" xmlns:ns2=\"http://www.w3.org/2000/09/xmldsig#\"><DefaultDigestMethod Algorithm=\"{SHA512_URI}\"/>{}</HashChain>\n",
        steps.concat()
    )
    .into_bytes()
}

/// Build the batch for these signature hashes (SHA-512 of each record's `signatures.xml`).
/// `None` for an empty batch.
pub fn batch_timestamp_chain(signature_hashes: &[Vec<u8>]) -> Option<BatchTimestamp> {
    if signature_hashes.is_empty() {
        return None;
    }
    let root = tree(signature_hashes.len());
    let top = match &root {
        Node::Leaf(i) => step_digest(&[&signature_hashes.get(*i).cloned().unwrap_or_default()]),
        inner => inner.value(signature_hashes),
    };
    let result_xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<HashChainResult URI=\"{CHAIN_DOC}#STEP0\" xmlns=\"http://cyber.ee/hashchain\" xmlns:ns2=\"http://www.w3.org/2000/09/xmldsig#\"><ns2:DigestMethod Algorithm=\"{SHA512_URI}\"/><ns2:DigestValue>{}</ns2:DigestValue></HashChainResult>\n",
        encode_b64(&top)
    )
    .into_bytes();
    let chains = (0..signature_hashes.len())
        .map(|i| chain_for(&root, i, signature_hashes))
        .collect();
    Some(BatchTimestamp {
        imprint: sha512(&result_xml),
        result_xml,
        chains,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::hashchain::{HashChainError, HashChainResult, verify};
    use super::*;

    fn check(batch: &BatchTimestamp, i: usize, signature: &[u8]) -> Result<(), HashChainError> {
        let result = HashChainResult::parse(&batch.result_xml)?;
        let chain = batch.chains[i].clone();
        let resolve = move |name: &str| (name == CHAIN_DOC).then(|| chain.clone());
        let inputs = BTreeMap::from([(SIGNATURES.to_string(), signature.to_vec())]);
        verify(&result, &resolve, &inputs)
    }

    #[test]
    fn every_record_of_every_batch_size_verifies_with_the_x_road_chain_verifier() {
        for n in [1usize, 2, 3, 4, 5, 7, 8, 13] {
            let signatures: Vec<Vec<u8>> = (0..n)
                .map(|i| format!("<signature {i}/>").into_bytes())
                .collect();
            let hashes: Vec<Vec<u8>> = signatures.iter().map(|s| sha512(s)).collect();
            let batch = batch_timestamp_chain(&hashes).unwrap();
            assert_eq!(batch.imprint, sha512(&batch.result_xml));
            for (i, s) in signatures.iter().enumerate() {
                check(&batch, i, s).unwrap_or_else(|e| panic!("batch of {n}, record {i}: {e}"));
                // Another record's signature does not verify on this record's chain.
                let other = &signatures[(i + 1) % n];
                if n > 1 {
                    assert!(check(&batch, i, other).is_err(), "batch of {n}, record {i}");
                }
                // A changed signature does not.
                assert_eq!(
                    check(&batch, i, b"<tampered/>").unwrap_err().code(),
                    "hash_chain_ref_mismatch"
                );
            }
        }
        assert!(batch_timestamp_chain(&[]).is_none());
    }

    #[test]
    fn a_chain_from_another_batch_does_not_reach_this_result() {
        let a: Vec<Vec<u8>> = (0..3).map(|i| sha512(&[i])).collect();
        let b: Vec<Vec<u8>> = (3..6).map(|i| sha512(&[i])).collect();
        let (ba, bb) = (
            batch_timestamp_chain(&a).unwrap(),
            batch_timestamp_chain(&b).unwrap(),
        );
        let mixed = BatchTimestamp {
            result_xml: ba.result_xml.clone(),
            imprint: ba.imprint.clone(),
            chains: bb.chains.clone(),
        };
        assert_eq!(
            check(&mixed, 0, &[3]).unwrap_err().code(),
            "hash_chain_result_mismatch"
        );
    }
}
