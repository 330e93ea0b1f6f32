//! `policies/assessment.toml`: how the department report (督查考评) weighs
//! its measures into one score out of 100.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::PolicyError;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssessmentPolicy {
    pub weights: Weights,
}

/// The weight of each measure; only their ratios matter. A measure with
/// nothing to measure in the period is left out and the others share its
/// weight.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    /// Review stages decided by their deadline.
    pub on_time_review: f64,
    /// Data requests answered within their 20 working days.
    pub demands_on_time: f64,
    /// Plan items delivered by their due day.
    pub plan_fulfilment: f64,
    /// The public's average rating, 1–5 read as 0–1.
    pub ratings: f64,
}

impl Default for AssessmentPolicy {
    fn default() -> Self {
        Self {
            weights: Weights {
                on_time_review: 30.0,
                demands_on_time: 20.0,
                plan_fulfilment: 30.0,
                ratings: 20.0,
            },
        }
    }
}

impl AssessmentPolicy {
    pub(super) fn parse(path: &Path, source: Option<&str>) -> Result<Self, PolicyError> {
        let policy: Self = super::parse_optional(path, source)?;
        let w = policy.weights;
        let all = [
            w.on_time_review,
            w.demands_on_time,
            w.plan_fulfilment,
            w.ratings,
        ];
        if all.iter().any(|x| !x.is_finite() || *x < 0.0) {
            return Err(PolicyError::new(
                path,
                None,
                "every weight must be a number of at least 0",
            ));
        }
        if all.iter().sum::<f64>() <= 0.0 {
            return Err(PolicyError::new(
                path,
                None,
                "at least one weight must be above 0",
            ));
        }
        Ok(policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(source: &str) -> Result<AssessmentPolicy, PolicyError> {
        AssessmentPolicy::parse(Path::new("assessment.toml"), Some(source))
    }

    #[test]
    fn refuses_negative_zero_and_unknown_weights() {
        let ok = load("[weights]\non_time_review = 1\ndemands_on_time = 0\nplan_fulfilment = 0\nratings = 0\n").unwrap();
        assert_eq!(ok.weights.on_time_review, 1.0);
        let negative = load("[weights]\non_time_review = -1\ndemands_on_time = 1\nplan_fulfilment = 1\nratings = 1\n");
        assert!(negative.unwrap_err().message.contains("at least 0"));
        let zero = load("[weights]\non_time_review = 0\ndemands_on_time = 0\nplan_fulfilment = 0\nratings = 0\n");
        assert!(zero.unwrap_err().message.contains("above 0"));
        let unknown = load("[weights]\non_time_review = 1\ndemands_on_time = 1\nplan_fulfilment = 1\nratings = 1\nspeed = 1\n");
        assert!(unknown.unwrap_err().message.contains("speed"));
    }

    #[test]
    fn a_missing_file_means_the_defaults() {
        let policy = AssessmentPolicy::parse(Path::new("assessment.toml"), None).unwrap();
        assert_eq!(policy.weights, AssessmentPolicy::default().weights);
    }
}
