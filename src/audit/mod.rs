//! The tamper-evident audit chain, as pure functions over plain values.
//!
//! Each event's *canonical bytes* are the RFC 8785 (JCS) serialisation of its
//! fields; its hash is `SHA-256(prev_hash ‖ canonical)`. Verification rebuilds
//! the canonical bytes from the fields (so an edit to any column shows), then
//! checks the stored bytes, the hash and the link to the previous event.

pub mod checkpoint;

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
    at.and_utc().format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
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
    let value = serde_json::json!({
        "seq": seq,
        "at": format_time(at),
        "actor": actor,
        "action": action,
        "release_id": release_id,
        "version": version,
        "details": details,
    });
    // JCS only fails on non-finite numbers, which serde_json::Value cannot hold.
    serde_json_canonicalizer::to_vec(&value).unwrap_or_default()
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
    /// Signed checkpoints that matched the chain.
    pub checkpoints: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_bad_seq: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// Streaming verifier: feed events in `seq` order, then `finish`.
pub struct Verifier {
    events: u64,
    expected_seq: i64,
    head: String,
    failure: Option<(i64, String)>,
    /// Signed (seq, hash) pairs still to be met, in seq order.
    checkpoints: std::collections::VecDeque<(i64, String)>,
    checkpoints_met: u64,
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
            failure: None,
            checkpoints: Default::default(),
            checkpoints_met: 0,
        }
    }

    /// Checks one event; `stored_canonical` is the bytes kept beside the
    /// columns (None when verifying an export, which carries only the fields).
    pub fn push(&mut self, event: &Event, stored_canonical: Option<&[u8]>) {
        if self.failure.is_some() {
            return;
        }
        if let Err(problem) = self.check(event, stored_canonical) {
            // A missing event shows up at the first seq that is not where it belongs.
            let bad = if event.seq > self.expected_seq {
                self.expected_seq
            } else {
                event.seq
            };
            self.failure = Some((bad, problem));
            return;
        }
        self.events += 1;
        self.expected_seq += 1;
        self.head = event.hash.clone();
        if self
            .checkpoints
            .front()
            .is_some_and(|(seq, _)| *seq == event.seq)
        {
            let (seq, hash) = self.checkpoints.pop_front().unwrap_or_default();
            if hash == event.hash {
                self.checkpoints_met += 1;
            } else {
                self.failure = Some((
                    seq,
                    format!("event {seq} differs from its signed checkpoint"),
                ));
            }
        }
    }

    /// Adds checkpoints whose signatures were already checked; each must
    /// match the hash the chain has at its seq. Call before pushing events.
    pub fn expect_checkpoints(&mut self, mut signed: Vec<(i64, String)>) {
        signed.sort();
        self.checkpoints = signed.into();
    }

    /// Marks the chain broken at `seq` for a reason found outside the events.
    pub fn fail(&mut self, seq: i64, problem: String) {
        if self.failure.is_none() {
            self.failure = Some((seq, problem));
        }
    }

    fn check(&self, event: &Event, stored_canonical: Option<&[u8]>) -> Result<(), String> {
        if event.seq != self.expected_seq {
            return Err(format!(
                "expected event {} but found {}",
                self.expected_seq, event.seq
            ));
        }
        if event.prev_hash != self.head {
            return Err("prev_hash does not match the hash of the previous event".into());
        }
        let rebuilt = canonical_bytes(
            event.seq,
            &event.at,
            &event.actor,
            &event.action,
            event.release_id.as_deref(),
            event.version,
            &event.details,
        );
        if stored_canonical.is_some_and(|stored| stored != rebuilt.as_slice()) {
            return Err("columns differ from the stored canonical bytes".into());
        }
        if chain_hash(&event.prev_hash, &rebuilt) != event.hash {
            return Err("hash does not match the event's content".into());
        }
        Ok(())
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
        if let Some((seq, _)) = self.checkpoints.front() {
            let seq = *seq;
            self.fail(
                seq,
                format!("a signed checkpoint records event {seq}, which the log does not reach"),
            );
        }
        let checkpoints = self.checkpoints_met;
        match self.failure {
            None => Report {
                ok: true,
                events: self.events,
                head: self.head,
                checkpoints,
                first_bad_seq: None,
                problem: None,
            },
            Some((seq, problem)) => Report {
                ok: false,
                events: self.events,
                head: self.head,
                checkpoints,
                first_bad_seq: Some(seq),
                problem: Some(problem),
            },
        }
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

/// Every kind of audit event: a closed set, so a search, a report or a
/// verifier can rely on the names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    DepartmentAdded,
    UserAdded,
    UserUpdated,
    UserLogin,
    UserLoginFailed,
    UserLogout,
    ReleaseSubmitted,
    ReleaseVersionAdded,
    ReleaseScanned,
    FindingDispositioned,
    FindingRevealed,
    StageDecided,
    ReleaseWithdrawn,
    ReleaseRetracted,
    ReleasePublished,
    AccessApplied,
    AccessDecided,
    ReleaseDownloaded,
    BlockAdded,
    BlockRemoved,
    BulkQuotaSet,
    BulkQuotaRemoved,
    DemandAnswered,
    CatalogueItemAdded,
    PlanItemAdded,
    PlanItemFulfilled,
}

