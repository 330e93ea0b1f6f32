//! Masked display of values, and excerpts that never show a raw value.

use super::normalize::{bounded_end, is_digit};
use super::Detection;

/// Masks a raw value for display: `420106********1234`, `138****5678`,
/// `6222 **** **** 1234`, `王*林`, `zh****@163.com`; credentials fully starred.
pub fn mask(entity: &str, value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    mask_into(&mut out, entity, value);
    out
}

/// [`mask`], appended to `out`: excerpts mask several values into one string.
fn mask_into(out: &mut String, entity: &str, value: &str) {
    // Characters hidden inside a value are not shown, nor published.
    let visible: String;
    let value = if value.chars().any(super::evasion::is_invisible) {
        visible = value
            .chars()
            .filter(|c| !super::evasion::is_invisible(*c))
            .collect();
        visible.as_str()
    } else {
        value
    };
    match entity {
        "CN_ID_CARD" => mask_kept(out, value, char::is_alphanumeric, 6, 4),
        "CN_MOBILE" => mask_before_end(out, value, 4, 4),
        "BANK_CARD" => mask_kept(out, value, char::is_alphanumeric, 4, 4),
        "CN_LANDLINE" => mask_before_end(out, value, 2, 4),
        "PERSON_NAME" => mask_name(out, value),
        "EMAIL" => mask_email(out, value),
        "ADDRESS" => mask_tail(out, value, value.chars().count() / 3),
        "CLASSIFICATION_MARK" => out.push_str(value),
        "SECRET_KEY" => out.push_str("********"),
        _ => mask_alnum(out, value, 2, 2),
    }
}

/// Keeps the first `head` and last `tail` characters that are `counted`
/// (letters and digits, or digits only); the others stay as they are.
fn mask_kept(out: &mut String, value: &str, counted: fn(char) -> bool, head: usize, tail: usize) {
    let total = value.chars().filter(|c| counted(*c)).count();
    let mut seen = 0;
    out.extend(value.chars().map(|c| {
        if !counted(c) {
            return c;
        }
        seen += 1;
        if seen <= head || seen > total.saturating_sub(tail) {
            c
        } else {
            '*'
        }
    }));
}

/// Stars `count` digits before the last `keep` digits (`138****5678`, also
/// with a `+86` prefix).
fn mask_before_end(out: &mut String, value: &str, keep: usize, count: usize) {
    let digits = value.chars().filter(|c| is_digit(*c)).count();
    let head = digits.saturating_sub(keep + count);
    mask_kept(out, value, is_digit, head, keep.min(digits));
}

fn mask_alnum(out: &mut String, value: &str, head: usize, tail: usize) {
    if value.chars().filter(|c| c.is_alphanumeric()).count() <= head + tail {
        out.extend(value.chars().map(|_| '*'));
        return;
    }
    mask_kept(out, value, char::is_alphanumeric, head, tail);
}

fn mask_name(out: &mut String, value: &str) {
    let mut chars = value.chars();
    let Some(first) = chars.next() else { return };
    out.push(first);
    match chars.next_back() {
        // `王*`: a two-character name keeps only its surname.
        Some(last) if chars.clone().next().is_some() => {
            out.extend(chars.map(|_| '*'));
            out.push(last);
        }
        _ => out.push('*'),
    }
}

fn mask_email(out: &mut String, value: &str) {
    match value.split_once('@') {
        Some((local, domain)) => {
            out.extend(local.chars().take(2.min(local.len().saturating_sub(1))));
            out.push_str("****@");
            out.push_str(domain);
        }
        None => mask_alnum(out, value, 2, 2),
    }
}

fn mask_tail(out: &mut String, value: &str, keep: usize) {
    out.extend(value.chars().enumerate().map(|(i, c)| {
        if i < keep || c.is_whitespace() {
            c
        } else {
            '*'
        }
    }));
}

