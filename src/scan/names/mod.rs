//! Full Chinese personal names (surname + one or two given characters).
//!
//! A surname list alone over-fires (`王家店`, `高新区`), so a name is only
//! looked for where the text says one stands: after a label (`联系人：`,
//! `驾驶人`), before or after a title (`副市长`, `同志`), in a list continuing
//! such a name (`、`), or in a table column headed `姓名`/`户主` (`table.rs`,
//! or under the caller's column hint). Where the name ends is decided by what follows:
//! punctuation, a non-Han character, or a known follower word (`同志`, `反映`).
//!
//! Some rules need no label. Names in running text (`prose.rs`) count when
//! the statistics of the given-name model read their given name as one:
//! the subject of a clause whose verb is a speech or action verb
//! (`，张建国表示`, `据李晓燕介绍`), a name after a word for a person
//! (`护士长葛丽萍`) or before a word for its bearer (`邢桂英老人`), a speaker
//! opening a line (`葛长明：`). A bare list (`王建华、李秀英和陈志强`, `lists.rs`) counts when
//! the names on both sides of a `、` have only given-name characters that are
//! common in names (`given_chars`): `金融、石油` does not. And a name found
//! once is found at every other mention in the same text (`mentions.rs`,
//! `潘红梅所述`). Tibetan and dotted transliterated names, which have no
//! Han surname, need no label (`transliterated.rs`: `次仁卓玛`, `买买提·艾力`).
//! An SQL `INSERT` is a table whose column list is its header (`sql.rs`),
//! and a string passed to a function named for names is one (`calls.rs`).
//! `reading.rs` reads a name at a place of the text: what every rule asks.

use std::collections::HashSet;

use super::context::TextCtx;
use super::engine::context_confidence;
use super::kinds::{lexicon, required_lexicon, Coded, Found};
use super::normalize::skip_chars;
use super::pack::DetectorDef;
use super::words::{CharSet, Words};
use crate::policy_error::PolicyError;

mod calls;
mod lists;
mod mentions;
mod prose;
mod reading;
mod sql;
mod table;
mod transliterated;

pub const LEXICON: &[&str] = &[
    "surnames",
    "vouched_surnames",
    "labels",
    "field_labels",
    "titles_before",
    "after_words",
    "followers",
    "not_given",
    "non_names",
    "name_columns",
    "signoffs",
    "given_chars",
    "list_openers",
    "joiners",
    "verbs_after",
    "before_verb",
    "counted_after",
    "prose_labels",
    "roles_after",
    "list_headings",
    "tibetan_names",
    "mongolian_names",
    "yi_clans",
    "yi_given_chars",
    "transliterated_chars",
    "count_units",
    "places",
    "organisations",
    "words",
];

