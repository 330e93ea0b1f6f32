//! The scan itself: one window pass for regex detectors and window-driven
//! kinds, one walk for trigger words (`triggers.rs`), then overlap resolution.

use std::collections::BTreeMap;

use regex::{Regex, RegexSet};

use super::context::{contains_ci, TextCtx};
use super::kinds::{Coded, Found};
use super::normalize::{fold_char, for_each_window, is_digit, Window};
use super::pack::{DetectorDef, RegexSpec};
use super::triggers::TriggerSet;
use super::{Detection, ScanHints};
use crate::policy_error::PolicyError;

/// Windows with fewer digits/letters hold no value we look for (the shortest,
/// an IPv4 address such as `1.2.3.4`, has four) except a compressed IPv6
/// address (`::1`).
const MIN_WINDOW_ALNUM: usize = 4;
/// Below this many digits/letters a window must also hold one of
/// [`SHORT_VALUE_MARKS`] to be worth a regex search: years and amounts
/// (`2019`, `7518`) are the most frequent windows in prose.
const MIN_PLAIN_ALNUM: usize = 6;
const SHORT_VALUE_MARKS: &[char] = &['.', ':', '@', '°'];

fn worth_searching(w: &Window) -> bool {
    w.alnum >= MIN_PLAIN_ALNUM
        || (w.alnum >= MIN_WINDOW_ALNUM && w.folded.contains(SHORT_VALUE_MARKS))
        // A plate of four after its letter, before a Han suffix (`A6789挂`).
        || (w.alnum + 1 == MIN_PLAIN_ALNUM && w.folded.starts_with(|c: char| c.is_ascii_uppercase()))
        || w.folded.contains("::")
}

struct CompiledRegex {
    spec: RegexSpec,
    /// Each pattern wrapped as `(?:^|[^0-9A-Za-z])(pattern)`: the leading token
    /// boundary is part of the match, the trailing one is checked by hand (so
    /// that adjacent values separated by one character are both found).
    regexes: Vec<Regex>,
}

pub struct Engine {
    defs: Vec<DetectorDef>,
    regex: Vec<(usize, CompiledRegex)>,
    /// Every wrapped pattern of `regex`, so one search per window tells which
    /// (detector, pattern) pairs are worth running with captures.
    regex_set: RegexSet,
    set_owner: Vec<(usize, usize)>,
    coded: Vec<(usize, Box<dyn Coded>)>,
    /// Indexes into `coded` of the kinds that look at every window.
    window_coded: Vec<usize>,
    /// Trigger words of all coded detectors, with (index into `coded`, word index).
    triggers: TriggerSet,
    trigger_owner: Vec<Vec<(usize, usize)>>,
}

#[derive(Debug, Clone, Copy)]
struct Candidate {
    det: usize,
    found: Found,
}

impl Engine {
    pub fn build(defs: Vec<DetectorDef>) -> Result<Engine, PolicyError> {
        let mut regex = Vec::new();
        let mut coded = Vec::new();
        for (i, def) in defs.iter().enumerate() {
            match (&def.regex, def.kind.build(def)?) {
                (_, Some(c)) => coded.push((i, c)),
                (Some(spec), None) => regex.push((i, compile_regex(def, spec)?)),
                (None, None) => return Err(def.error("regex detector without patterns")),
            }
        }
        let set_owner: Vec<(usize, usize)> = regex
            .iter()
            .enumerate()
            .flat_map(|(ri, (_, re))| (0..re.regexes.len()).map(move |pi| (ri, pi)))
            .collect();
        let regex_set = RegexSet::new(
            regex
                .iter()
                .flat_map(|(_, re)| re.regexes.iter().map(|r| r.as_str().to_string())),
        )
        .map_err(|e| PolicyError::new("detectors", None, format!("regex set: {e}")))?;
        // Several detectors may share a trigger word; the automaton holds each
        // word once and fans out to every owner.
        let mut words: Vec<String> = Vec::new();
        let mut trigger_owner: Vec<Vec<(usize, usize)>> = Vec::new();
        for (ci, (_, c)) in coded.iter().enumerate() {
            for (wi, w) in c.triggers().into_iter().enumerate() {
                match words.iter().position(|x| x.eq_ignore_ascii_case(&w)) {
                    Some(i) => trigger_owner[i].push((ci, wi)),
                    None => {
                        words.push(w);
                        trigger_owner.push(vec![(ci, wi)]);
                    }
                }
            }
        }
        let triggers = TriggerSet::new(&words)
            .map_err(|e| PolicyError::new("detectors", None, format!("trigger words: {e}")))?;
        let window_coded = (0..coded.len())
            .filter(|&ci| coded[ci].1.wants_windows())
            .collect();
        Ok(Engine {
            window_coded,
            defs,
            regex,
            regex_set,
            set_owner,
            coded,
            triggers,
            trigger_owner,
        })
    }

