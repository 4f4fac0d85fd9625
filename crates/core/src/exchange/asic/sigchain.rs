//! Batch signing's hash chains (research notes §3.3; X-Road signs several messages with one
//! signature when they wait for the same key): each message is a leaf step of `DataRef`s to its
//! parts (`/message.xml`, `/attachment1`), the leaves form a Merkle tree, and the signature
//! covers `sig-hashchainresult.xml`, which states the root step's digest. Each message keeps its
//! own `sig-hashchain.xml`, the path from the root down to its leaf step. A batch of one is one
//! step with the message's `DataRef`s, as in X-Road's `valid-signed-hashchain.asice`. Step
//! digests and the tree are those of batch time-stamping (`tschain.rs`).

use super::hashchain::{SHA512_URI, encode_b64};
use super::tschain::{Node, hash_value, sha512, step_digest, tree};

/// The chain document's name in a container, as the result's `URI` names it.
pub const CHAIN_DOC: &str = "/sig-hashchain.xml";
/// The document the batch signature references.
pub const RESULT_DOC: &str = "/sig-hashchainresult.xml";

/// One batch: the result document (signed, the same for every message) and each message's
/// chain, in the order the messages were given.
#[derive(Debug, Clone)]
pub struct BatchSignatureChain {
    pub result_xml: Vec<u8>,
    pub chains: Vec<Vec<u8>>,
}

fn data_refs(parts: &[(&str, &[u8])]) -> String {
    parts
        .iter()
        .map(|(uri, data)| {
            format!(
                "<DataRef URI=\"{uri}\"><ns2:DigestValue>{}</ns2:DigestValue></DataRef>",
                encode_b64(&sha512(data))
            )
        })
        .collect()
}

fn leaf_digest(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let digests: Vec<Vec<u8>> = parts.iter().map(|(_, d)| sha512(d)).collect();
    let refs: Vec<&[u8]> = digests.iter().map(Vec::as_slice).collect();
    step_digest(&refs)
}

fn chain_for(root: &Node, leaf: usize, leaves: &[Vec<u8>], parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut steps = Vec::new();
    let mut node = root;
    loop {
        let n = steps.len();
        match node {
            Node::Leaf(_) => {
                steps.push(format!(
                    "<HashStep id=\"STEP{n}\">{}</HashStep>",
                    data_refs(parts)
                ));
                break;
            }
            Node::Inner(l, r) => {
                let (on_path, other, on_left) = if l.contains(leaf) {
                    (l.as_ref(), r.as_ref(), true)
                } else {
                    (r.as_ref(), l.as_ref(), false)
                };
                // The next step is the branch on the path (or the message's own leaf step).
                let here = format!("<StepRef URI=\"#STEP{}\"/>", n + 1);
                let there = hash_value(&other.value(leaves));
                let items = if on_left {
                    format!("{here}{there}")
                } else {
                    format!("{there}{here}")
                };
                steps.push(format!("<HashStep id=\"STEP{n}\">{items}</HashStep>"));
                node = on_path;
            }
        }
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<HashChain xmlns=\"http://cyber.ee/hashchain\" xmlns:ns2=\"http://www.w3.org/2000/09/xmldsig#\"><DefaultDigestMethod Algorithm=\"{SHA512_URI}\"/>{}</HashChain>\n",
        steps.concat()
    )
    .into_bytes()
}

/// Build the chains for these messages, each a list of (container path, bytes). `None` for an
/// empty batch.
pub fn batch_signature_chain(messages: &[Vec<(&str, &[u8])>]) -> Option<BatchSignatureChain> {
    if messages.is_empty() {
        return None;
    }
    let leaves: Vec<Vec<u8>> = messages.iter().map(|m| leaf_digest(m)).collect();
    let root = tree(messages.len());
    let top = root.value(&leaves);
    let result_xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<HashChainResult URI=\"{CHAIN_DOC}#STEP0\" xmlns=\"http://cyber.ee/hashchain\" xmlns:ns2=\"http://www.w3.org/2000/09/xmldsig#\"><ns2:DigestMethod Algorithm=\"{SHA512_URI}\"/><ns2:DigestValue>{}</ns2:DigestValue></HashChainResult>\n",
        encode_b64(&top)
    )
    .into_bytes();
    let chains = messages
        .iter()
        .enumerate()
        .map(|(i, parts)| chain_for(&root, i, &leaves, parts))
        .collect();
    Some(BatchSignatureChain { result_xml, chains })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::hashchain::{HashChainError, HashChainResult, verify};
    use super::*;

    fn check(
        batch: &BatchSignatureChain,
        i: usize,
        parts: &[(&str, &[u8])],
    ) -> Result<(), HashChainError> {
        let result = HashChainResult::parse(&batch.result_xml)?;
        let chain = batch.chains[i].clone();
        let resolve = move |name: &str| (name == CHAIN_DOC).then(|| chain.clone());
        let inputs: BTreeMap<String, Vec<u8>> = parts
            .iter()
            .map(|(u, d)| ((*u).to_string(), d.to_vec()))
            .collect();
        verify(&result, &resolve, &inputs)
    }

    #[test]
    fn every_message_of_every_batch_size_verifies_with_the_x_road_chain_verifier() {
        for n in [1usize, 2, 3, 4, 5, 8, 13] {
            let bodies: Vec<(Vec<u8>, Vec<u8>)> = (0..n)
                .map(|i| {
                    (
                        format!("GET\r\n/r1/x/{i}\r\n").into_bytes(),
                        vec![i as u8; 10],
                    )
                })
                .collect();
            let messages: Vec<Vec<(&str, &[u8])>> = bodies
                .iter()
                .enumerate()
                .map(|(i, (m, b))| {
                    if i % 2 == 0 {
                        vec![
                            ("/message.xml", m.as_slice()),
                            ("/attachment1", b.as_slice()),
                        ]
                    } else {
                        vec![("/message.xml", m.as_slice())]
                    }
                })
                .collect();
            let batch = batch_signature_chain(&messages).unwrap();
            for (i, parts) in messages.iter().enumerate() {
                check(&batch, i, parts)
                    .unwrap_or_else(|e| panic!("batch of {n}, message {i}: {e}"));
                let mut changed = parts.clone();
                changed[0].1 = b"GET\r\n/r1/x/other\r\n";
                assert!(
                    check(&batch, i, &changed).is_err(),
                    "batch of {n}, message {i}"
                );
            }
        }
        assert!(batch_signature_chain(&[]).is_none());
    }
}
