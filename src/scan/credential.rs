//! Credentials that need parsing: values assigned to credential keys
//! (`DB_PASSWORD=…`, `"token": "…"`, `--requirepass …`, `密码：…`, `redis://:…@`)
//! and PEM private-key blocks.

use super::context::TextCtx;
use super::engine::context_confidence;
use super::kinds::{lexicon, required_lexicon, Coded, Found};
use super::normalize::{bounded_end, bounded_start, is_han, skip_chars};
use super::pack::DetectorDef;
use crate::policy_error::PolicyError;

pub const LEXICON: &[&str] = &[
    "keys",
    "exclude_keys",
    "sentence_separators",
    "placeholders",
];

pub struct CredentialDetector {
    def: DetectorDef,
    keys: Vec<String>,
    /// Identifiers that contain a key word but name no secret (`passport`).
    exclude_keys: Vec<String>,
    /// Words joining a key to its value in prose (`为`, `是`).
    sentence_separators: Vec<String>,
    /// Values that stand for "no value here" (`null`, `请填写`).
    placeholders: Vec<String>,
}

const URL_USERINFO: &str = "://";
/// A command-line flag that takes a password from the commands that read
/// it so (elsewhere `-p` is a port and `-a` a switch).
struct PasswordFlag {
    flag: &'static str,
    /// The commands reading it so, each with whether the value is glued
    /// to the flag (`mysql -pS3cr3t`, where a blank asks for the password
    /// instead) or follows a blank (`sshpass -p VALUE`).
    commands: &'static [(&'static str, bool)],
}

const PASSWORD_FLAGS: [PasswordFlag; 2] = [
    PasswordFlag {
        flag: "-p",
        commands: &[
            ("mysql", true),
            ("mysqldump", true),
            ("mysqladmin", true),
            ("mysqlimport", true),
            ("mysqlcheck", true),
            ("sshpass", false),
        ],
    },
    PasswordFlag {
        flag: "-a",
        commands: &[("redis-cli", false)],
    },
];
/// Prefixes of cloud access key IDs (Alibaba, Tencent, AWS), whose secret
/// code passes as the next argument (`oss2.Auth('LTAI…', 'secret')`).
const ACCESS_KEY_ID_PREFIXES: [&str; 3] = ["LTAI", "AKID", "AKIA"];
/// Fewest characters of a secret passed after its key ID.
const MIN_PAIRED_SECRET: usize = 16;
/// Longest key name and value considered; bounds the work per trigger.
const MAX_KEY: usize = 64;
const MAX_VALUE: usize = 512;

impl CredentialDetector {
    pub fn new(def: &DetectorDef) -> Result<Self, PolicyError> {
        Ok(Self {
            def: def.clone(),
            keys: required_lexicon(def, "keys")?.to_vec(),
            exclude_keys: lexicon(def, "exclude_keys")
                .iter()
                .map(|k| k.to_lowercase())
                .collect(),
            sentence_separators: lexicon(def, "sentence_separators").to_vec(),
            placeholders: lexicon(def, "placeholders")
                .iter()
                .map(|k| k.to_lowercase())
                .collect(),
        })
    }