pub struct NameDetector {
    def: DetectorDef,
    single_surnames: HashSet<char>,
    /// Surnames that open common words (`区`, `容`, `权`): read only where
    /// a label, a field or a name column vouches for a name.
    vouched_surnames: HashSet<char>,
    compound_surnames: Vec<String>,
    /// First characters of the compound surnames, sorted.
    compound_firsts: Vec<char>,
    /// Words a name follows (`联系人`, `驾驶人`, `出席`); `：` and blanks may sit between.
    labels: Vec<String>,
    /// Words a name follows only after `：`, `:` or a blank (`审核：张娟`).
    field_labels: Vec<String>,
    /// Titles a name follows directly (`副市长王忠林`).
    titles_before: Vec<String>,
    /// `titles_before`, asked where a prose label's character may open one
    /// (`主` in `副主席`).
    title_words: Words,
    /// Last characters of titles and labels longer than one character:
    /// where a name's first character may close one (`班主任柳静`).
    title_ends: CharSet,
    /// Words that directly follow a name and mark it (`同志`, `副区长`, `，身份证`).
    after_words: Vec<String>,
    /// Words that may directly follow a name (`同志`, `反映`, `的`).
    followers: Vec<String>,
    /// Characters never used as a given name in these positions (`某`, `局`).
    not_given: HashSet<char>,
    /// Column headers holding names (`姓名`, `户主`).
    name_columns: Vec<String>,
    /// `name_columns`, asked of every cell's header.
    name_column_words: Words,
    /// The words a name may end at (followers, after words, titles, labels,
    /// field labels, verbs): asked at every candidate end.
    end_words: Words,
    /// Surname + word combinations that are no name (`先生`, `女士`).
    non_names: Words,
    /// Closings a signature follows on the same or next line (`此致敬礼`, `Regards`).
    signoffs: Vec<String>,
    /// Characters common in given names: what a name in a bare list is made of.
    given_chars: HashSet<char>,
    /// Characters a bare list may follow directly (`有王建华、…`).
    list_openers: HashSet<char>,
    /// Words joining the last name of a list (`和`, `及`).
    joiners: Vec<String>,
    /// Speech and action verbs whose clause may open with a name (`表示`).
    verbs_after: Vec<String>,
    /// Per verb of `verbs_after`: whether it ends a longer one (`称` in `辩称`).
    verb_suffixes: Vec<bool>,
    /// Words that may stand between such a name and its verb (`在`, `随后`).
    before_verb: Vec<String>,
    /// Words a name stands before when a head count follows (`等` in
    /// `罗俊杰等3名同志`).
    counted_after: Vec<String>,
    /// Words of running text a name may follow (`任命`, `给予`, `职工`): no
    /// label vouches for it, so its given name must read as one.
    prose_labels: Vec<String>,
    /// Words of running text after a name (`委员`, `老人`, `家庭`): no
    /// label vouches for it, so its given name must read as one.
    roles_after: Vec<String>,
    /// Ends of a line's heading before a colon and a list of names
    /// (`选区`, `中学`, `小组`).
    list_headings: Vec<String>,
    /// Words Tibetan names are made of (`扎西`, `多吉`) and Mongolian ones
    /// (`巴图`, `孟和`, `巴特尔`): the names of peoples with no surname,
    /// two words to a name or one word of three characters or more.
    name_words: Vec<String>,
    /// Clan names Yi names open with (`吉克`, `沙马`, `曲比`).
    yi_clans: Vec<String>,
    /// Syllables of Yi given names (`阿呷`, `伍呷`, `拉杰`).
    yi_given_chars: HashSet<char>,
    /// Characters of names transliterated with a middle dot (`买买提·艾力`).
    transliterated_chars: HashSet<char>,
    /// What a head count counts (`名`, `人`, `位`).
    count_units: HashSet<char>,
    /// Places, organisations and words that open with a surname (`宁波`,
    /// `苏宁`, `严正`): never a name. Asked of every candidate, so a set.
    proper_nouns: HashSet<String>,
    /// Bit per BMP code point: a surname starts with it.
    surname_starts: Box<[u64]>,
}

/// Code points the surname bitmap covers: the Basic Multilingual Plane.
const SURNAME_TABLE: usize = 0x10000;

/// Which surnames a candidate may open with: in prose only those that open
/// few words; where a label, field, signature or name column vouches for a
/// name, also those that open common words (`负责人：区志强`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reading {
    Prose,
    Vouched,
}

/// Which trigger group a trigger word belongs to.
enum Group {
    Label,
    FieldLabel,
    TitleBefore,
    After,
    Column,
    Signoff,
    /// The index of the verb in `verbs_after`.
    Verb(usize),
    Counted,
    ProseLabel,
    RoleAfter,
    NameWord,
    YiClan,
    NameDot,
    SqlValues,
    NameCall,
    MaskedPair,
    ListMark,
    LineHead,
}

/// Longest name in characters: a compound surname and two given characters.
const MAX_NAME_CHARS: usize = 4;
/// Longest name in bytes: four Han characters.
const MAX_NAME_BYTES: usize = MAX_NAME_CHARS * '王'.len_utf8();

/// What follows a name, in parentheses, that the text says is made up
/// (`陈明（化名）`).
const PSEUDONYM: &str = "化名";
/// The list mark a bare list of names is found from.
const LIST_MARK: &str = "、";
/// What follows a name that opens a line: a transcript's speaker or a
/// letter's addressee (`符建业：…`), an entry of a roster (`郝斌，区商务局…`,
/// `乐天（男，42岁）`, `何建军　县委副书记`).
const LINE_HEAD_MARKS: [&str; 7] = ["：", ":", "，", ",", "（", "(", "\u{3000}"];

