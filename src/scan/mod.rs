//! Sensitive-data scanner: detector packs from `policies/detectors/*.toml`,
//! two linear walks over the text, findings with byte offsets into the
//! original text.
//!
//! How a scan runs (see `engine.rs`): one walk cuts the text into "windows"
//! (runs of ASCII / full-width characters, folded to ASCII) which the regex
//! detectors and window-driven kinds inspect; a second walk (`triggers.rs`, one
//! table lookup per character) finds the trigger words (labels, titles,
//! secrecy words, key names) the coded kinds (names, addresses, classification
//! marks, credentials) start from. The bulk of Chinese prose is only skipped
//! over, never matched against patterns.

mod address;
mod context;
mod corpus;
mod credential;
mod engine;
mod evasion;
mod geo;
mod kinds;
mod lines;
mod mark;
mod mask;
mod name_model;
mod names;
mod normalize;
mod pack;
mod triggers;
pub(crate) mod validators;
mod words;

use std::path::{Path, PathBuf};
use std::str::FromStr;

pub use corpus::{write_corpus_predictions, CorpusError};
pub use evasion::is_invisible;
pub use lines::{LineIndex, Position};
pub use mask::{excerpt, mask, mask_all};
pub use validators::validator_names;

use crate::policy_error::PolicyError;
use crate::text_enum::text_column;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Secrecy,
    Personal,
    Commercial,
    Credential,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Block,
}

impl Category {
    pub const ALL: [Category; 4] = [
        Category::Secrecy,
        Category::Personal,
        Category::Commercial,
        Category::Credential,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Category::Secrecy => "secrecy",
            Category::Personal => "personal",
            Category::Commercial => "commercial",
            Category::Credential => "credential",
        }
    }
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Block,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Block => "block",
        }
    }
}

/// The error of parsing an unknown category or severity name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{name}`, expected one of: {expected}")]
pub struct UnknownName {
    pub what: &'static str,
    pub name: String,
    pub expected: String,
}

fn parse_named<T: Copy>(
    what: &'static str,
    all: &[T],
    name_of: fn(&T) -> &'static str,
    s: &str,
) -> Result<T, UnknownName> {
    all.iter()
        .copied()
        .find(|v| name_of(v).eq_ignore_ascii_case(s.trim()))
        .ok_or_else(|| UnknownName {
            what,
            name: s.to_string(),
            expected: all.iter().map(name_of).collect::<Vec<_>>().join(", "),
        })
}

impl FromStr for Category {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_named("category", &Category::ALL, Category::as_str, s)
    }
}

impl FromStr for Severity {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_named("severity", &Severity::ALL, Severity::as_str, s)
    }
}

// The text columns a finding is stored in: a value that is not a category
// or severity fails the read.
text_column!(Category);
text_column!(Severity);

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Detection {
    /// Entity type, e.g. `CN_ID_CARD`.
    pub entity: String,
    /// Detector id from the pack.
    pub detector: String,
    pub category: Category,
    pub severity: Severity,
    /// 0..=1
    pub confidence: f32,
    /// Byte offsets into the scanned `&str`, end exclusive.
    pub start: usize,
    pub end: usize,
}

/// Context the caller knows about a text, e.g. a table cell under a column
/// headed 姓名/身份证号/护照号码.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScanHints<'h> {
    pub column_header: Option<&'h str>,
}

/// All detectors of all packs, compiled once; cheap to share via `Arc`.
pub struct Scanner {
    engine: engine::Engine,
}

impl Scanner {
    /// Reads and validates `policy_dir/detectors/*.toml` (in file-name order).
    /// A whole policy set (directory or built-in) goes through
    /// `policy::Policies`, which hands its packs to [`Scanner::from_packs`].
    pub fn load(policy_dir: &Path) -> Result<Scanner, PolicyError> {
        let dir = policy_dir.join("detectors");
        let unreadable = |path: &Path, e: std::io::Error| {
            PolicyError::new(path, None, format!("cannot read: {e}"))
        };
        let mut packs = Vec::new();
        for entry in std::fs::read_dir(&dir).map_err(|e| unreadable(&dir, e))? {
            let path = entry.map_err(|e| unreadable(&dir, e))?.path();
            if path.extension().is_some_and(|x| x == "toml") && path.is_file() {
                let source = std::fs::read_to_string(&path).map_err(|e| unreadable(&path, e))?;
                packs.push((path, source));
            }
        }
        packs.sort();
        Self::from_packs(&dir, &packs)
    }

    /// The scanner of the packs of one folder (`dir` names it in errors):
    /// at least one pack, every one valid.
    pub fn from_packs(dir: &Path, packs: &[(PathBuf, String)]) -> Result<Scanner, PolicyError> {
        if packs.is_empty() {
            return Err(PolicyError::new(
                dir,
                None,
                "no detector packs (*.toml) found",
            ));
        }
        Self::from_sources(packs)
    }

    /// Builds a scanner from `(file name, TOML source)` pairs; the file name is
    /// only used in error messages.
    pub fn from_sources(packs: &[(PathBuf, String)]) -> Result<Scanner, PolicyError> {
        let detectors = pack::parse_packs(packs)?;
        Ok(Scanner {
            engine: engine::Engine::build(detectors)?,
        })
    }

    /// Findings sorted by start, non-overlapping.
    pub fn scan(&self, text: &str) -> Vec<Detection> {
        self.scan_with(text, &ScanHints::default())
    }

    /// Findings in `text`, detected over a view that invisible and
    /// look-alike characters cannot dodge (`evasion`), with offsets into
    /// `text` itself.
    pub fn scan_with(&self, text: &str, hints: &ScanHints) -> Vec<Detection> {
        let Some(view) = evasion::View::of(text) else {
            return self.engine.scan(text, hints);
        };
        let mut found = self.engine.scan(&view.text, hints);
        for d in &mut found {
            (d.start, d.end) = view.original(d.start, d.end);
        }
        found
    }

    pub fn detector_ids(&self) -> impl Iterator<Item = &str> {
        self.engine.detector_ids()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_order() {
        for c in Category::ALL {
            assert_eq!(c.as_str().parse::<Category>().unwrap(), c);
        }
        for s in Severity::ALL {
            assert_eq!(s.as_str().parse::<Severity>().unwrap(), s);
        }
        assert!(Severity::Info < Severity::Low && Severity::High < Severity::Block);
        assert!("secret".parse::<Category>().is_err());
    }
}