    /// Where the value after a key ending at `key_end` starts, and how it
    /// is joined to the key.
    fn value_start(&self, text: &str, key_start: usize, key_end: usize) -> Option<ValueAt> {
        let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.';
        let (mut start, mut end) = (key_start, key_end);
        if text[key_start..key_end].is_ascii() {
            let ident_len = |it: &mut dyn Iterator<Item = char>| -> usize {
                it.take(MAX_KEY)
                    .take_while(|c| is_ident(*c))
                    .map(char::len_utf8)
                    .sum()
            };
            start -= ident_len(&mut text[..start].chars().rev());
            // Leading dashes belong to a command-line flag, not to the name.
            start += text[start..key_start]
                .bytes()
                .take_while(|b| *b == b'-')
                .count();
            end += ident_len(&mut text[end..].chars());
            let ident = text[start..end].to_lowercase();
            if self.exclude_keys.iter().any(|x| ident.contains(x.as_str())) {
                return None;
            }
        }
        let flag = text[..start].ends_with("--");
        let in_url = text[..start].ends_with(['?', '&']);
        // A web URL's `#` starts its fragment; a connection URL's password
        // may hold a raw `#` (`jdbc:mysql://db/app?password=Ab#12cd`).
        let fragment_ends = in_url && web_url_before(text, start);
        let mut p = end;
        if text[p..].starts_with(['"', '\'']) {
            p += 1;
        }
        let spaces = |p: usize| skip_chars(text, p, usize::MAX, |c| c == ' ' || c == '\t');
        let q = spaces(p);
        let rest = &text[q..];
        let after_sep = if let Some(c) = rest
            .chars()
            .next()
            .filter(|c| matches!(c, '=' | ':' | '：'))
        {
            let after = &rest[c.len_utf8()..];
            // `secret == null` compares, it assigns nothing.
            if c == '=' && after.starts_with('=') {
                return None;
            }
            // Go's `:=` is one separator.
            q + c.len_utf8() + usize::from(c == ':' && after.starts_with('='))
        } else if let Some(s) = self
            .sentence_separators
            .iter()
            .find(|s| rest.starts_with(s.as_str()))
        {
            q + s.len()
        } else if flag && q > p {
            q
        } else if !text[key_start..key_end].is_ascii()
            && q == p
            && rest.starts_with(|c: char| c.is_ascii_alphanumeric())
        {
            // `数据库口令Lq7#Vw2e9Tb`: prose glues the value to a Han key.
            return Some(ValueAt {
                start: q,
                in_url,
                fragment_ends,
                glued: true,
            });
        } else {
            return None;
        };
        let mut v = spaces(after_sep);
        if text[v..].starts_with(['"', '\'']) {
            v += 1;
        }
        Some(ValueAt {
            start: v,
            in_url,
            fragment_ends,
            glued: false,
        })
    }

    /// End of the value starting at `start`, `None` for a truncated token
    /// (`eyJhbGciOiJIUzI1NiJ9...`) or an implausibly long run.
    fn value_end(text: &str, start: usize, value: &ValueAt) -> Option<usize> {
        let mut end = start;
        for c in text[start..].chars() {
            if end - start > MAX_VALUE {
                return None;
            }
            let stop = c.is_whitespace()
                || matches!(c, '"' | '\'' | '`')
                || is_han(c)
                || is_cjk_punct(c)
                || (value.in_url && c == '&')
                || (value.fragment_ends && c == '#')
                || (matches!(c, ';' | '&') && starts_field(&text[end + 1..]));
            if stop {
                break;
            }
            end += c.len_utf8();
        }
        if text[start..end].ends_with("..") || text[start..end].ends_with('…') {
            return None;
        }
        // A sentence-final `.` `,` `;` is punctuation, not part of the value.
        while end > start && text[..end].ends_with(['.', ',', ';']) {
            end -= 1;
        }
        Some(end)
    }

    fn is_placeholder(&self, value: &str) -> bool {
        let v = value.to_lowercase();
        value
            .chars()
            .all(|c| matches!(c, '*' | 'x' | 'X' | '•' | '.' | '-' | '_'))
            // Code, not a literal: `secret = {`, `token = (`, `key = [`.
            || !value.chars().any(char::is_alphanumeric)
            || value.starts_with(['{', '(', '['])
            // A call or a subscript reads the value from elsewhere
            // (`System.getenv(`, `os.environ[`), and so does a constant's
            // name (`API_KEY}`, `DB_PASSWORD`); `your_api_key_here`, `xoxb-your-token` and a
            // run of x (`AKIDxxxxxx…`) stand in for a value, where `888888`
            // is a weak password, not a placeholder.
            || value.ends_with(['(', '['])
            || v.contains("xxxxxx")
            || v.contains("your_")
            || v.contains("your-")
            || v.contains("replace_me")
            || v.contains("replace-me")
            || v.contains("placeholder")
            || is_constant_name(value.trim_end_matches([')', '}', ']']))
            // A constant reached through a path (`process.env.SMS_SECRET`,
            // `settings.DB_PASSWORD`).
            || value
                .rsplit_once('.')
                .is_some_and(|(_, last)| is_constant_name(last.trim_end_matches([')', '}', ']', ','])))
            || value.contains("**")
            || v.starts_with("${")
            || v.starts_with("{{")
            || v.starts_with("%(")
            || v.starts_with('<')
            || v.starts_with('$')
            || self.placeholders.contains(&v)
    }

    fn emit(&self, cx: &TextCtx, start: usize, end: usize, out: &mut Vec<Found>) {
        let value = &cx.text[start..end];
        if end > start && !self.is_placeholder(value) {
            if let Some(confidence) = context_confidence(cx, &self.def, start) {
                out.push(Found {
                    start,
                    end,
                    confidence,
                });
            }
        }
    }