impl Action {
    pub const ALL: [Action; 26] = [
        Self::DepartmentAdded,
        Self::UserAdded,
        Self::UserUpdated,
        Self::UserLogin,
        Self::UserLoginFailed,
        Self::UserLogout,
        Self::ReleaseSubmitted,
        Self::ReleaseVersionAdded,
        Self::ReleaseScanned,
        Self::FindingDispositioned,
        Self::FindingRevealed,
        Self::StageDecided,
        Self::ReleaseWithdrawn,
        Self::ReleaseRetracted,
        Self::ReleasePublished,
        Self::AccessApplied,
        Self::AccessDecided,
        Self::ReleaseDownloaded,
        Self::BlockAdded,
        Self::BlockRemoved,
        Self::BulkQuotaSet,
        Self::BulkQuotaRemoved,
        Self::DemandAnswered,
        Self::CatalogueItemAdded,
        Self::PlanItemAdded,
        Self::PlanItemFulfilled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::DepartmentAdded => "department.added",
            Self::UserAdded => "user.added",
            Self::UserUpdated => "user.updated",
            Self::UserLogin => "user.login",
            Self::UserLoginFailed => "user.login_failed",
            Self::UserLogout => "user.logout",
            Self::ReleaseSubmitted => "release.submitted",
            Self::ReleaseVersionAdded => "release.version_added",
            Self::ReleaseScanned => "release.scanned",
            Self::FindingDispositioned => "finding.dispositioned",
            Self::FindingRevealed => "finding.revealed",
            Self::StageDecided => "stage.decided",
            Self::ReleaseWithdrawn => "release.withdrawn",
            Self::ReleaseRetracted => "release.retracted",
            Self::ReleasePublished => "release.published",
            Self::AccessApplied => "access.applied",
            Self::AccessDecided => "access.decided",
            Self::ReleaseDownloaded => "release.downloaded",
            Self::BlockAdded => "blocklist.added",
            Self::BlockRemoved => "blocklist.removed",
            Self::BulkQuotaSet => "bulk_user.quota_set",
            Self::BulkQuotaRemoved => "bulk_user.quota_removed",
            Self::DemandAnswered => "demand.answered",
            Self::CatalogueItemAdded => "catalogue.item_added",
            Self::PlanItemAdded => "plan.item_added",
            Self::PlanItemFulfilled => "plan.item_fulfilled",
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind of event is written somewhere (reads the service code).
    #[test]
    fn every_action_is_recorded_somewhere() {
        let mut sources = String::new();
        let mut dirs = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src/service"
        ))];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else {
                    sources.push_str(&std::fs::read_to_string(&path).unwrap());
                }
            }
        }
        for action in Action::ALL {
            let name = format!("Action::{action:?}");
            assert!(sources.contains(&name), "{name} is never recorded");
        }
    }

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

    #[test]
    fn export_line_round_trips() {
        let events = chain(2);
        let line = serde_json::to_string(&events[1].0).unwrap();
        let back: Event = serde_json::from_str(&line).unwrap();
        assert_eq!(back, events[1].0);
    }
}
