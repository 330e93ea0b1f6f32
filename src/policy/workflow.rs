//! `policies/workflow.toml`: the review stages, who may act in each, how a
//! stage completes and when it is required. Loading validates everything the
//! workflow engine relies on, so a bad file stops the server at start.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::{line_of, PolicyError, Role};
use crate::scan::{Category, Severity, UnknownName};

/// Which departments a stage's actors must belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// A member of the release's lead department.
    LeadDepartment,
    /// A member of one of the co-responsible departments.
    CoDepartments,
    /// Anyone holding the role.
    CityWide,
}

/// How many approvals complete a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Every department in scope signs (会签).
    All,
    /// One approval is enough (或签).
    Any,
    /// `k` distinct approvers.
    Threshold(u32),
}

/// What makes a stage required for a release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    Always,
    CrossBorder,
    CoDepartments,
    /// At least one finding of this category in the current version.
    Findings(Category),
}

#[derive(Debug, Clone)]
pub struct Stage {
    pub key: String,
    pub name: String,
    pub name_en: String,
    /// Stages with the same order run in parallel; lower orders come first.
    pub order: u32,
    pub role: Role,
    pub scope: Scope,
    pub rule: Rule,
    /// A reject ends the release at once. Without veto a reject ends it only
    /// when the completion rule can no longer be met.
    pub veto: bool,
    pub required_when: Condition,
    /// Finding categories whose dispositions this stage owns.
    pub owns: Vec<Category>,
    pub sla_working_days: Option<u32>,
    /// Who hears of a breach one working day after the deadline (the
    /// leader hears three working days after, whatever this says).
    pub escalate_to: Role,
    /// 会签 only, off unless set: a co-department that has not signed this
    /// many working days after the deadline is taken to consent.
    pub consent_on_silence: Option<u32>,
}

/// How stage clocks may be stretched (`[deadlines]`).
#[derive(Debug, Clone)]
pub struct DeadlinePolicy {
    /// The most working days all extensions of one stage may add.
    pub max_extension_working_days: u32,
    /// Who may extend a stage's deadline.
    pub extension_role: Role,
}

#[derive(Debug, Clone)]
pub struct WorkflowPolicy {
    /// Findings at or above this severity must be dispositioned before the
    /// owning stage can approve.
    pub disposition_threshold: Severity,
    /// Stages sorted by order (stable: file order within a group).
    pub stages: Vec<Stage>,
    pub deadlines: DeadlinePolicy,
}

impl WorkflowPolicy {
    pub fn stage(&self, key: &str) -> Option<&Stage> {
        self.stages.iter().find(|s| s.key == key)
    }

    /// The stage whose reviewers disposition findings of `category`.
    pub fn owner_of(&self, category: Category) -> Option<&Stage> {
        self.stages.iter().find(|s| s.owns.contains(&category))
    }

