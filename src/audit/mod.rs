//! The tamper-evident audit log, as pure functions over plain values.
//!
//! Each event's *canonical bytes* are the RFC 8785 (JCS) serialisation of its
//! fields. They are chained (`hash = SHA-256(prev_hash ‖ canonical)`) and are
//! the leaves of an RFC 6962 Merkle tree ([`merkle`]) whose signed roots
//! ([`checkpoint`]) leave the database. Verification rebuilds the canonical
//! bytes from the fields (so an edit to any column shows), checks the stored
//! bytes, the hash and the link to the previous event, and the tree's root at
//! every signed checkpoint.

mod action;
pub mod checkpoint;
pub mod export;
pub mod merkle;
pub mod receipt;

use std::collections::BTreeMap;

pub use action::Action;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// `prev_hash` of the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit event as stored and exported (one NDJSON line per event).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Event {
    pub seq: i64,
    #[serde(with = "micros")]
    pub at: NaiveDateTime,
    pub actor: String,
    pub action: String,
    pub release_id: Option<String>,
    pub version: Option<i32>,
    pub details: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

impl Event {
    /// The canonical bytes rebuilt from the fields: what is hashed.
    pub fn canonical(&self) -> Vec<u8> {
        canonical_bytes(
            self.seq,
            &self.at,
            &self.actor,
            &self.action,
            self.release_id.as_deref(),
            self.version,
            &self.details,
        )
    }
}

/// The fields an event is made of before it is chained.
#[derive(Debug, Clone)]
pub struct Draft {
    pub at: NaiveDateTime,
    pub actor: String,
    pub action: String,
    pub release_id: Option<String>,
    pub version: Option<i32>,
    pub details: serde_json::Value,
}

/// RFC 3339 with exactly microseconds: what PostgreSQL keeps, so an event
/// read back from either backend serialises to the same bytes.
pub fn format_time(at: &NaiveDateTime) -> String {
    // The same text as the strftime pattern `%Y-%m-%dT%H:%M:%S%.6fZ`, without
    // parsing a pattern per call (verification formats every event's time).
    at.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Current time truncated to microseconds.
pub fn now() -> NaiveDateTime {
    let now = Utc::now().naive_utc();
    now.with_nanosecond_micros()
}

trait TruncateMicros {
    fn with_nanosecond_micros(self) -> Self;
}

impl TruncateMicros for NaiveDateTime {
    fn with_nanosecond_micros(self) -> Self {
        use chrono::Timelike;
        let nanos = self.nanosecond() / 1_000 * 1_000;
        self.with_nanosecond(nanos).unwrap_or(self)
    }
}

/// Canonical bytes of an event's content (everything but the chain fields).
pub fn canonical_bytes(
    seq: i64,
    at: &NaiveDateTime,
    actor: &str,
    action: &str,
    release_id: Option<&str>,
    version: Option<i32>,
    details: &serde_json::Value,
) -> Vec<u8> {
    /// Borrowed fields: JCS orders the keys itself, and nothing (not the
    /// details) is copied into a JSON tree first.
    #[derive(Serialize)]
    struct Content<'a> {
        seq: i64,
        at: String,
        actor: &'a str,
        action: &'a str,
        release_id: Option<&'a str>,
        version: Option<i32>,
        details: &'a serde_json::Value,
    }
    let content = Content {
        seq,
        at: format_time(at),
        actor,
        action,
        release_id,
        version,
        details,
    };
    // JCS only fails on non-finite numbers, which serde_json::Value cannot hold.
    serde_json_canonicalizer::to_vec(&content).unwrap_or_default()
}

pub fn chain_hash(prev_hash: &str, canonical: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(canonical);
    hex::encode(hasher.finalize())
}

