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
/// After a role word (`厂长翟立群拿起`, `队长石磊接到`) the place vouches for a
/// name but no listed word ends it: the reading passes [`GivenNameModel::accepts`]
/// and the character after it reads as prose, at most this.
const MAX_NEXT_AFTER_ROLE: f32 = 0.5;
/// There a two-character given name is judged on the statistics alone
/// (`村民安居乐业`: `居乐` is 0.0 + 1.0), none of its characters leaning to
/// prose by more than this (`民警温馨提示`: `提` is -0.6; `国华` is -0.1 + 1.8).
const MIN_CHAR_AFTER_ROLE: f32 = -0.3;

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
    /// `学生` is no given name), or do not know (`彤`, rare in the
    /// dictionary the statistics come from).
    fn weight(&self, c: char) -> f32 {
        match (self.listed.contains(&c), WEIGHTS.get(&c)) {
            (true, None) => LISTED,
            (true, Some(&w)) if w >= 0.0 => w.max(LISTED),
            _ => Self::statistic(c),
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

    /// Whether `given`, after a role word and with no listed word after
    /// it, reads as a given name, `next` being the character after it. A
    /// one-character given name needs a next character the statistics
    /// know as prose: a rare one (`封雨彤`) may be the name's own.
    pub fn accepts_after_role(&self, given: &str, next: Option<char>) -> bool {
        let one = given.chars().nth(1).is_none();
        let prose = |c: char| match WEIGHTS.get(&c) {
            Some(&w) => w <= MAX_NEXT_AFTER_ROLE,
            None => !one,
        };
        let reads = if one {
            self.accepts(given)
        } else {
            let weights = given.chars().map(Self::statistic);
            weights.clone().sum::<f32>() >= MIN_TWO
                && weights.fold(f32::MAX, f32::min) >= MIN_CHAR_AFTER_ROLE
        };
        reads && next.is_none_or(prose)
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