const LIST_SEPARATORS: &[char] = &['、', '，', ',', ' ', '\u{3000}'];
/// Blanks, line breaks and punctuation skipped between a closing and its signature.
const MAX_SIGNOFF_GAP: usize = 12;
/// Longest parenthetical (in bytes) skipped between two names of a list.
const MAX_PAREN: usize = 90;
/// Longest parenthetical (in bytes) between a label and its colon
/// (`甲方（签字）：`, `法定代表人（负责人、经营者）：`).
const MAX_LABEL_PAREN: usize = 45;
/// Longest office (in bytes) between a label and the name it introduces
/// (`联系人：市统计局执法监督处 丰晓云`).
const MAX_OFFICE: usize = 45;
/// Last characters of an office a contact's name may follow after a blank.
const OFFICE_ENDS: &[char] = &[
    '处', '科', '室', '部', '局', '办', '股', '站', '所', '队', '组',
];

impl NameDetector {
    pub fn new(def: &DetectorDef) -> Result<Self, PolicyError> {
        let surnames = required_lexicon(def, "surnames")?;
        let chars_of = |key: &str| lexicon(def, key).iter().flat_map(|w| w.chars()).collect();
        let words = |keys: &[&str]| {
            Words::new(keys.iter().flat_map(|key| lexicon(def, key)))
                .map_err(|e| def.error(format!("detector `{}`: {keys:?}: {e}", def.id)))
        };
        Ok(Self {
            name_column_words: words(&["name_columns"])?,
            title_words: words(&["titles_before"])?,
            title_ends: CharSet::new(
                lexicon(def, "titles_before")
                    .iter()
                    .chain(required_lexicon(def, "labels")?)
                    .filter(|w| w.chars().count() > 1)
                    .filter_map(|w| w.chars().next_back()),
            ),
            verb_suffixes: {
                let verbs = lexicon(def, "verbs_after");
                verbs
                    .iter()
                    .map(|v| {
                        verbs
                            .iter()
                            .any(|w| w.len() > v.len() && w.ends_with(v.as_str()))
                    })
                    .collect()
            },
            end_words: words(&[
                "followers",
                "after_words",
                "titles_before",
                "labels",
                "field_labels",
                "verbs_after",
                "roles_after",
            ])?,
            non_names: words(&["non_names"])?,
            def: def.clone(),
            single_surnames: surnames
                .iter()
                .filter(|s| s.chars().count() == 1)
                .flat_map(|s| s.chars())
                .collect(),
            vouched_surnames: chars_of("vouched_surnames"),
            compound_surnames: surnames
                .iter()
                .filter(|s| s.chars().count() > 1)
                .cloned()
                .collect(),
            compound_firsts: {
                let mut firsts: Vec<char> = surnames
                    .iter()
                    .filter(|s| s.chars().count() > 1)
                    .filter_map(|s| s.chars().next())
                    .collect();
                firsts.sort_unstable();
                firsts.dedup();
                firsts
            },
            labels: required_lexicon(def, "labels")?.to_vec(),
            field_labels: lexicon(def, "field_labels").to_vec(),
            titles_before: lexicon(def, "titles_before").to_vec(),
            after_words: lexicon(def, "after_words").to_vec(),
            followers: lexicon(def, "followers").to_vec(),
            not_given: chars_of("not_given"),
            name_columns: lexicon(def, "name_columns").to_vec(),
            signoffs: lexicon(def, "signoffs").to_vec(),
            given_chars: chars_of("given_chars"),
            list_openers: chars_of("list_openers"),
            joiners: lexicon(def, "joiners").to_vec(),
            verbs_after: lexicon(def, "verbs_after").to_vec(),
            before_verb: lexicon(def, "before_verb").to_vec(),
            counted_after: lexicon(def, "counted_after").to_vec(),
            prose_labels: lexicon(def, "prose_labels").to_vec(),
            roles_after: lexicon(def, "roles_after").to_vec(),
            list_headings: lexicon(def, "list_headings").to_vec(),
            name_words: [
                lexicon(def, "tibetan_names"),
                lexicon(def, "mongolian_names"),
            ]
            .concat(),
            yi_clans: lexicon(def, "yi_clans").to_vec(),
            yi_given_chars: chars_of("yi_given_chars"),
            transliterated_chars: chars_of("transliterated_chars"),
            count_units: chars_of("count_units"),
            proper_nouns: [
                lexicon(def, "places"),
                lexicon(def, "organisations"),
                lexicon(def, "words"),
            ]
            .concat()
            .into_iter()
            .collect(),
            surname_starts: {
                let mut bits = vec![0u64; SURNAME_TABLE / 64].into_boxed_slice();
                let vouched = lexicon(def, "vouched_surnames").iter();
                for cp in surnames
                    .iter()
                    .chain(vouched)
                    .filter_map(|s| s.chars().next())
                {
                    let cp = cp as usize;
                    if cp < SURNAME_TABLE {
                        bits[cp / 64] |= 1 << (cp % 64);
                    }
                }
                bits
            },
        })
    }

