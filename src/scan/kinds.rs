//! Detector kinds: `regex` (patterns + validator, fully described by the pack)
//! and the coded kinds that need more than a regex. A coded kind still takes
//! its id, entity, category, severity, context words and word lists from the
//! pack; only the parsing logic lives here.

use super::context::TextCtx;
use super::normalize::Window;
use super::pack::DetectorDef;
use crate::policy_error::PolicyError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Regex,
    ClassificationMark,
    PersonName,
    Address,
    CredentialValue,
    PemPrivateKey,
    GeoCoordinate,
}

const KINDS: &[(Kind, &str)] = &[
    (Kind::Regex, "regex"),
    (Kind::ClassificationMark, "classification_mark"),
    (Kind::PersonName, "person_name"),
    (Kind::Address, "address"),
    (Kind::CredentialValue, "credential_value"),
    (Kind::PemPrivateKey, "pem_private_key"),
    (Kind::GeoCoordinate, "geo_coordinate"),
];

impl Kind {
    pub fn from_name(name: &str) -> Option<Kind> {
        KINDS.iter().find(|(_, n)| *n == name).map(|(k, _)| *k)
    }

    pub fn name(self) -> &'static str {
        KINDS
            .iter()
            .find(|(k, _)| *k == self)
            .map_or("?", |(_, n)| n)
    }

    pub fn names() -> String {
        KINDS.iter().map(|(_, n)| *n).collect::<Vec<_>>().join(", ")
    }

    /// The word lists (`[detector.lexicon]`) a kind reads.
    pub fn lexicon_keys(self) -> &'static [&'static str] {
        match self {
            Kind::Regex | Kind::PemPrivateKey | Kind::GeoCoordinate => &[],
            Kind::ClassificationMark => super::mark::LEXICON,
            Kind::PersonName => super::names::LEXICON,
            Kind::Address => super::address::LEXICON,
            Kind::CredentialValue => super::credential::LEXICON,
        }
    }

    /// Builds the coded detector (`None` for regex detectors, which the engine
    /// compiles itself).
    pub fn build(self, def: &DetectorDef) -> Result<Option<Box<dyn Coded>>, PolicyError> {
        Ok(Some(match self {
            Kind::Regex => return Ok(None),
            Kind::ClassificationMark => Box::new(super::mark::MarkDetector::new(def)?),
            Kind::PersonName => Box::new(super::names::NameDetector::new(def)?),
            Kind::Address => Box::new(super::address::AddressDetector::new(def)?),
            Kind::CredentialValue => Box::new(super::credential::CredentialDetector::new(def)?),
            Kind::PemPrivateKey => Box::new(super::credential::PemDetector),
            Kind::GeoCoordinate => Box::new(super::geo::GeoDetector),
        }))
    }
}

/// A value found by a coded detector (byte range in the original text).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Found {
    pub start: usize,
    pub end: usize,
    pub confidence: f32,
}

/// A detector with code behind it. The engine makes one trigger-word walk for
/// the trigger words of all coded detectors and one window pass, and hands each
/// detector the hits it asked for.
pub trait Coded: Send + Sync {
    /// Words whose occurrences start this detector (matched ASCII
    /// case-insensitively).
    fn triggers(&self) -> Vec<String> {
        Vec::new()
    }

    /// `word` is the index into [`Coded::triggers`]; `start..end` its bytes.
    fn on_trigger(
        &self,
        _cx: &TextCtx,
        _word: usize,
        _start: usize,
        _end: usize,
        _out: &mut Vec<Found>,
    ) {
    }

    /// Whether [`Coded::on_window`] should be called.
    fn wants_windows(&self) -> bool {
        false
    }

    fn on_window(&self, _cx: &TextCtx, _w: &Window, _out: &mut Vec<Found>) {}

    /// Called once per scan after all triggers and windows (e.g. for the whole
    /// text as one table cell), with what this detector found so far.
    fn finish(&self, _cx: &TextCtx, _earlier: &[Found], _out: &mut Vec<Found>) {}

    /// Values whose findings the text itself withdraws, asked after
    /// [`Coded::finish`] with what was found before it: every finding of
    /// this detector holding one of them is dropped (a name the text marks
    /// as a pseudonym at one mention is none at any).
    fn withdrawn<'t>(&self, _cx: &TextCtx<'t>, _found: &[Found]) -> Vec<&'t str> {
        Vec::new()
    }
}

/// Reads lexicon `key` of a coded detector, failing with the pack location
/// when it is missing or empty.
pub fn required_lexicon<'d>(def: &'d DetectorDef, key: &str) -> Result<&'d [String], PolicyError> {
    match def.lexicon.get(key) {
        Some(words) if !words.is_empty() => Ok(words),
        _ => Err(def.error(format!(
            "detector `{}` of kind `{}` needs a non-empty lexicon `{key}`",
            def.id,
            def.kind.name()
        ))),
    }
}

/// An optional lexicon (empty when absent).
pub fn lexicon<'d>(def: &'d DetectorDef, key: &str) -> &'d [String] {
    def.lexicon.get(key).map_or(&[], |v| v.as_slice())
}