    pub fn detector_ids(&self) -> impl Iterator<Item = &str> {
        self.defs.iter().map(|d| d.id.as_str())
    }

    pub fn scan(&self, text: &str, hints: &ScanHints) -> Vec<Detection> {
        let cx = TextCtx::new(text, hints);
        let mut cands: Vec<Candidate> = Vec::new();
        let mut found = Vec::new();
        // Moves what a coded detector found into the candidates.
        let take = |det: usize, found: &mut Vec<Found>, cands: &mut Vec<Candidate>| {
            cands.extend(found.drain(..).map(|found| Candidate { det, found }));
        };
        for_each_window(text, 1, |w| {
            if worth_searching(w) {
                for i in self.regex_set.matches(&w.folded).iter() {
                    let (ri, pi) = self.set_owner[i];
                    let (det, re) = &self.regex[ri];
                    self.run_regex(&cx, w, *det, &re.spec, &re.regexes[pi], &mut cands);
                }
            }
            for &ci in &self.window_coded {
                let (det, c) = &self.coded[ci];
                c.on_window(&cx, w, &mut found);
                take(*det, &mut found, &mut cands);
            }
        });
        self.triggers.for_each_match(text, |word, start, end| {
            for &(ci, wi) in &self.trigger_owner[word] {
                let (det, c) = &self.coded[ci];
                c.on_trigger(&cx, wi, start, end, &mut found);
                take(*det, &mut found, &mut cands);
            }
        });
        for (det, c) in &self.coded {
            let earlier: Vec<Found> = cands
                .iter()
                .filter(|k| k.det == *det)
                .map(|k| k.found)
                .collect();
            c.finish(&cx, &earlier, &mut found);
            take(*det, &mut found, &mut cands);
            let withdrawn = c.withdrawn(&cx, &earlier);
            if !withdrawn.is_empty() {
                cands.retain(|k| {
                    k.det != *det || !withdrawn.contains(&&text[k.found.start..k.found.end])
                });
            }
        }
        self.resolve(text, cands)
    }

    fn run_regex(
        &self,
        cx: &TextCtx,
        w: &Window,
        det: usize,
        spec: &RegexSpec,
        regex: &Regex,
        out: &mut Vec<Candidate>,
    ) {
        let def = &self.defs[det];
        let folded: &str = &w.folded;
        // A neighbour `c` breaks the token when it is `*` (a masked value) or an
        // ASCII glue character with a letter/digit `beyond` it. Glue is checked
        // on the original text: `IPv6：fe80::1` has a full-width colon, no glue.
        let glued = |c: Option<char>, beyond: Option<char>| {
            c.is_some_and(|c| c == '*' || c == '＊')
                || (c.is_some_and(|c| spec.glue.contains(c))
                    && beyond.is_some_and(|b| fold_char(b).is_ascii_alphanumeric()))
        };
        for caps in regex.captures_iter(folded) {
            let Some(m) = caps.get(1) else { continue };
            let (fs, fe) = (m.start(), m.end());
            if folded[fe..].starts_with(|c: char| c.is_ascii_alphanumeric())
                || spec.validator.is_some_and(|v| !(v.check)(m.as_str()))
            {
                continue;
            }
            let mut after = cx.text[w.orig(fe)..].chars();
            let mut before = cx.text[..w.orig(fs)].chars().rev();
            if glued(after.next(), after.next()) || glued(before.next(), before.next()) {
                continue;
            }
            let mut start = w.orig(fs);
            let mut end = w.orig(fe);
            if let Some(prefix) = &spec.prefix_chars {
                match cx.text[..w.start].chars().next_back() {
                    Some(pc) if fs == 0 && prefix.contains(pc) => start -= pc.len_utf8(),
                    _ => continue,
                }
            }
            if let Some(suffix) = &spec.suffix_chars {
                match cx.text[end..].chars().next() {
                    Some(sc) if fe == folded.len() && suffix.contains(sc) => end += sc.len_utf8(),
                    _ => continue,
                }
            }
            // The run of ASCII ends at the extension word (`转`), or at the
            // blank before it (` 分机 8002`).
            if folded[fe..].trim_start_matches(' ').is_empty() {
                end += extension_len(&cx.text[end..], &spec.extension);
            }
            if let Some(confidence) = context_confidence(cx, def, start) {
                let found = Found {
                    start,
                    end,
                    confidence,
                };
                out.push(Candidate { det, found });
            }
        }
    }