    pub fn parse(path: &Path, source: &str) -> Result<Self, PolicyError> {
        let file: WorkflowFile =
            toml::from_str(source).map_err(|e| PolicyError::from_toml(path, source, &e))?;
        let err = |span: std::ops::Range<usize>, msg: String| {
            PolicyError::new(path, Some(line_of(source, span.start)), msg)
        };

        let disposition_threshold = match &file.review.disposition_threshold {
            None => Severity::Medium,
            Some(s) => s
                .get_ref()
                .parse()
                .map_err(|e: UnknownName| err(s.span(), e.to_string()))?,
        };
        if file.stages.is_empty() {
            return Err(PolicyError::new(path, None, "no [[stages]] defined"));
        }

        let mut seen = BTreeSet::new();
        let mut owners: BTreeMap<Category, String> = BTreeMap::new();
        let mut stages = Vec::with_capacity(file.stages.len());
        for raw in file.stages {
            let key = raw.key.get_ref().clone();
            if key.is_empty()
                || !key
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                return Err(err(
                    raw.key.span(),
                    format!("stage key {key:?} must be snake_case ASCII"),
                ));
            }
            if !seen.insert(key.clone()) {
                return Err(err(raw.key.span(), format!("duplicate stage key {key:?}")));
            }
            let role: Role = raw
                .role
                .get_ref()
                .parse()
                .map_err(|e: String| err(raw.role.span(), e))?;
            let scope = match raw.scope.get_ref().as_str() {
                "lead_department" => Scope::LeadDepartment,
                "co_departments" => Scope::CoDepartments,
                "city" => Scope::CityWide,
                other => {
                    return Err(err(
                        raw.scope.span(),
                        format!("stage {key}: unknown scope {other:?} (lead_department, co_departments, city)"),
                    ))
                }
            };
            if scope != Scope::CityWide && !role.is_departmental() {
                return Err(err(
                    raw.scope.span(),
                    format!(
                        "stage {key}: role {role} acts city-wide, so its scope must be \"city\""
                    ),
                ));
            }
            if scope == Scope::CityWide && role.is_departmental() {
                return Err(err(raw.scope.span(), format!("stage {key}: role {role} acts within a department; use lead_department or co_departments")));
            }
            let rule = match (raw.rule.get_ref().as_str(), raw.threshold) {
                ("all", None) => Rule::All,
                ("any", None) => Rule::Any,
                ("threshold", Some(k)) if k >= 1 => Rule::Threshold(k),
                ("threshold", _) => {
                    return Err(err(
                        raw.rule.span(),
                        format!("stage {key}: rule \"threshold\" needs threshold = k with k >= 1"),
                    ))
                }
                ("all" | "any", Some(_)) => {
                    return Err(err(
                        raw.rule.span(),
                        format!("stage {key}: threshold is only valid with rule = \"threshold\""),
                    ))
                }
                (other, _) => {
                    return Err(err(
                        raw.rule.span(),
                        format!("stage {key}: unknown rule {other:?} (all, any, threshold)"),
                    ))
                }
            };
            if rule == Rule::All && scope == Scope::CityWide {
                return Err(err(raw.rule.span(), format!("stage {key}: rule \"all\" needs a departmental scope (every department in scope signs)")));
            }
            let required_when = parse_condition(raw.required_when.get_ref())
                .map_err(|e| err(raw.required_when.span(), format!("stage {key}: {e}")))?;
            let escalate_to: Role = match &raw.escalate_to {
                Some(r) => r.get_ref().parse().map_err(|e: String| err(r.span(), e))?,
                None => Role::Supervisor,
            };
            // Silence may stand for a co-department's signature, never for a
            // review of secrets or personal data.
            if let Some(days) = &raw.consent_on_silence_after {
                if !(rule == Rule::All && scope == Scope::CoDepartments && raw.owns.is_empty()) {
                    return Err(err(days.span(), format!(
                        "stage {key}: consent_on_silence_after is only for a 会签 stage (rule \"all\", scope \"co_departments\", owning no findings)"
                    )));
                }
            }

            let mut owns = Vec::new();
            for cat in &raw.owns {
                let category: Category = cat
                    .get_ref()
                    .parse()
                    .map_err(|e: UnknownName| err(cat.span(), format!("stage {key}: {e}")))?;
                if let Some(other) = owners.insert(category, key.clone()) {
                    return Err(err(
                        cat.span(),
                        format!(
                            "category {} is owned by both {other} and {key}",
                            category.as_str()
                        ),
                    ));
                }
                // The owner must be required whenever such findings exist,
                // or nobody could ever disposition them.
                if !matches!(required_when, Condition::Always)
                    && required_when != Condition::Findings(category)
                {
                    return Err(err(cat.span(), format!(
                        "stage {key} owns {} findings, so required_when must be \"always\" or \"findings.{}\"",
                        category.as_str(), category.as_str()
                    )));
                }
                owns.push(category);
            }
            stages.push(Stage {
                name: raw.name.unwrap_or_else(|| key.clone()),
                name_en: raw.name_en.unwrap_or_else(|| key.replace('_', " ")),
                key,
                order: raw.order,
                role,
                scope,
                rule,
                veto: raw.veto,
                required_when,
                owns,
                sla_working_days: raw.sla_working_days,
                escalate_to,
                consent_on_silence: raw.consent_on_silence_after.map(Spanned::into_inner),
            });
        }
        for category in Category::ALL {
            if !owners.contains_key(&category) {
                return Err(PolicyError::new(
                    path,
                    None,
                    format!(
                        "no stage owns {} findings: add \"{}\" to some stage's owns list",
                        category.as_str(),
                        category.as_str()
                    ),
                ));
            }
        }
        stages.sort_by_key(|s| s.order);
        let extension_role = match &file.deadlines.extension_role {
            Some(r) => r.get_ref().parse().map_err(|e: String| err(r.span(), e))?,
            None => Role::Leader,
        };
        Ok(Self {
            disposition_threshold,
            stages,
            deadlines: DeadlinePolicy {
                max_extension_working_days: file.deadlines.max_extension_working_days.unwrap_or(10),
                extension_role,
            },
        })
    }
}

