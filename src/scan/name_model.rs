//! How name-like the given name after a surname is: a naive-Bayes score over
//! its characters. Each character carries `ln(P(char | given name) /
//! P(char | running text))` from `name_chars.txt` (derived from public word
//! frequencies by `tests/tools/name_chars.py`, which names the source). The
//! score is their sum, so `建国` (two characters far more common in names
//! than in prose) passes and `度重`, `序要` or `确指` do not.
//!
//! It decides only where the name detector already has a candidate (a
//! surname at the start of a clause whose verb is a speech or action verb),
//! so it never runs over text that holds no such candidate.

use std::collections::HashMap;
use std::sync::LazyLock;

/// Weight of a character seen in fewer than two names: rare in names.
const UNSEEN: f32 = -3.0;
/// Weight at least given to a character the operator lists in `given_chars`.
const LISTED: f32 = 2.0;
/// A two-character given name needs this sum, and no character below
/// [`MIN_CHAR`]: one prose character (`上`, `度`) sinks the candidate.
const MIN_TWO: f32 = 1.5;
const MIN_CHAR: f32 = -1.0;
/// A one-character given name is short evidence: it must be a typical one.
const MIN_ONE: f32 = 1.5;
/// Unless its place says a name stands there (after a title, or as the
/// whole clause before a speech verb: `，王强表示`): then it need only be a
/// listed given-name character no rarer in names than in prose (`强` is
/// 0.5), which a word opening with a surname seldom is (`副乡长安全检查`:
/// `全` is -0.6; `周末走访`, `严格要求`: `末`, `格` are not listed).
const MIN_ONE_PLACED: f32 = 0.0;
/// A name no word ends (`镇长方晓东通报`) must read strongly: two given
/// characters whose statistics, unlifted, sum to about 2 (`国良` is -0.1
/// and 2.1), none below [`MIN_UNENDED_CHAR`]; and the character after it
/// must not read as a given name's itself (at most [`MAX_NEXT`]), or the
/// reading is inside a longer word (`卫生健康`: `康` is 1.9).
const MIN_UNENDED: f32 = 1.95;
const MIN_UNENDED_CHAR: f32 = -0.5;
const MAX_NEXT: f32 = 1.5;

static WEIGHTS: LazyLock<HashMap<char, f32>> = LazyLock::new(|| {
    include_str!("name_chars.txt")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (c, w) = l.split_once(' ')?;
            Some((c.chars().next()?, w.parse().ok()?))
        })
        .collect()
});

/// Scores given names; `listed` are the operator's `given_chars`, which
/// count as typical in a two-character given name unless the statistics
/// weigh against them. A one-character given name is judged by the statistics alone:
/// `given_chars` holds `天` and `全`, and `明天` or `安全` is no name.
pub struct GivenNameModel<'a> {
    pub listed: &'a std::collections::HashSet<char>,
}

impl GivenNameModel<'_> {
    fn statistic(c: char) -> f32 {
        WEIGHTS.get(&c).copied().unwrap_or(UNSEEN)
    }

    /// The statistic, lifted to [`LISTED`] for a listed character the
    /// statistics do not weigh against (`学`, `生` are listed, and
    /// `学生` is no given name).
    fn weight(&self, c: char) -> f32 {
        let w = Self::statistic(c);
        if self.listed.contains(&c) && w >= 0.0 {
            w.max(LISTED)
        } else {
            w
        }
    }

    /// Whether `given` reads as a given name on the statistics alone, none
    /// lifted: where no label vouches for it (`给予毛志勇`) or no word ends it.
    pub fn accepts_strongly(&self, given: &str) -> bool {
        let mut chars = given.chars();
        match (chars.next(), chars.next(), chars.next()) {
            (Some(one), None, _) => Self::statistic(one) >= MIN_ONE,
            (Some(a), Some(b), None) => {
                let (a, b) = (Self::statistic(a), Self::statistic(b));
                a + b >= MIN_UNENDED && a.min(b) >= MIN_UNENDED_CHAR
            }
            _ => false,
        }
    }

    /// Whether no character of `given` is one names shun (`排`, `位`,
    /// `副`, or one seen in almost no name), and a one-character given name
    /// passes [`Self::accepts_placed`]: what a name after a title, which is
    /// prose too (`副市长安排部署`, `副乡长安全检查`), must at least be.
    pub fn plausible(&self, given: &str) -> bool {
        let mut chars = given.chars();
        match (chars.next(), chars.next()) {
            (Some(_), None) => self.accepts_placed(given),
            _ => given.chars().all(|c| Self::statistic(c) >= MIN_CHAR),
        }
    }

    /// Whether `given` reads as a given name where the text's shape already
    /// says a name stands: as [`Self::accepts`], but a one-character given
    /// name needs only to be listed and reach [`MIN_ONE_PLACED`].
    pub fn accepts_placed(&self, given: &str) -> bool {
        let mut chars = given.chars();
        match (chars.next(), chars.next()) {
            (Some(one), None) => {
                self.listed.contains(&one) && Self::statistic(one) >= MIN_ONE_PLACED
            }
            _ => self.accepts(given),
        }
    }

    /// Whether `given`, which no word after it ends, reads as a
    /// two-character given name, `next` being the character after it.
    pub fn accepts_unended(&self, given: &str, next: Option<char>) -> bool {
        given.chars().count() == 2
            && self.accepts_strongly(given)
            && next.is_none_or(|c| Self::statistic(c) <= MAX_NEXT)
    }

    /// Whether `given` (one or two characters) reads as a given name.
    pub fn accepts(&self, given: &str) -> bool {
        let mut chars = given.chars();
        match (chars.next(), chars.next(), chars.next()) {
            (Some(one), None, _) => Self::statistic(one) >= MIN_ONE,
            (Some(a), Some(b), None) => {
                let (a, b) = (self.weight(a), self.weight(b));
                a + b >= MIN_TWO && a.min(b) >= MIN_CHAR
            }
            _ => false,
        }
    }
}
