//! Names that no label vouches for, in running text: the subject of a
//! clause ending in a speech or action verb (`，张建国表示`), the name joined
//! before such a subject (`薛佳怡和程子轩分别获得`), the name before a head
//! count (`罗俊杰等3名同志`), after a prose label or a word for a person
//! (`任命温建新`, `护士长葛丽萍`), before a word for its bearer (`邢桂英老人`),
//! and a speaker opening a line (`葛长明：`). Each given name must pass the
//! statistics of [`GivenNameModel`].

use super::{NameDetector, Reading, MAX_NAME_BYTES};
use crate::scan::context::TextCtx;
use crate::scan::kinds::Found;
use crate::scan::name_model::GivenNameModel;
use crate::scan::normalize::{bounded_end, is_blank, is_digit, is_han, skip_chars};

/// Numerals of a head count written in characters (`等三名`).
const CHINESE_NUMERALS: &str = "一二三四五六七八九十百千两几数";
/// The prose label after which an office may precede the name.
const CONTACT_VERB: &str = "联系";
/// Last characters of places (`岳麓区`), which no name stands right before
/// after a role word.
const PLACE_ENDS: &[char] = &['省', '市', '区', '县', '镇', '乡', '村', '路', '街'];
/// Longest clause (in characters) searched back from a verb for its subject.
const MAX_CLAUSE: usize = 16;
/// What sets a row's cells apart in a roster typed in a word processor.
const ROW_CELL_GAP: char = '\u{3000}';
/// Punctuation of sentences, which a row's cells do not hold.
const SENTENCE_MARKS: &[char] = &['，', '。', '；', '：', ':', '！', '？'];
/// Digits of the shortest number that makes a row a person's: a local
/// landline (`8312345`).
const MIN_ROW_NUMBER_DIGITS: usize = 7;
/// Ends of the names of firms: a name no word ends that runs into one is
/// the firm's (`长沙麓谷精工装备有限公司` holds no `沙麓谷` after `长`).
const FIRM_ENDS: &[&str] = &["有限公司", "股份公司", "公司", "集团", "事务所", "合作社"];
/// Characters searched after such a name for the end of a firm's name.
const MAX_FIRM_NAME: usize = 12;

impl NameDetector {
    /// The subject of the clause whose verb starts at `verb`, when it is a
    /// name: it starts the clause (after the last non-Han character, at most
    /// [`MAX_CLAUSE`] characters back) or follows an opener in it (`据`,
    /// `由`), and ends at the verb or at a `before_verb` word (`在`, `也`). No label vouches for
    /// it, so the given name must pass the model.
    pub(super) fn clause_subject(&self, cx: &TextCtx, verb: usize, out: &mut Vec<Found>) {
        let text = cx.text;
        let mut clause = verb;
        let mut han = 0;
        for (i, c) in text[..verb].char_indices().rev() {
            if !is_han(c) {
                break;
            }
            han += 1;
            if han > MAX_CLAUSE {
                return;
            }
            clause = i;
        }
        let model = self.model();
        let after_openers = text[clause..verb]
            .char_indices()
            .filter(|(_, c)| self.list_openers.contains(c))
            .map(|(i, c)| clause + i + c.len_utf8());
        for start in std::iter::once(clause).chain(after_openers) {
            // `向学生讲解`, `和大家说`: an opener is a preposition here.
            let opens = text[start..]
                .chars()
                .next()
                .is_some_and(|c| self.list_openers.contains(&c));
            let Some(surname) = self
                .surname_at(text, start, Reading::Prose)
                .filter(|_| !opens)
            else {
                continue;
            };
            // The longer reading first; a name running into the verb (`…说`
            // read as a given name) is none.
            for end in self
                .name_ends(text, start, Reading::Prose)
                .into_iter()
                .rev()
            {
                let Some(between) = text.get(end..verb) else {
                    continue;
                };
                let joined = between.is_empty()
                    || self
                        .before_verb
                        .iter()
                        .any(|w| between.starts_with(w.as_str()));
                // A name that is the whole clause (`，王强表示`) is placed
                // by the clause itself: a one-character given name suffices.
                let whole_clause = start == clause && end == verb;
                let given = &text[start + surname..end];
                let reads = if whole_clause {
                    model.accepts_placed(given)
                } else {
                    model.accepts(given)
                };
                if joined && reads {
                    self.push(cx, start, end, out);
                    self.joined_subject(cx, start, &model, out);
                    return;
                }
            }
        }
    }

