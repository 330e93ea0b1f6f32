//! Names in the rows of an SQL `INSERT` whose column list names a name
//! column (`INSERT INTO t_customer (id, cust_name, …) VALUES (1001,
//! '麻建军', …), (…);`): the statement is a table, its column list the
//! header and each parenthesised tuple a row.

use super::NameDetector;
use crate::scan::context::TextCtx;
use crate::scan::kinds::Found;
use crate::scan::normalize::bounded_end;

/// The keyword the rows follow; trigger words match ASCII letters in any case.
pub(super) const VALUES: &str = "VALUES";
/// Longest column list (in bytes) searched back from `VALUES`.
const MAX_COLUMNS: usize = 2048;
/// Longest tuple (in bytes) read as one row.
const MAX_ROW: usize = 4096;

impl NameDetector {
    /// The quoted values under name columns in the rows after `VALUES`
    /// at `values..after`.
    pub(super) fn sql_values(
        &self,
        cx: &TextCtx,
        values: usize,
        after: usize,
        out: &mut Vec<Found>,
    ) {
        let text = cx.text;
        let Some(columns) = column_list(text, values) else {
            return;
        };
        let wanted: Vec<usize> = columns
            .split(',')
            .enumerate()
            .filter(|(_, c)| self.name_column_words.occur_in(c))
            .map(|(i, _)| i)
            .collect();
        if wanted.is_empty() {
            return;
        }
        let mut p = after;
        loop {
            p = after_blanks(text, p, text.len());
            if !text[p..].starts_with('(') {
                return;
            }
            let Some((fields, end)) = tuple(text, p + 1) else {
                return;
            };
            for (i, (s, e)) in fields.into_iter().enumerate() {
                if wanted.contains(&i) {
                    self.whole_cell(cx, s, e, out);
                }
            }
            p = after_blanks(text, end, text.len());
            match text[p..].strip_prefix(',') {
                Some(_) => p += 1,
                None => return,
            }
        }
    }
}

/// The position of the first byte at or after `p`, below `limit`, that is
/// no ASCII blank or line break.
fn after_blanks(text: &str, p: usize, limit: usize) -> usize {
    p + text.as_bytes()[p..limit]
        .iter()
        .take_while(|b| b.is_ascii_whitespace())
        .count()
}

/// The column list in parentheses right before `VALUES` at `values`.
fn column_list(text: &str, values: usize) -> Option<&str> {
    let before = text[..values].trim_end();
    let inner = before.strip_suffix(')')?;
    let floor = inner.len().saturating_sub(MAX_COLUMNS);
    let open = inner[floor..].rfind('(')? + floor;
    Some(&inner[open + 1..])
}

/// The fields of the tuple whose first field starts at `start` (after
/// `(`): the byte range inside each quoted string, an empty range for a
/// bare value; and the position after the closing `)`.
fn tuple(text: &str, start: usize) -> Option<(Vec<(usize, usize)>, usize)> {
    let limit = bounded_end(text, start, MAX_ROW);
    let b = text.as_bytes();
    let mut fields = Vec::new();
    let mut p = start;
    loop {
        p = after_blanks(text, p, limit);
        if p >= limit {
            return None;
        }
        if b[p] == b'\'' {
            // A quoted value; `''` is a quote inside it.
            let s = p + 1;
            let mut q = s;
            loop {
                let close = q + text[q..limit].find('\'')?;
                if b.get(close + 1) == Some(&b'\'') {
                    q = close + 2;
                    continue;
                }
                fields.push((s, close));
                p = close + 1;
                break;
            }
        } else {
            let bare = text[p..limit].find([',', ')'])?;
            fields.push((p, p));
            p += bare;
        }
        p = after_blanks(text, p, limit);
        match b.get(p) {
            Some(b',') if p < limit => p += 1,
            Some(b')') if p < limit => return Some((fields, p + 1)),
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_column_list_and_the_fields_of_a_tuple() {
        let sql = "INSERT INTO t (id, name) VALUES (1, 'O''Brien', 'x')";
        let values = sql.find("VALUES").unwrap();
        assert_eq!(column_list(sql, values), Some("id, name"));
        let (fields, end) = tuple(sql, values + "VALUES (".len()).unwrap();
        let quoted: Vec<&str> = fields.iter().map(|&(s, e)| &sql[s..e]).collect();
        assert_eq!(quoted, ["", "O''Brien", "x"]);
        assert_eq!(end, sql.len());
        assert_eq!(column_list("SELECT VALUES", 7), None);
        assert!(tuple("(1, 'unclosed", 1).is_none());
        assert!(tuple("(1, 2", 1).is_none());
    }
}
