//! Loading and validating `policies/`: the workflow, the working-day calendar
//! and the scanner's detector packs. A release records the digest of the
//! policy set it was judged under.

mod assessment;
mod calendar;
mod role;
mod workflow;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};

pub use crate::policy_error::{line_of, PolicyError};
pub use assessment::{AssessmentPolicy, Weights};
pub use calendar::Calendar;
pub use role::{join_roles, parse_roles, Role};
pub use workflow::{Condition, DeadlinePolicy, Rule, Scope, Stage, WorkflowPolicy};

use crate::scan::Scanner;

/// `policies/statistics.toml`: which releases are aggregate statistics and
/// the small-cell threshold applied to their tables.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatisticsPolicy {
    pub data_categories: Vec<String>,
    pub small_cell_threshold: u32,
}

impl Default for StatisticsPolicy {
    fn default() -> Self {
        Self {
            data_categories: vec!["statistics".into()],
            small_cell_threshold: 10,
        }
    }
}

impl StatisticsPolicy {
    fn load(path: &Path) -> Result<Self, PolicyError> {
        let policy: Self = load_optional(path)?;
        if policy.small_cell_threshold < 2 {
            return Err(PolicyError::new(
                path,
                None,
                "small_cell_threshold must be at least 2",
            ));
        }
        Ok(policy)
    }

    /// The threshold when `data_category` declares aggregate statistics.
    pub fn small_cell_threshold_for(&self, data_category: &str) -> Option<u32> {
        let category = data_category.trim();
        self.data_categories
            .iter()
            .any(|c| c.eq_ignore_ascii_case(category))
            .then_some(self.small_cell_threshold)
    }
}

/// A policy file that may be left out: absent, it is `T::default()`.
fn load_optional<T: serde::de::DeserializeOwned + Default>(path: &Path) -> Result<T, PolicyError> {
    let Ok(source) = std::fs::read_to_string(path) else {
        return Ok(T::default());
    };
    toml::from_str(&source).map_err(|e| PolicyError::from_toml(path, &source, &e))
}

/// Everything loaded from the policy directory.
pub struct Policies {
    pub dir: PathBuf,
    pub workflow: WorkflowPolicy,
    pub calendar: Calendar,
    pub statistics: StatisticsPolicy,
    pub assessment: AssessmentPolicy,
    pub scanner: Arc<Scanner>,
    /// SHA-256 over every policy file (path and content), in path order.
    pub digest: String,
}

impl Policies {
    pub fn load(dir: &Path) -> Result<Self, PolicyError> {
        if !dir.is_dir() {
            return Err(PolicyError::new(
                dir,
                None,
                "policy directory not found (set RELEASEGATE_POLICY_DIR)",
            ));
        }
        let workflow = WorkflowPolicy::load(&dir.join("workflow.toml"))?;
        let calendar = Calendar::load(&dir.join("calendar"))?;
        let statistics = StatisticsPolicy::load(&dir.join("statistics.toml"))?;
        let assessment = AssessmentPolicy::load(&dir.join("assessment.toml"))?;
        let scanner = Arc::new(Scanner::load(dir)?);
        let digest = digest_dir(dir)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            workflow,
            calendar,
            statistics,
            assessment,
            scanner,
            digest,
        })
    }
}

fn digest_dir(dir: &Path) -> Result<String, PolicyError> {
    let mut files = Vec::new();
    collect_toml(dir, &mut files)?;
    files.sort();
    let mut hasher = Sha256::new();
    for path in files {
        let bytes = std::fs::read(&path)
            .map_err(|e| PolicyError::new(&path, None, format!("cannot read: {e}")))?;
        let rel = path.strip_prefix(dir).unwrap_or(&path);
        hasher.update(rel.to_string_lossy().as_bytes());
        hasher.update([0]);
        hasher.update((bytes.len() as u64).to_be_bytes());
        hasher.update(&bytes);
    }
    Ok(hex::encode(hasher.finalize()))
}

fn collect_toml(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), PolicyError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| PolicyError::new(dir, None, format!("cannot list: {e}")))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_toml(&path, out)?;
        } else if path.extension().is_some_and(|x| x == "toml") {
            out.push(path);
        }
    }
    Ok(())
}