    /// `mysql -uroot -pVALUE`, `redis-cli -a VALUE`: a password flag's
    /// value on a line that runs a command taking it so.
    fn flag_password(
        &self,
        cx: &TextCtx,
        flag: &PasswordFlag,
        at: usize,
        end: usize,
        out: &mut Vec<Found>,
    ) {
        let text = cx.text;
        if !text[..at].ends_with([' ', '\t']) {
            return;
        }
        let line = &text[cx.line_start(at)..at];
        let glued = line
            .split(|c: char| c.is_whitespace() || matches!(c, '/' | ';' | '|' | '&' | '`' | '('))
            .find_map(|word| flag.commands.iter().find(|(c, _)| *c == word))
            .map(|&(_, glued)| glued);
        let blank = text[end..].starts_with([' ', '\t']);
        if glued.is_none_or(|glued| blank == glued) {
            return;
        }
        let mut start = skip_chars(text, end, usize::MAX, |c| c == ' ' || c == '\t');
        if text[start..].starts_with('-') {
            return;
        }
        start += usize::from(text[start..].starts_with(['"', '\'']));
        let plain = ValueAt {
            start,
            in_url: false,
            fragment_ends: false,
            glued: true,
        };
        if let Some(e) = Self::value_end(text, start, &plain) {
            self.emit(cx, start, e, out);
        }
    }

    /// `oss2.Auth('LTAI…', 'VALUE')`, `Credential("AKID…", "VALUE")`: a
    /// quoted access key ID whose next argument is a quoted generated
    /// string of [`MIN_PAIRED_SECRET`] characters or more, the key's secret.
    fn secret_after_key_id(&self, cx: &TextCtx, start: usize, end: usize, out: &mut Vec<Found>) {
        let text = cx.text;
        let Some(quote) = text[..start]
            .chars()
            .next_back()
            .filter(|c| matches!(c, '"' | '\''))
        else {
            return;
        };
        let id_end = end
            + text[end..]
                .bytes()
                .take_while(u8::is_ascii_alphanumeric)
                .count();
        let Some(rest) = text[id_end..].strip_prefix(quote) else {
            return;
        };
        let rest = rest.trim_start_matches([' ', '\t']);
        let Some(rest) = rest.strip_prefix(',') else {
            return;
        };
        let Some(value) = rest.trim_start_matches([' ', '\t']).strip_prefix(quote) else {
            return;
        };
        let len = value
            .bytes()
            .take(MAX_VALUE)
            .take_while(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'_' | b'-')
            })
            .count();
        if len >= MIN_PAIRED_SECRET
            && value[len..].starts_with(quote)
            && looks_generated(&value[..len])
        {
            let value_start = text.len() - value.len();
            self.emit(cx, value_start, value_start + len, out);
        }
    }

    /// `scheme://user:VALUE@host`
    fn userinfo(&self, cx: &TextCtx, end: usize, out: &mut Vec<Found>) {
        let text = cx.text;
        let limit = bounded_end(text, end, MAX_VALUE);
        // The authority runs to the path; its last `@` ends the userinfo, so
        // a password holding a raw `@` stays whole (`redis://:Rds@pr0d@host`).
        let authority_len = text[end..limit]
            .find(|c: char| matches!(c, '/' | '"' | '\'' | '`') || c.is_whitespace() || is_han(c))
            .unwrap_or(limit - end);
        let Some(auth_len) = text[end..end + authority_len].rfind('@') else {
            return;
        };
        let auth = &text[end..end + auth_len];
        if let Some(colon) = auth.find(':') {
            self.emit(cx, end + colon + 1, end + auth_len, out);
        }
    }
}

/// Whether the URL holding a query parameter at `param` is a web address
/// (`http://`, `https://`): the token it stands in starts so.
fn web_url_before(text: &str, param: usize) -> bool {
    let from = bounded_start(text, param, MAX_VALUE);
    let token = text[from..param]
        .rsplit(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '(' | '<'))
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    token.starts_with("http://") || token.starts_with("https://")
}