    fn group(&self, word: usize) -> Group {
        let l = self.labels.len();
        let a = l + self.field_labels.len();
        let b = a + self.titles_before.len();
        let c = b + self.after_words.len();
        let d = c + self.name_columns.len();
        let e = d + self.signoffs.len();
        let f = e + self.verbs_after.len();
        let g = f + self.counted_after.len();
        let h = g + self.prose_labels.len();
        let i = h + self.roles_after.len();
        let j = i + self.name_words.len();
        let y = j + self.yi_clans.len();
        let k = y + transliterated::NAME_DOTS.len();
        let m = k + 1;
        let masked = m + 1;
        let n = masked + calls::MASKED_CLOSES.len();
        match word {
            w if w < l => Group::Label,
            w if w < a => Group::FieldLabel,
            w if w < b => Group::TitleBefore,
            w if w < c => Group::After,
            w if w < d => Group::Column,
            w if w < e => Group::Signoff,
            w if w < f => Group::Verb(w - e),
            w if w < g => Group::Counted,
            w if w < h => Group::ProseLabel,
            w if w < i => Group::RoleAfter,
            w if w < j => Group::NameWord,
            w if w < y => Group::YiClan,
            w if w < k => Group::NameDot,
            w if w < m => Group::SqlValues,
            w if w < masked => Group::NameCall,
            w if w < n => Group::MaskedPair,
            w if w == n => Group::ListMark,
            _ => Group::LineHead,
        }
    }

    /// Whether a surname may begin with `c`: one bit test.
    fn may_start_surname(&self, c: char) -> bool {
        let cp = c as usize;
        cp < SURNAME_TABLE && self.surname_starts[cp / 64] & (1 << (cp % 64)) != 0
    }

    /// Whether `verbs_after[verb]`, ending at `end`, ends a longer listed
    /// verb there.
    fn ends_longer_verb(&self, text: &str, verb: usize, end: usize) -> bool {
        let len = self.verbs_after[verb].len();
        self.verb_suffixes[verb]
            && self
                .verbs_after
                .iter()
                .any(|w| w.len() > len && text[..end].ends_with(w.as_str()))
    }

    /// Whether `word`, read as a name, is a word for a role: a label or
    /// title (`主任`), or a word for a person ending in `人` (`申请人`,
    /// `发布人`), as table headers and forms put them before a comma.
    fn is_role_word(&self, word: &str) -> bool {
        word.ends_with('人')
            || (self.labels.iter())
                .chain(&self.field_labels)
                .chain(&self.titles_before)
                .any(|l| l == word)
    }

    fn push(&self, cx: &TextCtx, start: usize, end: usize, out: &mut Vec<Found>) {
        if let Some(confidence) = context_confidence(cx, &self.def, start) {
            out.push(Found {
                start,
                end,
                confidence,
            });
        }
    }
}

impl Coded for NameDetector {
    fn triggers(&self) -> Vec<String> {
        self.labels
            .iter()
            .chain(&self.field_labels)
            .chain(&self.titles_before)
            .chain(&self.after_words)
            .chain(&self.name_columns)
            .chain(&self.signoffs)
            .chain(&self.verbs_after)
            .chain(&self.counted_after)
            .chain(&self.prose_labels)
            .chain(&self.roles_after)
            .chain(&self.name_words)
            .chain(&self.yi_clans)
            .cloned()
            .chain(transliterated::NAME_DOTS.map(String::from))
            .chain([sql::VALUES, calls::NAME_CALL].map(String::from))
            .chain(calls::MASKED_CLOSES.map(String::from))
            .chain([LIST_MARK].map(String::from))
            .chain(LINE_HEAD_MARKS.map(String::from))
            .collect()
    }

