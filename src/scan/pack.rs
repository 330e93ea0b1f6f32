//! Detector packs: reading `detectors/*.toml`, and validating them into
//! [`DetectorDef`]s. Every error names the file, the line and the problem.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::kinds::Kind;
use super::validators::{self, Validator};
use super::{Category, Severity};
use crate::policy_error::line_of;
use crate::policy_error::PolicyError;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PackFile {
    #[serde(default, rename = "detector")]
    detectors: Vec<Spanned<DetectorSpec>>,
}

/// One `[[detector]]` table as written by an operator.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DetectorSpec {
    id: Spanned<String>,
    entity: Spanned<String>,
    category: Category,
    severity: Severity,
    #[serde(default = "default_enabled")]
    enabled: bool,
    #[serde(default)]
    kind: Option<Spanned<String>>,
    #[serde(default)]
    patterns: Vec<Spanned<String>>,
    #[serde(default)]
    validator: Option<Spanned<String>>,
    #[serde(default)]
    confidence: Option<Spanned<f32>>,
    #[serde(default)]
    priority: i32,
    #[serde(default)]
    context: Vec<String>,
    #[serde(default)]
    context_required: bool,
    #[serde(default)]
    context_window: Option<usize>,
    #[serde(default)]
    refuse_context: Vec<String>,
    #[serde(default)]
    allow: Vec<String>,
    #[serde(default)]
    prefix_chars: Option<String>,
    #[serde(default)]
    suffix_chars: Option<String>,
    #[serde(default)]
    glue: Option<String>,
    #[serde(default)]
    extension: Vec<String>,
    #[serde(default)]
    lexicon: BTreeMap<String, Spanned<Vec<String>>>,
}

fn default_enabled() -> bool {
    true
}

/// Context words: raise confidence, or are required when `required` is set.
#[derive(Debug, Clone)]
pub struct ContextSpec {
    pub words: Vec<String>,
    pub required: bool,
    /// How many characters before the value (same line) are searched.
    pub window: usize,
    /// Words that, in the same window, say the value is something else
    /// (`版本：2.4.1.0` is a version, not an address).
    pub refused: Vec<String>,
}

/// What a regex detector needs beyond its patterns.
#[derive(Debug, Clone)]
pub struct RegexSpec {
    pub patterns: Vec<String>,
    pub validator: Option<Validator>,
    /// The value must directly follow one of these characters, which joins the span
    /// (licence plates: the province abbreviation).
    pub prefix_chars: Option<String>,
    /// The value must be directly followed by one of these characters, which
    /// joins the span (a trailer plate's `挂`).
    pub suffix_chars: Option<String>,
    /// Characters that glue a neighbouring alphanumeric to the value and so
    /// break the token boundary (`.` for IPv4: `1.2.3.4.5` is not an address).
    pub glue: String,
    /// Words that introduce an extension kept inside the span (`转`, `分机`).
    pub extension: Vec<String>,
}

/// A validated detector, ready for the engine.
#[derive(Debug, Clone)]
pub struct DetectorDef {
    pub id: String,
    pub entity: String,
    pub category: Category,
    pub severity: Severity,
    pub confidence: f32,
    pub priority: i32,
    pub context: ContextSpec,
    pub allow: Vec<String>,
    pub kind: Kind,
    pub regex: Option<RegexSpec>,
    pub lexicon: BTreeMap<String, Vec<String>>,
    /// Where it was defined, for errors raised while compiling it.
    pub file: PathBuf,
    pub line: usize,
}

impl DetectorDef {
    pub fn error(&self, message: impl Into<String>) -> PolicyError {
        PolicyError::new(&self.file, Some(self.line), message)
    }
}

/// Parses and validates all packs; detector ids must be unique across packs.
pub fn parse_packs(packs: &[(PathBuf, String)]) -> Result<Vec<DetectorDef>, PolicyError> {
    let mut seen: HashMap<String, (PathBuf, usize)> = HashMap::new();
    let mut out = Vec::new();
    for (file, source) in packs {
        let parsed: PackFile =
            toml::from_str(source).map_err(|e| PolicyError::from_toml(file, source, &e))?;
        for spanned in parsed.detectors {
            let line = line_of(source, spanned.span().start);
            let spec = spanned.into_inner();
            let at = |span: std::ops::Range<usize>| Some(line_of(source, span.start));
            let id = spec.id.get_ref().trim().to_string();
            if id.is_empty() {
                return Err(PolicyError::new(
                    file,
                    at(spec.id.span()),
                    "detector id is empty",
                ));
            }
            if let Some((first_file, first_line)) = seen.get(&id) {
                return Err(PolicyError::new(
                    file,
                    at(spec.id.span()),
                    format!(
                        "duplicate detector id `{id}` (first defined at {}:{first_line})",
                        first_file.display()
                    ),
                ));
            }
            seen.insert(id.clone(), (file.clone(), line));
            // Disabled detectors are validated too, so a bad edit shows at once.
            let enabled = spec.enabled;
            let def = validate(file, source, line, id, spec)?;
            if enabled {
                out.push(def);
            }
        }
    }
    Ok(out)
}