    /// Keeps the best non-overlapping candidates: higher priority first, then
    /// longer spans, then earlier ones; allow-listed values are dropped.
    fn resolve(&self, text: &str, mut cands: Vec<Candidate>) -> Vec<Detection> {
        cands.retain(|c| {
            let def = &self.defs[c.det];
            let value = &text[c.found.start..c.found.end];
            c.found.start < c.found.end && !def.allow.iter().any(|a| a == value)
        });
        cands.sort_by(|a, b| {
            let (da, db) = (&self.defs[a.det], &self.defs[b.det]);
            db.priority
                .cmp(&da.priority)
                .then((b.found.end - b.found.start).cmp(&(a.found.end - a.found.start)))
                .then(a.found.start.cmp(&b.found.start))
        });
        let mut taken: BTreeMap<usize, (usize, Candidate)> = BTreeMap::new();
        for c in cands {
            let (s, e) = (c.found.start, c.found.end);
            let clash_before = taken
                .range(..e)
                .next_back()
                .is_some_and(|(_, (pe, _))| *pe > s);
            if !clash_before {
                taken.insert(s, (e, c));
            }
        }
        taken
            .into_values()
            .map(|(_, c)| {
                let def = &self.defs[c.det];
                Detection {
                    entity: def.entity.clone(),
                    detector: def.id.clone(),
                    category: def.category,
                    severity: def.severity,
                    confidence: c.found.confidence.clamp(0.0, 1.0),
                    start: c.found.start,
                    end: c.found.end,
                }
            })
            .collect()
    }
}

/// Confidence of a candidate given the detector's context words, or `None`
/// when the words are required and absent.
pub fn context_confidence(cx: &TextCtx, def: &DetectorDef, start: usize) -> Option<f32> {
    let ctx = &def.context;
    if !ctx.refused.is_empty() {
        let before = cx.before(start, ctx.window);
        if ctx.refused.iter().any(|w| contains_ci(before, w)) {
            return None;
        }
    }
    if ctx.words.is_empty() {
        return Some(def.confidence);
    }
    let has = cx.has_context(&ctx.words, start, ctx.window);
    match (has, ctx.required) {
        (false, true) => None,
        (false, false) => Some(def.confidence * 0.8),
        (true, _) => Some((def.confidence + 0.1).min(1.0)),
    }
}

/// Length of an extension such as `转123` / `分机123` / ` 分机 8002` at the
/// start of `rest` (1–5 digits, not followed by another digit), or 0.
fn extension_len(rest: &str, words: &[String]) -> usize {
    let blanks = |s: &str| s.len() - s.trim_start_matches([' ', '\u{3000}']).len();
    let lead = blanks(rest);
    for w in words {
        if let Some(after) = rest[lead..].strip_prefix(w.as_str()) {
            let gap = blanks(after);
            let digits: usize = after[gap..]
                .chars()
                .take_while(|c| is_digit(*c))
                .map(char::len_utf8)
                .sum();
            let count = after[gap..gap + digits].chars().count();
            // The extension is a token too: no letter or digit may follow it.
            if (1..=5).contains(&count)
                && !after[gap + digits..].starts_with(|c: char| c.is_ascii_alphanumeric())
            {
                return lead + w.len() + gap + digits;
            }
        }
    }
    0
}

fn compile_regex(def: &DetectorDef, spec: &RegexSpec) -> Result<CompiledRegex, PolicyError> {
    let regexes = spec
        .patterns
        .iter()
        .map(|p| {
            Regex::new(&format!("(?:^|[^0-9A-Za-z])({p})"))
                .map_err(|e| def.error(format!("detector `{}`: invalid regex: {e}", def.id)))
        })
        .collect::<Result<_, _>>()?;
    Ok(CompiledRegex {
        spec: spec.clone(),
        regexes,
    })
}