    fn on_trigger(
        &self,
        cx: &TextCtx,
        word: usize,
        start: usize,
        end: usize,
        out: &mut Vec<Found>,
    ) {
        match self.group(word) {
            // `项目联系人（询问）：阮晓东`: a parenthetical may stand before the colon.
            Group::Label => {
                let value = Self::value_after_label(cx.text, end).unwrap_or(end);
                self.names_from(cx, value, Reading::Vouched, out)
            }
            // A title before a colon is a label (`项目经理：仇建明`).
            Group::TitleBefore if cx.text[end..].starts_with(['：', ':']) => {
                self.names_from(cx, end, Reading::Vouched, out)
            }
            Group::TitleBefore => {
                // A title vouches for a surname that opens words
                // (`县长乐志坚`), whose given name must then read as one.
                if self.plausible_name_at(cx.text, end) {
                    self.names_from(cx, end, Reading::Vouched, out);
                }
            }
            Group::FieldLabel => {
                if let Some(value) = Self::value_after_label(cx.text, end) {
                    self.names_from(cx, value, Reading::Vouched, out);
                }
            }
            Group::ListMark => self.bare_list(cx, start, end, out),
            Group::LineHead => self.line_head(cx, start, out),
            Group::After => {
                let name = self.name_before(cx.text, start);
                if let Some(s) = name.filter(|&s| !self.is_role_word(&cx.text[s..start])) {
                    self.push(cx, s, start, out);
                }
            }
            Group::RoleAfter => self.role_after(cx, start, out),
            Group::NameWord => self.name_of_words(cx, start, end, out),
            Group::YiClan => self.yi_name(cx, start, end, out),
            Group::NameDot => self.dotted_name(cx, start, end, out),
            Group::SqlValues => self.sql_values(cx, start, end, out),
            Group::NameCall => self.name_argument(cx, end, out),
            Group::MaskedPair => self.masked_pair(cx, start, end, out),
            Group::Column => self.columns(cx, start, out),
            // `辩称` holds `称`: the longer verb reads the subject.
            Group::Verb(verb) if self.ends_longer_verb(cx.text, verb, end) => {}
            Group::Verb(_) => self.clause_subject(cx, start, out),
            Group::Counted => self.counted_group(cx, start, end, out),
            Group::ProseLabel => self.prose_label(cx, end, out),
            Group::Signoff => {
                // The signature: the next line(s) after closing punctuation.
                let p = skip_chars(cx.text, end, MAX_SIGNOFF_GAP, |c| {
                    c.is_whitespace() || matches!(c, '!' | '！' | ',' | '，' | '。' | '-' | '—')
                });
                if cx.text[end..p].contains('\n') {
                    self.names_from(cx, p, Reading::Vouched, out);
                }
            }
        }
    }

    /// `陈明（化名）`: a name the text calls a pseudonym is none, here or at
    /// any other mention.
    fn withdrawn<'t>(&self, cx: &TextCtx<'t>, found: &[Found]) -> Vec<&'t str> {
        let text = cx.text;
        if found.is_empty() || !text.contains(PSEUDONYM) {
            return Vec::new();
        }
        let mut names: Vec<&str> = found.iter().map(|f| &text[f.start..f.end]).collect();
        names.sort_unstable();
        names.dedup();
        names.retain(|name| {
            text.match_indices(name).any(|(i, _)| {
                let rest = text[i + name.len()..].trim_start_matches(['（', '(']);
                rest.starts_with(PSEUDONYM)
            })
        });
        names
    }

    fn finish(&self, cx: &TextCtx, earlier: &[Found], out: &mut Vec<Found>) {
        let mut neighbours = Vec::new();
        self.list_neighbours(cx, earlier, &mut neighbours);
        if neighbours.is_empty() {
            self.mentions(cx, earlier, out);
        } else {
            self.mentions(cx, &[earlier, &neighbours].concat(), out);
            out.extend(neighbours);
        }
        let Some(h) = cx.hints.column_header else {
            return;
        };
        if self.name_column_words.occur_in(h) {
            let t = cx.text.trim();
            let start = cx.text.find(t).unwrap_or(0);
            self.whole_cell(cx, start, start + t.len(), out);
        }
    }
}