    /// `薛佳怡和程子轩分别获得`: the name joined (`和`, `与`) before a clause
    /// subject found at `second` is a subject too, when it passes the model.
    fn joined_subject(
        &self,
        cx: &TextCtx,
        second: usize,
        model: &GivenNameModel,
        out: &mut Vec<Found>,
    ) {
        let text = cx.text;
        // The longest joiner: `以及`, not `及`.
        let Some(joiner) = self
            .joiners
            .iter()
            .filter(|j| text[..second].ends_with(j.as_str()))
            .max_by_key(|j| j.len())
        else {
            return;
        };
        let end = second - joiner.len();
        let Some(start) = self.name_before(text, end) else {
            return;
        };
        let given = self
            .surname_at(text, start, Reading::Prose)
            .map(|s| &text[start + s..end]);
        if given.is_some_and(|g| model.accepts(g)) {
            self.push(cx, start, end, out);
        }
    }

    /// `罗俊杰等3名同志`, `王建华等人。`: the name right before `word`
    /// (`等`) when a head count of people follows: a number (digits or
    /// characters) or `多`/`余`, then `名`, `人` or `位`; or `人` alone before
    /// punctuation or a follower (`等人群`, `等人流`, `等名胜` are no count).
    /// No label vouches for it, so the given name must pass the model.
    pub(super) fn counted_group(
        &self,
        cx: &TextCtx,
        word: usize,
        after: usize,
        out: &mut Vec<Found>,
    ) {
        let text = cx.text;
        let counted = skip_chars(text, after, usize::MAX, |c| {
            is_digit(c) || CHINESE_NUMERALS.contains(c)
        });
        let p = skip_chars(text, counted, 1, |c| c == '余' || c == '多');
        let Some(unit) = text[p..]
            .chars()
            .next()
            .filter(|c| self.count_units.contains(c))
        else {
            return;
        };
        let beyond = p + unit.len_utf8();
        if p == after && !(unit == '人' && self.ends_here(text, beyond)) {
            return;
        }
        // The name ends exactly at `等`: a longer reading (`王宏等`) that a
        // digit would end is no name here.
        let Some(start) = Self::start_of_name_before(text, word, |s| {
            self.name_ends(text, s, Reading::Prose).contains(&word)
        }) else {
            return;
        };
        // `朵兰芳等5人` is no `兰芳`.
        if self.vouched_start(text, start, word).is_some() {
            return;
        }
        let Some(surname) = self.surname_at(text, start, Reading::Prose) else {
            return;
        };
        let model = self.model();
        if model.accepts(&text[start + surname..word]) {
            self.push(cx, start, word, out);
        }
    }

    /// The name after a prose label at `end` (`任命`, a role character).
    pub(super) fn prose_label(&self, cx: &TextCtx, end: usize, out: &mut Vec<Found>) {
        // `审判员　韦宁`: blanks may follow. After a colon the word is a
        // label (`唱标人：晏紫`, `孝男：东方振宇`).
        let colon = skip_chars(cx.text, end, 1, |c| matches!(c, '：' | ':'));
        let at = skip_chars(cx.text, colon, 2, is_blank);
        // Role characters are common: most are followed by no surname. After
        // `联系` an office may come first (`可联系街道城管中队石磊，`).
        if !cx.text[at..]
            .chars()
            .next()
            .is_some_and(|c| self.may_start_surname(c))
        {
            if cx.text[..end].ends_with(CONTACT_VERB) {
                let name = self.after_office(cx.text, at);
                if let Some((name, name_end)) =
                    name.and_then(|n| Some((n, self.name_at(cx.text, n, Reading::Prose)?)))
                {
                    self.push(cx, name, name_end, out);
                }
            }
            return;
        }
        // `主任王刚`: `任` ends `主任` and is a surname; the name follows the
        // label that runs on (`任`), not `主`.
        let runs_on = self
            .prose_labels
            .iter()
            .any(|w| cx.text[end..].starts_with(w.as_str()));
        // `副主席周丽`: `主` opens the title `主席`, whose own trigger reads
        // the name after it.
        let last = cx.text[..end].chars().next_back().map_or(0, char::len_utf8);
        let in_title = self
            .title_words
            .longest_prefix(&cx.text[end - last..])
            .is_some_and(|len| len > last);
        if runs_on || in_title {
            return;
        }
        if colon > end {
            return self.names_from(cx, at, Reading::Vouched, out);
        }
        if let Some(name_end) = self.prose_name_at(cx.text, at) {
            self.push(cx, at, name_end, out);
        }
    }