fn parse_condition(text: &str) -> Result<Condition, String> {
    match text {
        "always" => Ok(Condition::Always),
        "cross_border" => Ok(Condition::CrossBorder),
        "co_departments" => Ok(Condition::CoDepartments),
        other => match other.strip_prefix("findings.") {
            Some(cat) => cat.parse().map(Condition::Findings).map_err(|e: UnknownName| e.to_string()),
            None => Err(format!(
                "unknown required_when {other:?} (always, cross_border, co_departments, findings.<category>)"
            )),
        },
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkflowFile {
    #[serde(default)]
    review: ReviewSection,
    #[serde(default)]
    stages: Vec<RawStage>,
    #[serde(default)]
    deadlines: DeadlinesSection,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct DeadlinesSection {
    max_extension_working_days: Option<u32>,
    extension_role: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ReviewSection {
    disposition_threshold: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStage {
    key: Spanned<String>,
    name: Option<String>,
    name_en: Option<String>,
    order: u32,
    role: Spanned<String>,
    scope: Spanned<String>,
    rule: Spanned<String>,
    threshold: Option<u32>,
    #[serde(default)]
    veto: bool,
    required_when: Spanned<String>,
    #[serde(default)]
    owns: Vec<Spanned<String>>,
    sla_working_days: Option<u32>,
    escalate_to: Option<Spanned<String>>,
    consent_on_silence_after: Option<Spanned<u32>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT: &str = include_str!("../../policies/workflow.toml");

    #[test]
    fn default_policy_loads() {
        let p = WorkflowPolicy::parse(Path::new("workflow.toml"), DEFAULT).unwrap();
        let keys: Vec<_> = p.stages.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "department_review",
                "secrecy_review",
                "privacy_review",
                "cross_border_assessment",
                "co_unit_signoff",
                "final_signoff"
            ]
        );
        assert_eq!(
            p.owner_of(Category::Personal).unwrap().key,
            "privacy_review"
        );
        assert_eq!(
            p.owner_of(Category::Credential).unwrap().key,
            "secrecy_review"
        );
        assert_eq!(p.disposition_threshold, Severity::Medium);
    }

    #[test]
    fn errors_name_the_line() {
        let bad = DEFAULT.replacen("role = \"leader\"", "role = \"mayor\"", 1);
        let line = bad.lines().position(|l| l.contains("\"mayor\"")).unwrap() + 1;
        let e = WorkflowPolicy::parse(Path::new("w.toml"), &bad).unwrap_err();
        assert_eq!(e.line, Some(line), "{e}");
        assert!(e.message.contains("unknown role \"mayor\""), "{e}");
    }

    #[test]
    fn unowned_category_is_refused() {
        let bad = DEFAULT.replace("\"commercial\", ", "");
        let e = WorkflowPolicy::parse(Path::new("w.toml"), &bad).unwrap_err();
        assert!(e.message.contains("no stage owns commercial"), "{e}");
    }

    #[test]
    fn silence_counts_as_consent_only_under_co_department_signoff() {
        let on_secrecy = DEFAULT.replacen(
            "owns = [\"secrecy\"",
            "consent_on_silence_after = 3\nowns = [\"secrecy\"",
            1,
        );
        let e = WorkflowPolicy::parse(Path::new("w.toml"), &on_secrecy).unwrap_err();
        assert!(e.message.contains("only for a 会签 stage"), "{e}");
        let on_cosign = DEFAULT.replacen(
            "required_when = \"co_departments\"",
            "required_when = \"co_departments\"\nconsent_on_silence_after = 3",
            1,
        );
        let p = WorkflowPolicy::parse(Path::new("w.toml"), &on_cosign).unwrap();
        assert_eq!(
            p.stage("co_unit_signoff").unwrap().consent_on_silence,
            Some(3)
        );
        // Off by default.
        let p = WorkflowPolicy::parse(Path::new("w.toml"), DEFAULT).unwrap();
        assert!(p.stages.iter().all(|s| s.consent_on_silence.is_none()));
    }

    #[test]
    fn duplicate_keys_and_bad_rules_are_refused() {
        let dup = DEFAULT.replace("key = \"final_signoff\"", "key = \"department_review\"");
        assert!(WorkflowPolicy::parse(Path::new("w.toml"), &dup)
            .unwrap_err()
            .message
            .contains("duplicate stage key"));
        let thr = DEFAULT.replacen("rule = \"any\"", "rule = \"threshold\"", 1);
        assert!(WorkflowPolicy::parse(Path::new("w.toml"), &thr)
            .unwrap_err()
            .message
            .contains("needs threshold"));
    }
}
