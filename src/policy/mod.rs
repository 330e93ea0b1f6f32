//! Loading and validating `policies/`: the workflow, the working-day calendar
//! and the scanner's detector packs. A release records the digest of the
//! policy set it was judged under.

mod assessment;
mod calendar;
mod files;
mod role;
mod workflow;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use crate::policy_error::{line_of, PolicyError};
pub use assessment::{AssessmentPolicy, Weights};
pub use calendar::Calendar;
pub use files::{Origin, PolicyFiles};
pub use role::{Role, Roles};
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
    fn parse(path: &Path, source: Option<&str>) -> Result<Self, PolicyError> {
        let policy: Self = parse_optional(path, source)?;
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
fn parse_optional<T: serde::de::DeserializeOwned + Default>(
    path: &Path,
    source: Option<&str>,
) -> Result<T, PolicyError> {
    let Some(source) = source else {
        return Ok(T::default());
    };
    toml::from_str(source).map_err(|e| PolicyError::from_toml(path, source, &e))
}

/// Everything loaded from the policy files.
pub struct Policies {
    pub files: PolicyFiles,
    pub workflow: WorkflowPolicy,
    pub calendar: Calendar,
    pub statistics: StatisticsPolicy,
    pub assessment: AssessmentPolicy,
    pub scanner: Arc<Scanner>,
    /// SHA-256 over every policy file (path and content), in path order.
    pub digest: String,
}

impl Policies {
    /// The operator's directory, `./policies`, or the built-in set
    /// (see [`PolicyFiles::resolve`]).
    pub fn resolve(explicit: Option<&Path>) -> Result<Self, PolicyError> {
        Self::from_files(PolicyFiles::resolve(explicit)?)
    }

    pub fn load(dir: &Path) -> Result<Self, PolicyError> {
        Self::from_files(PolicyFiles::read_dir(dir)?)
    }

    pub fn from_files(files: PolicyFiles) -> Result<Self, PolicyError> {
        let workflow_path = files.path("workflow.toml");
        let workflow_source = files.get("workflow.toml").ok_or_else(|| {
            PolicyError::new(&workflow_path, None, "cannot read: the file is missing")
        })?;
        let workflow = WorkflowPolicy::parse(&workflow_path, workflow_source)?;
        let calendar = Calendar::from_sources(files.in_folder("calendar"))?;
        let statistics =
            StatisticsPolicy::parse(&files.path("statistics.toml"), files.get("statistics.toml"))?;
        let assessment =
            AssessmentPolicy::parse(&files.path("assessment.toml"), files.get("assessment.toml"))?;
        let packs: Vec<(PathBuf, String)> = files
            .in_folder("detectors")
            .map(|(path, source)| (path, source.to_string()))
            .collect();
        let scanner = Arc::new(Scanner::from_packs(&files.path("detectors"), &packs)?);
        let digest = files.digest();
        Ok(Self {
            files,
            workflow,
            calendar,
            statistics,
            assessment,
            scanner,
            digest,
        })
    }
}