    /// The name before a `roles_after` word at `word` (`余海峰委员`), when
    /// the statistics read its given name (`和谐家庭` is none).
    /// Blanks or a slash may stand between (`（诸葛晓峰 摄）`, `王蕾/摄`).
    pub(super) fn role_after(&self, cx: &TextCtx, word: usize, out: &mut Vec<Found>) {
        let end = cx.text[..word]
            .trim_end_matches(|c| is_blank(c) || c == '/' || c == '／')
            .len();
        let Some(start) = self.name_before(cx.text, end) else {
            return;
        };
        let model = self.model();
        let reads = |s: usize| {
            self.surname_at(cx.text, s, Reading::Prose)
                .is_some_and(|surname| model.accepts(&cx.text[s + surname..end]))
        };
        // `向柳静老师`: an opener that is also a surname (`向`) is read as the
        // preposition when the name after it reads as one.
        if let Some(c) = cx.text[start..].chars().next() {
            let after = start + c.len_utf8();
            let placed = |s: usize| {
                self.surname_at(cx.text, s, Reading::Prose)
                    .is_some_and(|surname| model.accepts_placed(&cx.text[s + surname..end]))
            };
            if self.list_openers.contains(&c)
                && self.name_at(cx.text, after, Reading::Prose) == Some(end)
                && placed(after)
            {
                return self.push(cx, after, end, out);
            }
        }
        if reads(start) {
            self.push(cx, start, end, out);
        }
    }

    /// A name after a word of running text (`任命`, `给予`, a role word): as
    /// after a label, but its given name must read as one (`免去费用的`,
    /// `给予严肃处理`, `职工温馨之家` are none).
    fn prose_name_at(&self, text: &str, pos: usize) -> Option<usize> {
        let given = pos + self.surname_at(text, pos, Reading::Prose)?;
        let model = self.model();
        // A reading a word ends is judged first (`免去仝立新的`); no other
        // runs into that word (`柳静老师` is `柳静` or nothing).
        let worded = self.name_at(text, pos, Reading::Prose);
        if let Some(end) = worded.filter(|&end| model.accepts(&text[given..end])) {
            return Some(end);
        }
        // Else a reading no word ends (`厂长翟立群拿起`; `队长石磊接到`, where
        // `到` ends a wrong `石磊接`): the longer one the statistics accept,
        // the character after it reading as prose and naming no place
        // (`现任柯岩街道`), none running on from a place (`落户黄石新港`).
        let limit = worded.unwrap_or(usize::MAX);
        let from_place = |end: usize| {
            (text[given..end].char_indices().skip(1))
                .any(|(i, _)| self.proper_nouns.contains(&text[pos..given + i]))
        };
        // `长沙岳麓区` holds no `沙岳麓`: a place's last character follows.
        let before_place = |end: usize| text[end..].starts_with(PLACE_ENDS);
        let unended = self.unended_name_at(text, pos, Reading::Prose);
        if unended.is_some_and(|end| opens_firm_name(&text[end..])) {
            return None;
        }
        unended
            .filter(|&end| end <= limit && !from_place(end) && !before_place(end))
            .or_else(|| {
                let ends = self.name_ends(text, pos, Reading::Prose);
                ends.into_iter().rev().find(|&end| {
                    let next = text[end..].chars().next().filter(|c| is_han(*c));
                    end <= limit
                        && !from_place(end)
                        && !next.is_some_and(|c| self.not_given.contains(&c))
                        && model.accepts_after_role(&text[given..end], next)
                })
            })
    }

