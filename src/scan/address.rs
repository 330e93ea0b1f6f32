//! Postal addresses down to a house, building, room or village group.
//!
//! Triggered by a street/village component suffix (`路`, `大道`, `村`, `小区` …):
//! forward, the address must continue with numbered units (`103号`, `2栋`,
//! `7组`, `2201室`, `3-2-1102`); backward it takes the street name and the
//! administrative components before it (`湖北省鄂州市梁子湖区太和镇`).

use aho_corasick::AhoCorasick;

use super::context::TextCtx;
use super::engine::context_confidence;
use super::kinds::{required_lexicon, Coded, Found};
use super::normalize::{fold_char, is_blank, is_digit, is_han, skip_chars};
use super::pack::DetectorDef;
use super::words::CharSet;
use crate::policy_error::PolicyError;

pub const LEXICON: &[&str] = &[
    "street_suffixes",
    "admin_suffixes",
    "units",
    "labels",
    "stop_chars",
    "regions",
];

pub struct AddressDetector {
    def: DetectorDef,
    street_suffixes: Vec<String>,
    admin_suffixes: Vec<String>,
    /// Unit words after a number, longest first (`号楼` before `号`).
    units: Vec<String>,
    /// Labels that may be glued to the first component (`家住`, `位于`), as
    /// one automaton: a span holds dozens of candidate positions.
    labels: AhoCorasick,
    /// The last character of every administrative suffix, so that a name
    /// character is compared with the suffixes only when it could end one.
    admin_last_chars: CharSet,
    /// Characters a component name never contains (`的`, `在`, …).
    stop_chars: CharSet,
    /// Places named whole, with no suffix (`香港`, `新界`, `氹仔`): taken
    /// before the street as components of their own.
    regions: Vec<String>,
    /// The last character of every region.
    region_last_chars: CharSet,
}

/// Longest Han name before a component suffix or unit.
const MAX_NAME: usize = 8;
/// Longest named building or compound between numbered units: campus and
/// office names run longer than street names (`华中科技大学东九楼`).
const MAX_BUILDING: usize = 12;
/// Administrative components taken before the street.
const MAX_ADMIN: usize = 6;
/// Characters before an address's start searched for a label running into
/// it.
const LABEL_LEAD: usize = 3;
/// Numbered units after the street (`号`, `栋`, `单元`, `室` …); bounds the
/// work per trigger on text that repeats them endlessly.
const MAX_UNITS: usize = 8;

impl AddressDetector {
    pub fn new(def: &DetectorDef) -> Result<Self, PolicyError> {
        let mut units = required_lexicon(def, "units")?.to_vec();
        units.sort_by_key(|u| std::cmp::Reverse(u.len()));
        let mut admin_suffixes = required_lexicon(def, "admin_suffixes")?.to_vec();
        admin_suffixes.sort_by_key(|u| std::cmp::Reverse(u.len()));
        let labels = AhoCorasick::new(super::kinds::lexicon(def, "labels"))
            .map_err(|e| def.error(format!("labels: {e}")))?;
        let admin_last_chars =
            CharSet::new(admin_suffixes.iter().filter_map(|s| s.chars().next_back()));
        let regions = super::kinds::lexicon(def, "regions").to_vec();
        let region_last_chars = CharSet::new(regions.iter().filter_map(|s| s.chars().next_back()));
        Ok(Self {
            def: def.clone(),
            street_suffixes: required_lexicon(def, "street_suffixes")?.to_vec(),
            admin_suffixes,
            admin_last_chars,
            units,
            labels,
            stop_chars: CharSet::new(
                super::kinds::lexicon(def, "stop_chars")
                    .iter()
                    .flat_map(|w| w.chars()),
            ),
            regions,
            region_last_chars,
        })
    }

    /// `digits unit` at `pos` (digits ASCII or full-width, `-` allowed inside
    /// for room numbers such as `3-2-1102`); returns its end.
    fn numbered_unit(&self, text: &str, pos: usize) -> Option<usize> {
        let rest = &text[pos..];
        // A building letter, before a number (`B6栋`) or alone (`B座`).
        let letter = rest
            .chars()
            .next()
            .filter(|c| fold_char(*c).is_ascii_uppercase())
            .map_or(0, char::len_utf8);
        let mut len = 0;
        let mut dashes = 0;
        for c in rest[letter..].chars() {
            if is_digit(c) {
                len += c.len_utf8();
            } else if (c == '-' || c == '－') && len > 0 {
                dashes += 1;
                len += c.len_utf8();
            } else {
                break;
            }
        }
        if len > 0
            && !rest[letter..letter + len]
                .chars()
                .last()
                .is_some_and(is_digit)
        {
            return None;
        }
        let number = &rest[letter..letter + len];
        len += letter;
        if len == 0 {
            return None;
        }
        let after = skip_chars(text, pos + len, 1, is_blank);
        if let Some(u) = self
            .units
            .iter()
            .find(|u| text[after..].starts_with(u.as_str()))
        {
            // `1-200号`, `1-12幢`: a stretch of a street or an estate, no house.
            if (u == "号" || is_building(u)) && is_range(number) {
                return None;
            }
            // `188号至256号`: the same stretch written with words.
            let beyond = &text[after + u.len()..];
            let to = beyond.strip_prefix(['至', '到', '~', '～']);
            if u == "号" && to.is_some_and(|t| t.starts_with(|c: char| is_digit(c))) {
                return None;
            }
            return Some(after + u.len());
        }
        // A bare room number in `3-2-1102` style.
        (dashes >= 2).then_some(pos + len)
    }

