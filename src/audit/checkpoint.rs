//! Signed checkpoints of the audit tree, in the formats transparency logs
//! share: the body is a C2SP `tlog-checkpoint` (origin, tree size, base64
//! root hash), signed as a C2SP `signed-note` with Ed25519. Anyone holding
//! the verifier key (`/public/audit/key`) checks one with the Go `note`
//! package, this binary, or a few lines of any language.
//!
//! The signing key lives outside the database (a file the operator names),
//! so someone who can rewrite every audit table consistently still cannot
//! produce a checkpoint that matches the rewrite.

use ed25519_dalek::{Signer as _, SigningKey};
use signed_note::{Note, NoteError, StandardVerifier, VerifierList};
use tlog_tiles::Checkpoint;

use super::merkle::Hash;

/// The deployment's checkpoint signer: an Ed25519 key and the log's origin,
/// which is also the key's name in the note.
pub struct CheckpointKey {
    signing: SigningKey,
    origin: String,
    id: u32,
}

/// The signature-type byte of Ed25519 in signed notes.
const ALG_ED25519: u8 = 1;

impl CheckpointKey {
    /// `origin` names the log in every checkpoint: a schema-less URL without
    /// spaces or `+` (C2SP); `None` derives a stable one from the key.
    pub fn from_seed(seed: [u8; 32], origin: Option<&str>) -> Result<Self, String> {
        let signing = SigningKey::from_bytes(&seed);
        let origin = match origin {
            Some(origin) => origin.to_string(),
            None => format!(
                "releasegate.audit/{}",
                hex::encode(&signing.verifying_key().as_bytes()[..8])
            ),
        };
        if !signed_note::is_key_name_valid(&origin) {
            return Err(format!(
                "the audit log origin {origin:?} may hold no spaces and no '+'"
            ));
        }
        let public = [
            &[ALG_ED25519],
            signing.verifying_key().as_bytes().as_slice(),
        ]
        .concat();
        let id = signed_note::key_id(&origin, &public);
        Ok(Self {
            signing,
            origin,
            id,
        })
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The verifier key, `<origin>+<key id>+<base64 key>` (C2SP note format).
    pub fn verifier_key(&self) -> String {
        signed_note::new_ed25519_verifier_key(&self.origin, &self.signing.verifying_key())
    }

    /// The signed note for the tree of `size` leaves with root `root`.
    pub fn sign(&self, size: u64, root: Hash) -> Result<String, String> {
        let body = Checkpoint::new(&self.origin, size, root, "")
            .map_err(|e| e.to_string())?
            .to_bytes();
        let mut note = Note::new(&body, &[]).map_err(|e| e.to_string())?;
        note.add_sigs(&[self]).map_err(|e| e.to_string())?;
        String::from_utf8(note.to_bytes()).map_err(|e| e.to_string())
    }
}

impl signed_note::Signer for CheckpointKey {
    fn name(&self) -> &str {
        &self.origin
    }

    fn key_id(&self) -> u32 {
        self.id
    }

    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, ed25519_dalek::SignatureError> {
        Ok(self.signing.sign(msg).to_bytes().to_vec())
    }
}

/// A checkpoint whose signature by the trusted key has been checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    /// Names of the keys among `verifiers` that signed it.
    pub signed_by: Vec<String>,
}

/// Checks that `line` (a signed-note signature line, `— name base64`) is a
/// valid signature by `cosigner` over the text of the checkpoint `note`.
pub fn check_cosignature(
    note: &[u8],
    line: &str,
    cosigner: &StandardVerifier,
) -> Result<(), String> {
    let parsed = Note::from_bytes(note).map_err(|e| format!("not a signed note: {e}"))?;
    let signature = signed_note::Signature::from_bytes(line.trim_end_matches('\n').as_bytes())
        .map_err(|_| "not a signature line (— name base64)".to_string())?;
    let key = cosigner as &dyn signed_note::Verifier;
    if signature.name() != key.name() || signature.id() != key.key_id() {
        return Err(format!(
            "signed by {}, not {}",
            signature.name(),
            key.name()
        ));
    }
    if !key.verify(parsed.text(), signature.signature()) {
        return Err(format!(
            "the signature by {} does not match this checkpoint",
            key.name()
        ));
    }
    Ok(())
}

/// The signature line `signer` adds to the checkpoint `note`, after
/// checking that the log's key signed it: what a co-signer publishes.
pub fn cosign(
    note: &[u8],
    log_key: &StandardVerifier,
    signer: &signed_note::StandardSigner,
) -> Result<String, String> {
    let origin = signed_note::Verifier::name(log_key);
    open(note, origin, std::slice::from_ref(log_key))?;
    let text = Note::from_bytes(note).map_err(|e| e.to_string())?;
    let mut own = Note::new(text.text(), &[]).map_err(|e| e.to_string())?;
    own.add_sigs(&[signer]).map_err(|e| e.to_string())?;
    let signed = own.to_bytes();
    // The note is its text, a blank line, then our one signature line.
    let line = &signed[text.text().len() + 1..];
    String::from_utf8(line.to_vec()).map_err(|e| e.to_string())
}