    /// `符建业：一共流转了…`, `文桂香：\n你于…`, `郝斌，区商务局…`: a line
    /// that opens with a name and a colon, comma or parenthesis (a
    /// transcript's speaker, a letter's addressee, a roster's entry). No
    /// label vouches for it, so its given name must read as one, and a
    /// label or title is none (`申请人：`, `主任，`).
    pub(super) fn line_head(&self, cx: &TextCtx, mark: usize, out: &mut Vec<Found>) {
        if self.name_after_number(cx, mark, out) {
            return;
        }
        let Some(start) = self.line_head_name(cx.text, mark) else {
            // Else perhaps a later cell of a row, or a heading (`金山中学：`,
            // `第一选区：`).
            if let Some(start) = self.row_cell_name(cx, mark) {
                return self.push(cx, start, mark, out);
            }
            return self.list_after_heading(cx, mark, out);
        };
        self.push(cx, start, mark, out);
        // A roster opening the line goes on after `、` (`周逸凡（篮球）、林可馨（田径）`).
        if let Some((next, true)) = self.next_in_list(cx.text, mark) {
            self.list_from(cx, next, Reading::Prose, out);
        }
    }

    /// `17796401780（孟庆祥）`: a phone's owner in parentheses right after
    /// it, when the parenthetical is one whole name. Whether the mark at
    /// `mark` opened such a parenthetical after a number.
    fn name_after_number(&self, cx: &TextCtx, mark: usize, out: &mut Vec<Found>) -> bool {
        let text = cx.text;
        let Some(open) = ['（', '(']
            .into_iter()
            .find(|p| text[mark..].starts_with(*p))
        else {
            return false;
        };
        if !text[..mark].ends_with(|c: char| c.is_ascii_digit()) {
            return false;
        }
        let start = mark + open.len_utf8();
        let window = bounded_end(text, start, MAX_NAME_BYTES);
        if let Some(len) = text[start..window].find(['）', ')']) {
            self.whole_cell(cx, start, start + len, out);
        }
        true
    }

    /// The start of the name that opens the line and ends at `mark`, when
    /// it is no label or title and its given name reads as one.
    fn line_head_name(&self, text: &str, mark: usize) -> Option<usize> {
        // Walked back from the mark, not looked up: commas are common and
        // a line layout costs a pass over the text.
        // A row number may stand before it (`1　　王秀兰　370683…`), or the
        // time of a chat message (`[08:02] 蒋晓楠（班主任）：`).
        let start = Self::start_of_name_before(text, mark, |s| {
            let before = text[..s].trim_end_matches(is_blank);
            let before = before
                .strip_suffix(']')
                .and_then(|b| b.strip_suffix(|c: char| c.is_ascii_digit() || c == ':'))
                .and_then(|b| b.rsplit_once('['))
                .filter(|(_, time)| time.chars().all(|c| c.is_ascii_digit() || c == ':'))
                .map_or(before, |(b, _)| b);
            let before = before
                .trim_end_matches(|c: char| c.is_ascii_digit())
                .trim_end_matches(is_blank);
            before.is_empty() || before.ends_with('\n')
        })?;
        if self.is_role_word(&text[start..mark]) {
            return None;
        }
        let surname = self.surname_at(text, start, Reading::Prose)?;
        let is_name = self.name_at(text, start, Reading::Prose) == Some(mark);
        (is_name && self.model().accepts(&text[start + surname..mark])).then_some(start)
    }

    /// `古楼街道　宋军　0635-8312345`: a later cell of a row whose cells
    /// are set apart by ideographic spaces, holding a whole name, in a row
    /// that goes on to a phone or an ID number. The number says the row is
    /// a person's; the given name must still read as one.
    fn row_cell_name(&self, cx: &TextCtx, mark: usize) -> Option<usize> {
        let text = cx.text;
        if !text[mark..].starts_with(ROW_CELL_GAP) {
            return None;
        }
        let start = Self::start_of_name_before(text, mark, |s| text[..s].ends_with(ROW_CELL_GAP))?;
        let earlier = text[cx.line_start(start)..start].trim_matches(is_blank);
        if earlier.is_empty() || earlier.contains(SENTENCE_MARKS) {
            return None;
        }
        let rest = &text[mark..cx.line_end(mark)];
        let longest_number = rest
            .split(|c: char| !is_digit(c) && c != '-')
            .map(|run| run.chars().filter(|c| is_digit(*c)).count())
            .max()
            .unwrap_or(0);
        if longest_number < MIN_ROW_NUMBER_DIGITS || self.is_role_word(&text[start..mark]) {
            return None;
        }
        let surname = self.surname_at(text, start, Reading::Prose)?;
        let is_name = self.name_at(text, start, Reading::Prose) == Some(mark);
        (is_name && self.model().accepts_placed(&text[start + surname..mark])).then_some(start)
    }