/// Seals a draft as event `seq` after `prev_hash`; returns the event and its canonical bytes.
pub fn seal(draft: Draft, seq: i64, prev_hash: &str) -> (Event, Vec<u8>) {
    let canonical = canonical_bytes(
        seq,
        &draft.at,
        &draft.actor,
        &draft.action,
        draft.release_id.as_deref(),
        draft.version,
        &draft.details,
    );
    let hash = chain_hash(prev_hash, &canonical);
    let event = Event {
        seq,
        at: draft.at,
        actor: draft.actor,
        action: draft.action,
        release_id: draft.release_id,
        version: draft.version,
        details: draft.details,
        prev_hash: prev_hash.to_string(),
        hash,
    };
    (event, canonical)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub ok: bool,
    pub events: u64,
    /// Hash of the last intact event.
    pub head: String,
    /// Root hash (hex) of the Merkle tree over the intact events.
    pub root: String,
    /// Signed checkpoints that matched the tree.
    pub checkpoints: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_bad_seq: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

impl Report {
    /// The report of a verification that ended with `failure`, if any.
    fn of(
        failure: Option<(i64, String)>,
        events: u64,
        head: String,
        root: &merkle::Hash,
        checkpoints: u64,
    ) -> Self {
        let (first_bad_seq, problem) = match failure {
            Some((seq, problem)) => (Some(seq), Some(problem)),
            None => (None, None),
        };
        Self {
            ok: first_bad_seq.is_none(),
            events,
            head,
            root: merkle::to_hex(root),
            checkpoints,
            first_bad_seq,
            problem,
        }
    }

    /// A report of a log that failed before any event was checked.
    pub fn broken(seq: i64, problem: String) -> Self {
        Self {
            ok: false,
            events: 0,
            head: String::new(),
            root: String::new(),
            checkpoints: 0,
            first_bad_seq: Some(seq),
            problem: Some(problem),
        }
    }
}

/// Streaming verifier: feed events in `seq` order, then `finish`. Holds
/// the chain head and the tree's right edge, never the events.
pub struct Verifier {
    events: u64,
    expected_seq: i64,
    head: String,
    tree: merkle::Frontier,
    failure: Option<(i64, String)>,
    /// Roots signed checkpoints record, by tree size, with what to call each.
    checkpoints: BTreeMap<u64, Vec<(merkle::Hash, String)>>,
    checkpoints_met: u64,
    /// The largest tree size a matched checkpoint covers.
    covered: u64,
    /// Events before this time must be covered by a checkpoint.
    cover_before: Option<NaiveDateTime>,
    /// The newest event before `cover_before`.
    last_due: i64,
}

impl Default for Verifier {
    fn default() -> Self {
        Self::new()
    }
}

impl Verifier {
    pub fn new() -> Self {
        Self {
            events: 0,
            expected_seq: 1,
            head: GENESIS_HASH.to_string(),
            tree: merkle::Frontier::default(),
            failure: None,
            checkpoints: BTreeMap::new(),
            checkpoints_met: 0,
            covered: 0,
            cover_before: None,
            last_due: 0,
        }
    }

    /// Checks one event; `stored_canonical` is the bytes kept beside the
    /// columns (None when verifying an export, which carries only the fields).
    pub fn push(&mut self, event: &Event, stored_canonical: Option<&[u8]>) {
        if self.failure.is_some() {
            return;
        }
        let canonical = match self.check(event, stored_canonical) {
            Ok(canonical) => canonical,
            Err(problem) => {
                // A missing event shows up at the first seq that is not where it belongs.
                let bad = if event.seq > self.expected_seq {
                    self.expected_seq
                } else {
                    event.seq
                };
                self.failure = Some((bad, problem));
                return;
            }
        };
        self.events += 1;
        self.expected_seq += 1;
        self.head = event.hash.clone();
        if self.cover_before.is_some_and(|t| event.at < t) {
            self.last_due = event.seq;
        }
        self.tree.push(merkle::leaf_hash(&canonical));
        let size = self.tree.size();
        for (root, label) in self.checkpoints.remove(&size).unwrap_or_default() {
            if root == self.tree.root() {
                self.checkpoints_met += 1;
                self.covered = self.covered.max(size);
            } else {
                self.fail(
                    event.seq,
                    format!("the log up to event {size} differs from {label}"),
                );
            }
        }
    }

    /// Adds a checkpoint whose signature was already checked: the tree of
    /// `size` events must have `root`. Call before pushing event `size`.
    pub fn expect_checkpoint(&mut self, size: u64, root: merkle::Hash, label: String) {
        if size == 0 {
            return;
        }
        if size <= self.tree.size() {
            let seq = i64::try_from(size).unwrap_or(i64::MAX);
            self.fail(seq, format!("{label} arrived after its events were read"));
            return;
        }
        self.checkpoints
            .entry(size)
            .or_default()
            .push((root, label));
    }

    /// Events older than `cutoff` must be covered by a signed checkpoint:
    /// deleting checkpoints is then no way to pass.
    pub fn require_checkpoints_before(&mut self, cutoff: NaiveDateTime) {
        self.cover_before = Some(cutoff);
    }

    /// The root of the tree over the events verified so far.
    pub fn root(&self) -> merkle::Hash {
        self.tree.root()
    }

    /// Marks the chain broken at `seq` for a reason found outside the events.
    pub fn fail(&mut self, seq: i64, problem: String) {
        if self.failure.is_none() {
            self.failure = Some((seq, problem));
        }
    }

    /// The rebuilt canonical bytes, when the event holds together.
    fn check(&self, event: &Event, stored_canonical: Option<&[u8]>) -> Result<Vec<u8>, String> {
        if event.seq != self.expected_seq {
            return Err(format!(
                "expected event {} but found {}",
                self.expected_seq, event.seq
            ));
        }
        if event.prev_hash != self.head {
            return Err("prev_hash does not match the hash of the previous event".into());
        }
        let rebuilt = event.canonical();
        if stored_canonical.is_some_and(|stored| stored != rebuilt.as_slice()) {
            return Err("columns differ from the stored canonical bytes".into());
        }
        if chain_hash(&event.prev_hash, &rebuilt) != event.hash {
            return Err("hash does not match the event's content".into());
        }
        Ok(rebuilt)
    }

    /// Marks the chain broken when its recorded head (seq, hash) does not
    /// match the last event: that is how deleting the newest events shows.
    pub fn expect_head(&mut self, seq: i64, hash: &str) {
        if self.failure.is_none() && (seq != self.expected_seq - 1 || hash != self.head) {
            self.failure = Some((
                self.expected_seq.min(seq),
                format!(
                    "the chain head records event {seq}, but the log ends at {}",
                    self.expected_seq - 1
                ),
            ));
        }
    }

    pub fn finish(mut self) -> Report {
        let end = self.expected_seq - 1;
        if let Some((size, label)) = self
            .checkpoints
            .iter()
            .next()
            .and_then(|(size, list)| Some((*size, list.first()?.1.clone())))
        {
            let seq = i64::try_from(size).unwrap_or(i64::MAX);
            self.fail(
                end + 1,
                format!("{label} records {seq} events, but the log ends at {end}"),
            );
        }
        let covered = i64::try_from(self.covered).unwrap_or(i64::MAX);
        if self.last_due > covered {
            self.fail(
                covered + 1,
                format!(
                    "no signed checkpoint covers seq {}..{}",
                    covered + 1,
                    self.last_due
                ),
            );
        }
        let root = self.tree.root();
        Report::of(
            self.failure,
            self.events,
            self.head,
            &root,
            self.checkpoints_met,
        )
    }
}

mod micros {
    use super::*;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(at: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_time(at))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDateTime, D::Error> {
        let text = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|t| t.naive_utc())
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<(Event, Vec<u8>)> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let draft = Draft {
                    at: now(),
                    actor: format!("user{seq}"),
                    action: "release.submitted".into(),
                    release_id: Some("r1".into()),
                    version: Some(1),
                    details: serde_json::json!({"b": 1, "a": [seq, "秘密"]}),
                };
                let sealed = seal(draft, seq, &prev);
                prev = sealed.0.hash.clone();
                sealed
            })
            .collect()
    }

    fn verify(events: &[(Event, Vec<u8>)]) -> Report {
        let mut v = Verifier::new();
        for (e, c) in events {
            v.push(e, Some(c));
        }
        v.finish()
    }

    #[test]
    fn intact_chain_verifies() {
        let events = chain(5);
        let report = verify(&events);
        assert!(report.ok, "{report:?}");
        assert_eq!(report.events, 5);
        assert_eq!(report.head, events[4].0.hash);
    }

    #[test]
    fn times_keep_the_format_stored_logs_were_hashed_with() {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 1, 2)
            .unwrap()
            .and_hms_micro_opt(3, 4, 5, 60)
            .unwrap();
        assert_eq!(format_time(&at), "2026-01-02T03:04:05.000060Z");
        assert_eq!(
            format_time(&at),
            at.and_utc().format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
        );
    }

    #[test]
    fn canonical_bytes_sort_keys() {
        let c = canonical_bytes(
            1,
            &now(),
            "a",
            "x",
            None,
            None,
            &serde_json::json!({"z":1,"a":2}),
        );
        let text = String::from_utf8(c).unwrap();
        assert!(
            text.starts_with("{\"action\":\"x\",\"actor\":\"a\""),
            "{text}"
        );
        assert!(text.contains("{\"a\":2,\"z\":1}"));
    }

    #[test]
    fn altered_field_is_named() {
        let mut events = chain(5);
        events[2].0.actor = "mallory".into();
        let report = verify(&events);
        assert_eq!(report.first_bad_seq, Some(3));
        assert!(!report.ok);
    }

    #[test]
    fn deleted_and_reordered_events_are_named() {
        let mut events = chain(5);
        events.remove(1);
        assert_eq!(verify(&events).first_bad_seq, Some(2));

        let mut events = chain(5);
        events.swap(2, 3);
        assert_eq!(verify(&events).first_bad_seq, Some(3));
    }

    #[test]
    fn truncated_tail_is_caught_by_the_head() {
        let events = chain(5);
        let mut v = Verifier::new();
        for (e, c) in &events[..3] {
            v.push(e, Some(c));
        }
        v.expect_head(5, &events[4].0.hash);
        assert_eq!(v.finish().first_bad_seq, Some(4));
    }

    /// The root of the first `n` events, as a checkpoint would sign it.
    fn root_after(events: &[(Event, Vec<u8>)], n: usize) -> merkle::Hash {
        let mut tree = merkle::Frontier::default();
        for (_, canonical) in &events[..n] {
            tree.push(merkle::leaf_hash(canonical));
        }
        tree.root()
    }

    fn backdated(n: i64, by: chrono::Duration) -> Vec<(Event, Vec<u8>)> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let draft = Draft {
                    at: now() - by,
                    actor: "a".into(),
                    action: "user.added".into(),
                    release_id: None,
                    version: None,
                    details: serde_json::json!({}),
                };
                let sealed = seal(draft, seq, &prev);
                prev = sealed.0.hash.clone();
                sealed
            })
            .collect()
    }

    fn verify_covered(events: &[(Event, Vec<u8>)], checkpoints: &[(u64, merkle::Hash)]) -> Report {
        let mut v = Verifier::new();
        v.require_checkpoints_before(now() - chrono::Duration::minutes(10));
        for (size, root) in checkpoints {
            v.expect_checkpoint(*size, *root, format!("checkpoint {size}"));
        }
        for (e, c) in events {
            v.push(e, Some(c));
        }
        v.finish()
    }

    #[test]
    fn old_events_need_a_checkpoint_and_a_checkpoint_needs_its_events() {
        let old = backdated(5, chrono::Duration::hours(1));
        let report = verify_covered(&old, &[]);
        assert_eq!(
            (report.first_bad_seq, report.problem.as_deref()),
            (Some(1), Some("no signed checkpoint covers seq 1..5"))
        );
        let report = verify_covered(&old, &[(3, root_after(&old, 3))]);
        assert_eq!(
            report.problem.as_deref(),
            Some("no signed checkpoint covers seq 4..5")
        );
        let report = verify_covered(&old, &[(3, root_after(&old, 3)), (5, root_after(&old, 5))]);
        assert!(report.ok, "{report:?}");
        assert_eq!(report.checkpoints, 2);
        assert_eq!(report.root, merkle::to_hex(&root_after(&old, 5)));

        // Recent events may wait for the next checkpoint.
        let recent = backdated(5, chrono::Duration::minutes(1));
        assert!(verify_covered(&recent, &[]).ok);

        // A checkpoint of a longer log: the tail was cut.
        let report = verify_covered(&recent, &[(7, root_after(&old, 5))]);
        assert_eq!(
            (report.first_bad_seq, report.problem.as_deref()),
            (
                Some(6),
                Some("checkpoint 7 records 7 events, but the log ends at 5")
            )
        );
        // A checkpoint whose root the log no longer has: history was rewritten.
        let report = verify_covered(&recent, &[(4, root_after(&old, 4))]);
        assert_eq!(
            (report.first_bad_seq, report.problem.as_deref()),
            (
                Some(4),
                Some("the log up to event 4 differs from checkpoint 4")
            )
        );
    }

    #[test]
    fn export_line_round_trips() {
        let events = chain(2);
        let line = serde_json::to_string(&events[1].0).unwrap();
        let back: Event = serde_json::from_str(&line).unwrap();
        assert_eq!(back, events[1].0);
    }
}
