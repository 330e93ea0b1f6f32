//! Receipts: one audit event with everything needed to prove, offline and
//! with only the log's public key, that the log holds it — its leaf index,
//! an RFC 6962 inclusion proof and the signed checkpoint the proof leads to
//! (the idea of C2SP `tlog-proof`, with the event itself inside).
//!
//! A receipt is JSON; its content is checked in its RFC 8785 canonical form,
//! so reformatting it is harmless but changing any value is not.

use serde::{Deserialize, Serialize};
use signed_note::StandardVerifier;

use super::checkpoint::{self, Verified};
use super::{chain_hash, merkle, Event};

/// Names the format, so a reader knows what it holds.
pub const FORMAT: &str = "releasegate.audit.receipt/v1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// Always `releasegate.audit.receipt/v1`.
    pub format: String,
    pub event: Event,
    /// The event's leaf in the tree: its seq - 1.
    pub leaf_index: u64,
    /// Events in the tree the proof is for: the checkpoint's size.
    pub tree_size: u64,
    /// The audit path (RFC 6962 §2.1.1), lowercase hex, nearest the leaf first.
    pub inclusion: Vec<String>,
    /// The signed checkpoint (C2SP signed note) the path leads to.
    pub checkpoint: String,
}

impl Receipt {
    pub fn new(event: Event, size: u64, proof: &[merkle::Hash], checkpoint: String) -> Self {
        Self {
            format: FORMAT.into(),
            leaf_index: event.seq as u64 - 1,
            event,
            tree_size: size,
            inclusion: proof.iter().map(merkle::to_hex).collect(),
            checkpoint,
        }
    }

    /// The receipt as a file: its canonical JSON.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json_canonicalizer::to_vec(self).unwrap_or_default()
    }
}

/// Checks a receipt file against the log's verifier key: the bytes hold one
/// receipt, nothing else; the checkpoint is signed by `log_key`; the event's
/// hash matches its content; and the inclusion proof leads from the event
/// to the checkpoint's root. Returns the checkpoint it was proven against.
pub fn verify(bytes: &[u8], log_key: &StandardVerifier) -> Result<(Receipt, Verified), String> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("not a receipt: {e}"))?;
    let receipt: Receipt =
        serde_json::from_value(value.clone()).map_err(|e| format!("not a receipt: {e}"))?;
    // Any value that only parses alike (a time zone written `z`, a number
    // written otherwise) is a changed receipt.
    let canonical = serde_json_canonicalizer::to_vec(&value).map_err(|e| e.to_string())?;
    if canonical != receipt.to_bytes() {
        return Err("the receipt is not in its canonical form: a value was changed".into());
    }
    if receipt.format != FORMAT {
        return Err(format!("unknown receipt format {:?}", receipt.format));
    }
    let origin = signed_note::Verifier::name(log_key);
    let signed = checkpoint::open(
        receipt.checkpoint.as_bytes(),
        origin,
        std::slice::from_ref(log_key),
    )
    .map_err(|e| format!("checkpoint: {e}"))?;
    if signed.size != receipt.tree_size {
        return Err("the tree size differs from the checkpoint's".into());
    }
    let event = &receipt.event;
    if u64::try_from(event.seq).ok() != receipt.leaf_index.checked_add(1) {
        return Err("the leaf index is not the event's".into());
    }
    let canonical = event.canonical();
    if chain_hash(&event.prev_hash, &canonical) != event.hash {
        return Err("the event's hash does not match its content".into());
    }
    let proof = receipt
        .inclusion
        .iter()
        .map(|h| {
            merkle::from_hex(h)
                .filter(|hash| merkle::to_hex(hash) == *h)
                .ok_or_else(|| format!("{h:?} is not a lowercase hex hash"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let leaf = merkle::leaf_hash(&canonical);
    if !merkle::check_inclusion(&proof, receipt.leaf_index, signed.size, leaf, signed.root) {
        return Err("the inclusion proof does not lead to the checkpoint's root".into());
    }
    Ok((receipt, signed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::checkpoint::CheckpointKey;
    use crate::audit::{now, seal, Draft, GENESIS_HASH};

    fn receipt_and_key() -> (Vec<u8>, StandardVerifier) {
        let key = CheckpointKey::from_seed([3; 32], Some("gov.example/audit")).unwrap();
        let mut tree = merkle::MemoryTree::default();
        let mut prev = GENESIS_HASH.to_string();
        let mut events = Vec::new();
        for seq in 1..=6 {
            let draft = Draft {
                at: now(),
                actor: "secrecy".into(),
                action: "stage.decided".into(),
                release_id: Some("01RELEASE".into()),
                version: Some(1),
                details: serde_json::json!({"stage": "secrecy_review", "decision": "approve", "n": seq}),
            };
            let (event, canonical) = seal(draft, seq, &prev);
            prev = event.hash.clone();
            tree.push(merkle::leaf_hash(&canonical));
            events.push(event);
        }
        let root = merkle::root(6, &tree).unwrap();
        let note = key.sign(6, root).unwrap();
        let proof = merkle::inclusion_proof(3, 6, &tree).unwrap();
        let receipt = Receipt::new(events[3].clone(), 6, &proof, note);
        (
            receipt.to_bytes(),
            checkpoint::verifier(&key.verifier_key()).unwrap(),
        )
    }

    #[test]
    fn a_receipt_verifies_with_the_public_key_alone() {
        let (bytes, key) = receipt_and_key();
        let (receipt, signed) = verify(&bytes, &key).unwrap();
        assert_eq!((receipt.event.seq, signed.size), (4, 6));
        // Reformatting is not a change.
        let pretty = serde_json::to_vec_pretty(
            &serde_json::from_slice::<serde_json::Value>(&bytes).unwrap(),
        )
        .unwrap();
        assert!(verify(&pretty, &key).is_ok());
        let other = CheckpointKey::from_seed([4; 32], Some("gov.example/audit")).unwrap();
        let other = checkpoint::verifier(&other.verifier_key()).unwrap();
        assert!(verify(&bytes, &other).is_err());
    }

    #[test]
    fn changing_any_byte_of_a_receipt_breaks_it() {
        let (bytes, key) = receipt_and_key();
        for i in 0..bytes.len() {
            for bit in [0x01u8, 0x20] {
                let mut changed = bytes.clone();
                changed[i] ^= bit;
                assert!(
                    verify(&changed, &key).is_err(),
                    "byte {i} ({:?}) ^ {bit:#x} still verifies",
                    bytes[i] as char
                );
            }
        }
    }
}