/// About `context_chars` characters each side of `detections[idx]`, with that
/// detection and every other detection touching the excerpt masked. The excerpt
/// grows to cover a detection it would cut, so no raw fragment leaks.
pub fn excerpt(text: &str, detections: &[Detection], idx: usize, context_chars: usize) -> String {
    let Some(target) = detections.get(idx) else {
        return String::new();
    };
    // Offsets from the caller are clamped down to char boundaries.
    let floor = |i: usize| bounded_end(text, i, 0);
    let mut start = floor(target.start);
    let mut end = floor(target.end);
    start = text[..start]
        .char_indices()
        .rev()
        .nth(context_chars.saturating_sub(1))
        .map_or(0, |(i, _)| i);
    if context_chars == 0 {
        start = floor(target.start);
    }
    end = text[end..]
        .char_indices()
        .nth(context_chars)
        .map_or(text.len(), |(i, _)| end + i);
    // Growing the window can pull in more detections; repeat until stable.
    let overlapping = loop {
        // Detections are sorted and disjoint, so their ends are sorted too:
        // the overlapping ones are one contiguous run, found by bisection
        // (a scan of all of them per excerpt is quadratic on big files).
        let first = detections.partition_point(|d| d.end <= start);
        let last = detections.partition_point(|d| d.start < end);
        let overlapping = &detections[first..last.max(first)];
        let (s, e) = overlapping.iter().fold((start, end), |(s, e), d| {
            (s.min(floor(d.start)), e.max(floor(d.end)))
        });
        if (s, e) == (start, end) {
            break overlapping;
        }
        (start, end) = (s, e);
    };
    mask_between(text, start, end, overlapping)
}

/// `text[start..end]` with each of `sorted` (by start) masked; a detection
/// overlapping one before it is masked from where that one ended.
fn mask_between<'a>(
    text: &str,
    start: usize,
    end: usize,
    sorted: impl IntoIterator<Item = &'a Detection>,
) -> String {
    let floor = |i: usize| bounded_end(text, i, 0);
    let mut out = String::with_capacity(end - start);
    let mut pos = start;
    for d in sorted {
        let (ds, de) = (floor(d.start).max(pos), floor(d.end).min(end));
        if de <= pos {
            continue;
        }
        out.push_str(&text[pos..ds]);
        mask_into(&mut out, &d.entity, &text[floor(d.start)..de]);
        pos = de;
    }
    out.push_str(&text[pos..end]);
    out
}

/// The whole of `text` with every detection masked: what the public is
/// shown of free text a member of the public sent (a data request).
pub fn mask_all(text: &str, detections: &[Detection]) -> String {
    let mut sorted: Vec<&Detection> = detections.iter().collect();
    sorted.sort_by_key(|d| d.start);
    mask_between(text, 0, text.len(), sorted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::{Category, Severity};

    #[test]
    fn mask_all_masks_every_value_and_keeps_the_rest() {
        let text = "联系人身份证420106199001011234，电话13812345678。";
        let at = |v: &str, entity: &str| Detection {
            entity: entity.into(),
            detector: "t".into(),
            category: Category::Personal,
            severity: Severity::High,
            confidence: 1.0,
            start: text.find(v).unwrap(),
            end: text.find(v).unwrap() + v.len(),
        };
        let found = [
            at("13812345678", "CN_MOBILE"),
            at("420106199001011234", "CN_ID_CARD"),
        ];
        assert_eq!(
            mask_all(text, &found),
            "联系人身份证420106********1234，电话138****5678。"
        );
        assert_eq!(mask_all(text, &[]), text);
    }

    #[test]
    fn masks_like_the_issue() {
        assert_eq!(
            mask("CN_ID_CARD", "420106199001011234"),
            "420106********1234"
        );
        assert_eq!(mask("CN_MOBILE", "13812345678"), "138****5678");
        assert_eq!(mask("CN_MOBILE", "+86 138-1234-5678"), "+86 138-****-5678");
        assert_eq!(
            mask("BANK_CARD", "6222 1234 5678 1234"),
            "6222 **** **** 1234"
        );
        assert_eq!(mask("PERSON_NAME", "王忠林"), "王*林");
        assert_eq!(mask("EMAIL", "zhang@163.com"), "zh****@163.com");
        assert_eq!(mask("SECRET_KEY", "hunter2"), "********");
    }

    fn det(entity: &str, start: usize, end: usize) -> Detection {
        Detection {
            entity: entity.into(),
            detector: entity.into(),
            category: Category::Personal,
            severity: Severity::High,
            confidence: 1.0,
            start,
            end,
        }
    }

    #[test]
    fn excerpt_masks_neighbours() {
        let text = "联系人王忠林电话13812345678。";
        let n = text.find("王").unwrap();
        let p = text.find("138").unwrap();
        let dets = vec![det("PERSON_NAME", n, n + 9), det("CN_MOBILE", p, p + 11)];
        let ex = excerpt(text, &dets, 0, 3);
        assert!(ex.contains("王*林") && ex.contains("138****5678"), "{ex}");
        assert!(!ex.contains("13812345678") && !ex.contains("王忠林"));
    }
}
