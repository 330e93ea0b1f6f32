//! Signed checkpoints of the chain head. The signing key lives outside the
//! database (a file under the data directory, or one the operator names), so
//! someone who can rewrite the whole `audit_events` table and its head
//! consistently still cannot produce checkpoints that match the rewrite.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

/// What a checkpoint signs: a domain tag, the seq and the hash of that event.
pub fn message(seq: i64, hash: &str) -> Vec<u8> {
    format!("releasegate audit checkpoint\n{seq}\n{hash}\n").into_bytes()
}

pub struct CheckpointKey {
    signing: SigningKey,
}

impl CheckpointKey {
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self {
            signing: SigningKey::from_bytes(&seed),
        }
    }

    /// Hex of the verifying key, stored beside each checkpoint.
    pub fn public_hex(&self) -> String {
        hex::encode(self.signing.verifying_key().as_bytes())
    }

    pub fn sign(&self, seq: i64, hash: &str) -> String {
        hex::encode(self.signing.sign(&message(seq, hash)).to_bytes())
    }
}

/// Checks a checkpoint's signature with the key it names.
pub fn verify(seq: i64, hash: &str, public_hex: &str, signature_hex: &str) -> bool {
    let key = hex::decode(public_hex)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok());
    let sig = hex::decode(signature_hex)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok());
    match (key.and_then(|k| VerifyingKey::from_bytes(&k).ok()), sig) {
        (Some(key), Some(sig)) => key
            .verify(&message(seq, hash), &Signature::from_bytes(&sig))
            .is_ok(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_bind_seq_and_hash() {
        let key = CheckpointKey::from_seed([7; 32]);
        let sig = key.sign(10, "abc");
        assert!(verify(10, "abc", &key.public_hex(), &sig));
        assert!(!verify(11, "abc", &key.public_hex(), &sig));
        assert!(!verify(10, "abd", &key.public_hex(), &sig));
        let other = CheckpointKey::from_seed([8; 32]);
        assert!(!verify(10, "abc", &other.public_hex(), &sig));
        assert!(!verify(10, "abc", "zz", "zz"));
    }
}