    /// A floor or building part counted in Han numerals (`三楼`, `十二层`,
    /// `二单元`), as notices write them; house and room numbers never are.
    fn han_numbered_part(&self, text: &str, pos: usize) -> Option<usize> {
        let after = pos
            + text[pos..]
                .chars()
                .take_while(|c| HAN_NUMERALS.contains(*c))
                .take(MAX_HAN_NUMERALS)
                .map(char::len_utf8)
                .sum::<usize>();
        if after == pos {
            return None;
        }
        self.units
            .iter()
            .filter(|u| is_building_part(u))
            .find(|u| text[after..].starts_with(u.as_str()))
            .map(|u| after + u.len())
    }

    /// A block of an estate named by its letter, then a numbered building
    /// part of it (`B区5栋`, `C区2单元`); returns the part's end. A block
    /// before a house or a window number is a place inside a building
    /// (`2楼B区18号窗口`), no part of the address.
    fn lettered_block(&self, text: &str, pos: usize) -> Option<usize> {
        let letter = text[pos..]
            .chars()
            .next()
            .filter(|c| fold_char(*c).is_ascii_uppercase())?;
        let block = pos + letter.len_utf8();
        let part = block + BLOCK.len() * usize::from(text[block..].starts_with(BLOCK));
        if part == block {
            return None;
        }
        let end = self.numbered_unit(text, part)?;
        self.units
            .iter()
            .filter(|u| text[..end].ends_with(u.as_str()))
            .max_by_key(|u| u.len())
            .filter(|u| is_building_part(u))
            .map(|_| end)
    }

    /// Numbered units (with named buildings between them) from `pos`, the
    /// end of a street or building word, and whether the first is a floor
    /// counted in Han numerals, which only then may follow (`办公楼四楼`).
    fn units_from(&self, text: &str, mut pos: usize) -> Option<(usize, bool)> {
        let mut han_floor = false;
        let mut end = None;
        for round in 0..MAX_UNITS {
            let p = skip_chars(text, pos, 1, is_blank);
            let han = || {
                let floor = (round == 0)
                    .then(|| self.han_numbered_part(text, p))
                    .flatten();
                han_floor |= floor.is_some();
                floor
            };
            if let Some(e) = self
                .numbered_unit(text, p)
                .or_else(han)
                .or_else(|| self.lettered_block(text, p))
            {
                end = Some(e);
                pos = e;
                continue;
            }
            // A named building or compound, then a numbered unit; a tower's
            // letters and digits may follow two Han characters of its name
            // (`万达J3写字楼1106室`, but `2楼B区18号窗口` ends at `2楼`).
            let mut q = p;
            let mut n = 0;
            for c in text[p..].chars() {
                let named = is_han(c) || (n >= 2 && c.is_ascii_alphanumeric());
                if !named || n == MAX_BUILDING || self.stop_chars.contains(c) {
                    break;
                }
                q += c.len_utf8();
                n += 1;
                if let Some(e) = self.numbered_unit(text, q) {
                    end = Some(e);
                    pos = e;
                    n = usize::MAX;
                    break;
                }
            }
            if n != usize::MAX || end.is_none() {
                break;
            }
        }
        end.map(|e| (e, han_floor))
    }

    /// Whether a span opens after a label's colon (`地址：`) or with an
    /// administrative component (`清溪县…`): what a building with a floor
    /// in Han numerals needs to be an address, not a direction given
    /// beside one (`（商贸中心一楼）`).
    fn placed(&self, text: &str, start: usize, street_start: usize) -> bool {
        text[..start]
            .trim_end_matches(is_blank)
            .ends_with(['：', ':'])
            || self
                .admin_suffixes
                .iter()
                .any(|s| text[start..street_start].contains(s.as_str()))
    }