/// `API_KEY`, `DB_PASSWORD`: upper-case words joined by `_`, the name of a
/// constant or an environment variable holding the secret, not the secret.
fn is_constant_name(value: &str) -> bool {
    value.contains('_')
        && value.starts_with(|c: char| c.is_ascii_uppercase())
        && value
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// The value after a credential key.
struct ValueAt {
    start: usize,
    /// The key is a URL query parameter (`?password=`): `&` ends it.
    in_url: bool,
    /// The URL is a web address, whose `#` starts a fragment.
    fragment_ends: bool,
    /// No separator stands between key and value (`口令Lq7#Vw2e9Tb`).
    glued: bool,
}

/// Whether a value glued to its key reads as a secret rather than a word
/// or a code (`密码MD5加密`, `口令123456`): at least eight characters,
/// letters and digits both.
fn looks_generated(value: &str) -> bool {
    value.len() >= 8
        && value.bytes().any(|b| b.is_ascii_alphabetic())
        && value.bytes().any(|b| b.is_ascii_digit())
}

/// `name=` at the start of `rest`: the next field of a connection string
/// (`Password=abc;Server=db`, `pwd=abc&user=x`).
fn starts_field(rest: &str) -> bool {
    let name = rest
        .bytes()
        .take(MAX_KEY)
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b' ' | b'-'))
        .count();
    name > 0 && rest[name..].starts_with('=')
}

fn is_cjk_punct(c: char) -> bool {
    matches!(c, '\u{3000}'..='\u{303F}' | '\u{FF01}'..='\u{FF0F}' | '\u{FF1A}'..='\u{FF20}'
        | '\u{2018}'..='\u{201F}' | '\u{FF3B}'..='\u{FF40}' | '\u{FF5B}'..='\u{FF65}')
}

impl Coded for CredentialDetector {
    fn triggers(&self) -> Vec<String> {
        let mut t = self.keys.clone();
        t.push(URL_USERINFO.to_string());
        t.extend(PASSWORD_FLAGS.iter().map(|f| f.flag.to_string()));
        t.extend(ACCESS_KEY_ID_PREFIXES.map(String::from));
        t
    }

    fn on_trigger(
        &self,
        cx: &TextCtx,
        word: usize,
        start: usize,
        end: usize,
        out: &mut Vec<Found>,
    ) {
        if word == self.keys.len() {
            return self.userinfo(cx, end, out);
        }
        let after_userinfo = word.checked_sub(self.keys.len() + 1);
        if let Some(flag) = after_userinfo.and_then(|i| PASSWORD_FLAGS.get(i)) {
            return self.flag_password(cx, flag, start, end, out);
        }
        if after_userinfo.is_some() {
            return self.secret_after_key_id(cx, start, end, out);
        }
        if let Some(value) = self.value_start(cx.text, start, end) {
            if let Some(e) = Self::value_end(cx.text, value.start, &value) {
                if !value.glued || looks_generated(&cx.text[value.start..e]) {
                    self.emit(cx, value.start, e, out);
                }
            }
        }
    }
}

/// `-----BEGIN … PRIVATE KEY-----` through the matching END line.
pub struct PemDetector;

const PEM_BEGIN: &str = "-----BEGIN ";
const PEM_END: &str = "-----END ";
const PEM_PRIVATE: &str = "PRIVATE KEY-----";
/// Private keys are a few KiB; an END further away than this is not ours.
const MAX_PEM: usize = 16 * 1024;

impl Coded for PemDetector {
    fn triggers(&self) -> Vec<String> {
        vec![PEM_BEGIN.to_string()]
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
        // The label runs to `PRIVATE KEY-----`; what follows on the line may
        // be code (`"""`, `\n"`), as may what follows the END label.
        let Some(body) = pem_label_end(text, end) else {
            return;
        };
        let limit = bounded_end(text, body, MAX_PEM);
        let Some(rel) = text[body..limit].find(PEM_END) else {
            return;
        };
        let end_label = body + rel + PEM_END.len();
        if let Some(close) = pem_label_end(text, end_label) {
            out.push(Found {
                start,
                end: close,
                confidence: 0.99,
            });
        }
    }
}

/// The end of a PEM label starting at `pos` (`RSA PRIVATE KEY-----`,
/// `ENCRYPTED PRIVATE KEY-----`), when it names a private key.
fn pem_label_end(text: &str, pos: usize) -> Option<usize> {
    const MAX_LABEL: usize = 40;
    let window = bounded_end(text, pos, MAX_LABEL);
    let label = text[pos..window].find(PEM_PRIVATE)?;
    text[pos..pos + label]
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b == b' ')
        .then_some(pos + label + PEM_PRIVATE.len())
}