/// Parses a verifier key line (`name+id+base64`).
pub fn verifier(key: &str) -> Result<StandardVerifier, String> {
    StandardVerifier::new(key.trim()).map_err(|e| format!("not a note verifier key: {e}"))
}

/// Parses `note` and checks that every key in `required` signed it, for the
/// log `origin`. Signatures by other keys are ignored, as C2SP prescribes.
pub fn open(note: &[u8], origin: &str, required: &[StandardVerifier]) -> Result<Verified, String> {
    let parsed = Note::from_bytes(note).map_err(|e| format!("not a signed note: {e}"))?;
    let known = VerifierList::new(
        required
            .iter()
            .map(|v| Box::new(v.clone()) as Box<dyn signed_note::Verifier>)
            .collect(),
    );
    let (verified, _) = parsed.verify(&known).map_err(|e| match e {
        NoteError::UnverifiedNote => "not signed by the trusted key".to_string(),
        other => other.to_string(),
    })?;
    let signed_by: Vec<String> = verified.iter().map(|s| s.name().to_string()).collect();
    for key in required {
        let signed = verified.iter().any(|s| {
            s.name() == signed_note::Verifier::name(key)
                && s.id() == signed_note::Verifier::key_id(key)
        });
        if !signed {
            return Err(format!(
                "not signed by {}",
                signed_note::Verifier::name(key)
            ));
        }
    }
    let body = Checkpoint::from_bytes(parsed.text())
        .map_err(|_| "the note is not a checkpoint (origin, size, root hash)".to_string())?;
    if body.origin() != origin {
        return Err(format!(
            "the checkpoint is for the log {:?}, not {origin:?}",
            body.origin()
        ));
    }
    Ok(Verified {
        origin: body.origin().to_string(),
        size: body.size(),
        root: *body.hash(),
        signed_by,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::merkle::{leaf_hash, Frontier};

    fn root_of(n: u8) -> Hash {
        let mut f = Frontier::default();
        for i in 0..n {
            f.push(leaf_hash(&[i]));
        }
        f.root()
    }

    #[test]
    fn a_checkpoint_opens_with_its_key_and_no_other() {
        let key = CheckpointKey::from_seed([7; 32], Some("gov.example/audit")).unwrap();
        let note = key.sign(10, root_of(10)).unwrap();
        assert!(note.starts_with("gov.example/audit\n10\n"), "{note}");
        let trusted = verifier(&key.verifier_key()).unwrap();
        let opened = open(
            note.as_bytes(),
            "gov.example/audit",
            std::slice::from_ref(&trusted),
        )
        .unwrap();
        assert_eq!((opened.size, opened.root), (10, root_of(10)));

        let other = CheckpointKey::from_seed([8; 32], Some("gov.example/audit")).unwrap();
        let stranger = verifier(&other.verifier_key()).unwrap();
        let err = open(note.as_bytes(), "gov.example/audit", &[stranger]).unwrap_err();
        assert!(err.contains("not signed"), "{err}");
        let err = open(
            note.as_bytes(),
            "elsewhere/audit",
            std::slice::from_ref(&trusted),
        )
        .unwrap_err();
        assert!(err.contains("is for the log"), "{err}");

        // Changing the size or the root breaks the signature.
        let forged = note.replacen("\n10\n", "\n11\n", 1);
        assert!(open(forged.as_bytes(), "gov.example/audit", &[trusted]).is_err());
    }

    #[test]
    fn a_cosignature_checks_against_the_note_it_signs() {
        let key = CheckpointKey::from_seed([7; 32], Some("gov.example/audit")).unwrap();
        let log = verifier(&key.verifier_key()).unwrap();
        let (private, public) = signed_note::generate_key(&mut rand::rngs::OsRng, "secrecy.office");
        let signer = signed_note::StandardSigner::new(&private).unwrap();
        let cosigner = verifier(&public).unwrap();
        let note = key.sign(10, root_of(10)).unwrap();
        let line = cosign(note.as_bytes(), &log, &signer).unwrap();
        assert!(line.starts_with("— secrecy.office "), "{line}");
        check_cosignature(note.as_bytes(), &line, &cosigner).unwrap();
        let both = format!("{note}{line}");
        open(
            both.as_bytes(),
            "gov.example/audit",
            &[log.clone(), cosigner.clone()],
        )
        .unwrap();

        let other = key.sign(11, root_of(11)).unwrap();
        assert!(check_cosignature(other.as_bytes(), &line, &cosigner).is_err());
        assert!(open(other.as_bytes(), "gov.example/audit", &[log, cosigner]).is_err());
    }

    #[test]
    fn the_default_origin_is_stable_and_valid() {
        let a = CheckpointKey::from_seed([7; 32], None).unwrap();
        let b = CheckpointKey::from_seed([7; 32], None).unwrap();
        assert_eq!(a.origin(), b.origin());
        assert!(a.origin().starts_with("releasegate.audit/"));
        assert!(CheckpointKey::from_seed([7; 32], Some("has space")).is_err());
        assert!(verifier(&a.verifier_key()).is_ok());
        assert!(verifier("nonsense").is_err());
    }
}