    /// Start of the street name and administrative components before `pos`.
    fn start_before(&self, text: &str, pos: usize) -> usize {
        let mut start = self.name_before(text, pos);
        for _ in 0..MAX_ADMIN {
            // One blank may separate components (`鄂州市 鄂城区 文星路`).
            let before = &text[..start];
            let before = before.strip_suffix([' ', '\u{3000}']).unwrap_or(before);
            if let Some(region) = self.region_ending(before) {
                start = before.len() - region.len();
                continue;
            }
            let Some(suffix) = self
                .admin_suffixes
                .iter()
                .find(|s| before.ends_with(s.as_str()))
            else {
                break;
            };
            let suffix_start = before.len() - suffix.len();
            let mut s = self.name_before(text, suffix_start);
            if s == suffix_start {
                // A component whose name ends in a suffix character
                // (`荆州市沙市区`, `市中区`): that character joins the name.
                // Only a suffix character: `到县人民路` is no `到县`.
                let suffix_char = |c: &char| {
                    !self.stop_chars.contains(*c)
                        && self.admin_suffixes.iter().any(|s| s.chars().eq([*c]))
                };
                if let Some(c) = text[..suffix_start].chars().next_back().filter(suffix_char) {
                    let inner = suffix_start - c.len_utf8();
                    let t = self.name_before(text, inner);
                    if t < inner {
                        s = t;
                    }
                }
            }
            if s == suffix_start {
                // A lone suffix character opening the text or a field
                // (`地址：市民中心…`, `：县人民医院…`) names the place the
                // reader is in; after a word (`到县人民路`) it is prose.
                let lone = suffix.chars().count() == 1
                    && text[..suffix_start]
                        .chars()
                        .next_back()
                        .is_none_or(|c| !is_han(c));
                if lone {
                    start = suffix_start;
                }
                break;
            }
            start = s;
        }
        // Labels and words that never belong to an address (`家住湖北省…`,
        // `村民张三反映杨湖村3组`) cut it: it starts after the last one. One
        // may open before the start, on a stop character (`到达广州市…`).
        let from = text[..start]
            .char_indices()
            .rev()
            .nth(LABEL_LEAD - 1)
            .map_or(0, |(i, _)| i);
        self.labels
            .find_overlapping_iter(&text[from..pos])
            .map(|m| from + m.end())
            .filter(|&end| end > start)
            .max()
            .unwrap_or(start)
    }

    /// Han characters before `pos` up to an administrative suffix, a stop
    /// character or a non-Han character.
    fn name_before(&self, text: &str, pos: usize) -> usize {
        let mut start = pos;
        for (n, (i, c)) in text[..pos].char_indices().rev().enumerate() {
            if n == MAX_NAME || !is_han(c) || self.stop_chars.contains(c) {
                break;
            }
            if self.admin_last_chars.contains(c)
                && self
                    .admin_suffixes
                    .iter()
                    .any(|s| text[..i + c.len_utf8()].ends_with(s.as_str()))
            {
                break;
            }
            if self.region_last_chars.contains(c)
                && self.region_ending(&text[..i + c.len_utf8()]).is_some()
            {
                break;
            }
            start = i;
        }
        start
    }

    /// The region `text` ends with, the longest (`香港岛` before `港岛`).
    fn region_ending(&self, text: &str) -> Option<&str> {
        self.regions
            .iter()
            .filter(|r| text.ends_with(r.as_str()))
            .max_by_key(|r| r.len())
            .map(String::as_str)
    }
}

const HAN_NUMERALS: &str = "一二三四五六七八九十";
/// What follows a block's letter (`B区`).
const BLOCK: &str = "区";
/// `二十三楼`: no building has more floors than three numerals write.
const MAX_HAN_NUMERALS: usize = 3;

/// A unit that names a floor, a building or an entrance (`楼`, `层`, `栋`,
/// `座`, `单元`), not a house, room or village group.
fn is_building_part(unit: &str) -> bool {
    unit == "单元" || unit.ends_with(['楼', '层', '樓', '層', '栋', '幢', '棟', '座'])
}

/// A unit that numbers the buildings of an estate (`栋`, `幢`).
fn is_building(unit: &str) -> bool {
    matches!(unit, "栋" | "幢" | "棟")
}

/// `1-200`: two numbers, the second larger, as house-number ranges are
/// written (`12-3` is house 12, entrance 3).
fn is_range(digits: &str) -> bool {
    let number = |s: &str| -> Option<u64> {
        s.chars()
            .map(|c| fold_char(c).to_digit(10).map(u64::from))
            .try_fold(0u64, |acc, d| {
                Some(acc.saturating_mul(10).saturating_add(d?))
            })
    };
    let parts: Vec<&str> = digits.split(['-', '－']).collect();
    match parts.as_slice() {
        [low, high] => matches!((number(low), number(high)), (Some(l), Some(h)) if l < h),
        _ => false,
    }
}

impl Coded for AddressDetector {
    fn triggers(&self) -> Vec<String> {
        self.street_suffixes.clone()
    }

    fn on_trigger(
        &self,
        cx: &TextCtx,
        _word: usize,
        start: usize,
        end: usize,
        out: &mut Vec<Found>,
    ) {
        let text = cx.text;
        let Some((addr_end, han_floor)) = self.units_from(text, end) else {
            return;
        };
        let addr_start = self.start_before(text, start);
        if addr_start == start {
            return; // a suffix without a name (`路12号` alone) is not an address
        }
        if han_floor && !self.placed(text, addr_start, start) {
            return;
        }
        if let Some(confidence) = context_confidence(cx, &self.def, addr_start) {
            out.push(Found {
                start: addr_start,
                end: addr_end,
                confidence,
            });
        }
    }
}