    /// `第一选区：谷满仓、邝美玲`, `湖州市第二中学：凌晓`: a line whose
    /// heading (a unit, a group, a constituency) is followed by a colon and
    /// nothing but names, which the heading vouches for. Read only when the
    /// names run to the end of the line, but for a parenthetical or a head
    /// count (`信息工程学院：司马晨阳（2022级）`, `评标委员会：保晓霞、朵兰芳等5人`).
    fn list_after_heading(&self, cx: &TextCtx, colon: usize, out: &mut Vec<Found>) {
        let text = cx.text;
        if !text[colon..].starts_with(['：', ':']) {
            return;
        }
        let heading = text[cx.line_start(colon)..colon].trim_matches(is_blank);
        if !self.is_counted_heading(heading)
            && !self
                .list_headings
                .iter()
                .any(|h| heading.ends_with(h.as_str()))
        {
            return;
        }
        let value = skip_chars(text, colon, usize::MAX, |c| {
            matches!(c, '：' | ':') || is_blank(c)
        });
        let line_end = cx.line_end(colon);
        let value_end = value + text[value..line_end].trim_end_matches(is_blank).len();
        let mut names = Vec::new();
        self.list_from(cx, value, Reading::Vouched, &mut names);
        if names
            .last()
            .is_some_and(|n| self.only_remarks(&text[n.end..value_end]))
        {
            out.extend(names);
        }
    }

    /// `一类保障（4户）`, `大专组（3名）`: a heading that ends in a head count
    /// of people in parentheses says the list after it is of people.
    fn is_counted_heading(&self, heading: &str) -> bool {
        let Some(inner) = heading
            .strip_suffix(['）', ')'])
            .and_then(|h| h.rsplit_once(['（', '(']))
            .map(|(_, inner)| inner)
        else {
            return false;
        };
        self.is_head_count(inner)
    }

    /// `4户`, `三名`: a number, in digits or characters, and one count unit.
    fn is_head_count(&self, count: &str) -> bool {
        let unit = count.trim_start_matches(|c: char| is_digit(c) || CHINESE_NUMERALS.contains(c));
        let mut chars = unit.chars();
        unit.len() < count.len()
            && chars.next().is_some_and(|c| self.count_units.contains(&c))
            && chars.next().is_none()
    }

    /// Whether what follows the last name of a line is only a remark on it:
    /// nothing, one parenthetical, a head count (`等5人`), or a word for
    /// its bearer (`诸暨市：斯建新家庭`).
    fn only_remarks(&self, tail: &str) -> bool {
        if self.roles_after.iter().any(|w| w == tail) {
            return true;
        }
        let tail = match tail.strip_prefix(['（', '(']) {
            Some(inner) => {
                let Some(close) = inner.find(['）', ')']) else {
                    return false;
                };
                let after = &inner[close..];
                &after[after.chars().next().map_or(0, char::len_utf8)..]
            }
            None => tail,
        };
        match tail.strip_prefix('等') {
            Some(count) => self.is_head_count(count),
            None => tail.is_empty(),
        }
    }
}

/// Whether `rest`, the text after a candidate name, goes on to the end of
/// a firm's name within its run of Han characters.
fn opens_firm_name(rest: &str) -> bool {
    let run: usize = rest
        .chars()
        .take_while(|c| is_han(*c))
        .take(MAX_FIRM_NAME)
        .map(char::len_utf8)
        .sum();
    FIRM_ENDS.iter().any(|end| rest[..run].contains(end))
}