fn validate(
    file: &Path,
    source: &str,
    line: usize,
    id: String,
    spec: DetectorSpec,
) -> Result<DetectorDef, PolicyError> {
    let err = |span: std::ops::Range<usize>, msg: String| {
        PolicyError::new(
            file,
            Some(line_of(source, span.start)),
            format!("detector `{id}`: {msg}"),
        )
    };
    let entity = spec.entity.get_ref().trim().to_string();
    let upper_snake = |b: u8| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_';
    if !entity.starts_with(|c: char| c.is_ascii_uppercase()) || !entity.bytes().all(upper_snake) {
        return Err(err(
            spec.entity.span(),
            format!("entity `{entity}` must be UPPER_SNAKE_CASE"),
        ));
    }
    let kind = match &spec.kind {
        None => Kind::Regex,
        Some(k) => Kind::from_name(k.get_ref()).ok_or_else(|| {
            err(
                k.span(),
                format!(
                    "unknown kind `{}`, expected one of: {}",
                    k.get_ref(),
                    Kind::names()
                ),
            )
        })?,
    };
    let validator = match &spec.validator {
        None => None,
        Some(v) => Some(validators::by_name(v.get_ref()).ok_or_else(|| {
            err(
                v.span(),
                format!(
                    "unknown validator `{}`, expected one of: {}",
                    v.get_ref(),
                    validators::validator_names().collect::<Vec<_>>().join(", ")
                ),
            )
        })?),
    };
    let confidence = match &spec.confidence {
        None => 0.9,
        Some(c) if (0.0..=1.0).contains(c.get_ref()) => *c.get_ref(),
        Some(c) => return Err(err(c.span(), "confidence must be within 0..=1".into())),
    };
    for (name, words) in &spec.lexicon {
        if !kind.lexicon_keys().contains(&name.as_str()) {
            return Err(err(
                words.span(),
                format!(
                    "lexicon `{name}` is not used by kind `{}` (it reads: {})",
                    kind.name(),
                    if kind.lexicon_keys().is_empty() {
                        "none".to_string()
                    } else {
                        kind.lexicon_keys().join(", ")
                    }
                ),
            ));
        }
    }
    let regex = if kind == Kind::Regex {
        if spec.patterns.is_empty() {
            return Err(PolicyError::new(
                file,
                Some(line),
                format!("detector `{id}`: a regex detector needs at least one pattern"),
            ));
        }
        for p in &spec.patterns {
            if let Err(e) = regex::Regex::new(p.get_ref()) {
                return Err(err(p.span(), format!("invalid regex: {e}")));
            }
        }
        Some(RegexSpec {
            patterns: spec.patterns.iter().map(|p| p.get_ref().clone()).collect(),
            validator,
            prefix_chars: spec.prefix_chars,
            suffix_chars: spec.suffix_chars,
            glue: spec.glue.unwrap_or_default(),
            extension: spec.extension,
        })
    } else {
        if let Some(p) = spec.patterns.first() {
            return Err(err(
                p.span(),
                format!("kind `{}` takes no patterns", kind.name()),
            ));
        }
        if let Some(v) = &spec.validator {
            return Err(err(
                v.span(),
                format!("kind `{}` takes no validator", kind.name()),
            ));
        }
        None
    };
    Ok(DetectorDef {
        id,
        entity,
        category: spec.category,
        severity: spec.severity,
        confidence,
        priority: spec.priority,
        context: ContextSpec {
            words: spec.context,
            required: spec.context_required,
            window: spec.context_window.unwrap_or(24),
            refused: spec.refuse_context,
        },
        allow: spec.allow,
        kind,
        regex,
        lexicon: spec
            .lexicon
            .into_iter()
            .map(|(k, v)| (k, v.into_inner()))
            .collect(),
        file: file.to_path_buf(),
        line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> Result<Vec<DetectorDef>, PolicyError> {
        parse_packs(&[(PathBuf::from("t.toml"), src.to_string())])
    }

    const OK: &str = "[[detector]]\nid = \"m\"\nentity = \"CN_MOBILE\"\ncategory = \"personal\"\n\
                      severity = \"medium\"\npatterns = ['1[3-9][0-9]{9}']\n";

    #[test]
    fn accepts_a_minimal_detector() {
        let defs = parse(OK).unwrap();
        assert_eq!(defs[0].id, "m");
        assert_eq!(defs[0].severity, Severity::Medium);
    }

    #[test]
    fn errors_name_the_line() {
        let bad_sev = OK.replace("\"medium\"", "\"urgent\"");
        let e = parse(&bad_sev).unwrap_err();
        assert_eq!((e.line, e.file.to_str()), (Some(5), Some("t.toml")), "{e}");
        assert!(e.message.contains("urgent"), "{e}");

        let bad_cat = OK.replace("\"personal\"", "\"private\"");
        assert_eq!(parse(&bad_cat).unwrap_err().line, Some(4));

        let bad_re = OK.replace("'1[3-9][0-9]{9}'", "'1[3-9'");
        let e = parse(&bad_re).unwrap_err();
        assert_eq!(e.line, Some(6));
        assert!(
            e.message.contains("`m`") && e.message.contains("invalid regex"),
            "{e}"
        );

        let bad_val = format!("{OK}validator = \"luhnn\"\n");
        let e = parse(&bad_val).unwrap_err();
        assert_eq!(e.line, Some(7));
        assert!(e.message.contains("luhnn"), "{e}");

        let dup = format!("{OK}\n{OK}");
        let e = parse(&dup).unwrap_err();
        assert_eq!(e.line, Some(9), "{e}");
        assert!(e.message.contains("duplicate"), "{e}");

        let bad_kind = format!("{OK}kind = \"telepathy\"\n");
        assert!(parse(&bad_kind).unwrap_err().message.contains("telepathy"));
    }
}
