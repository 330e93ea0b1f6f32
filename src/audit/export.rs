//! Reading an NDJSON export back (`http::export::write_export`): events,
//! the inclusion proof after each event of a partial export, and the signed
//! checkpoint the export ends with. A complete export is checked as a chain
//! ([`super::Verifier`]); a partial one, which has gaps, event by event
//! against the checkpoint's root ([`PartialVerifier`]).

use serde::Deserialize;

use super::{chain_hash, merkle, Event, Report};

pub enum Line {
    Event(Box<Event>),
    Inclusion(Inclusion),
    /// A C2SP signed note.
    Checkpoint(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inclusion {
    pub seq: i64,
    pub tree_size: u64,
    pub hashes: Vec<String>,
}

pub fn parse_line(text: &str) -> Result<Line, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if let Some(note) = value.get("checkpoint") {
        return note
            .as_str()
            .map(|n| Line::Checkpoint(n.to_string()))
            .ok_or_else(|| "a checkpoint line holds the signed note as a string".into());
    }
    if let Some(proof) = value.get("inclusion") {
        return serde_json::from_value(proof.clone())
            .map(Line::Inclusion)
            .map_err(|e| format!("not an inclusion proof: {e}"));
    }
    serde_json::from_value(value)
        .map(|e| Line::Event(Box::new(e)))
        .map_err(|e| format!("not an audit event: {e}"))
}

/// Checks the events of a partial export: each one's hash against its
/// content, and its inclusion proof against the root of the signed tree
/// of `size` events.
pub struct PartialVerifier {
    size: u64,
    root: merkle::Hash,
    /// The event read last and its leaf hash, until its proof is read.
    unproven: Option<(i64, merkle::Hash)>,
    events: u64,
    head: String,
    failure: Option<(i64, String)>,
}

impl PartialVerifier {
    pub fn new(size: u64, root: merkle::Hash) -> Self {
        Self {
            size,
            root,
            unproven: None,
            events: 0,
            head: String::new(),
            failure: None,
        }
    }

    fn fail(&mut self, seq: i64, problem: String) {
        if self.failure.is_none() {
            self.failure = Some((seq, problem));
        }
    }

    pub fn push_event(&mut self, event: &Event) {
        if let Some((seq, _)) = self.unproven.take() {
            self.fail(seq, format!("event {seq} has no inclusion proof"));
        }
        let canonical = event.canonical();
        if chain_hash(&event.prev_hash, &canonical) != event.hash {
            self.fail(event.seq, "hash does not match the event's content".into());
        }
        self.unproven = Some((event.seq, merkle::leaf_hash(&canonical)));
        self.head = event.hash.clone();
    }

    pub fn push_inclusion(&mut self, proof: &Inclusion) {
        let Some((seq, leaf)) = self.unproven.take() else {
            return self.fail(
                proof.seq,
                "an inclusion proof with no event before it".into(),
            );
        };
        let hashes: Option<Vec<merkle::Hash>> = proof
            .hashes
            .iter()
            .map(|h| merkle::from_hex(h).filter(|hash| merkle::to_hex(hash) == *h))
            .collect();
        let proven = proof.seq == seq
            && proof.tree_size == self.size
            && seq >= 1
            && hashes.is_some_and(|hashes| {
                merkle::check_inclusion(&hashes, seq as u64 - 1, self.size, leaf, self.root)
            });
        if proven {
            self.events += 1;
        } else {
            self.fail(
                seq,
                format!("event {seq} is not in the log the checkpoint signs"),
            );
        }
    }

    pub fn finish(mut self) -> Report {
        if let Some((seq, _)) = self.unproven.take() {
            self.fail(seq, format!("event {seq} has no inclusion proof"));
        }
        let proven = u64::from(self.failure.is_none());
        Report::of(self.failure, self.events, self.head, &self.root, proven)
    }
}
