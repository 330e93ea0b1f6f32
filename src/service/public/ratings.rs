//! 社会评价: verified members of the public rate published releases on
//! availability, completeness, accuracy, timeliness and security (1–5);
//! one rating per member and release, which they may change. Averages show
//! on the public view of the release.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::dsl::{count_star, sum};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::accounts::PublicCaller;
use crate::db::models::RatingRow;
use crate::db::schema::{ratings, releases};
use crate::db::{write_tx, DbConn};
use crate::error::{AppError, AppResult};
use crate::ids::ReleaseId;
use crate::workflow::State;

const MAX_COMMENT: usize = 2000;

/// One member's rating of one release.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRating {
    #[schema(minimum = 1, maximum = 5)]
    #[serde(deserialize_with = "crate::service::fields::whole_number")]
    pub availability: i32,
    #[schema(minimum = 1, maximum = 5)]
    #[serde(deserialize_with = "crate::service::fields::whole_number")]
    pub completeness: i32,
    #[schema(minimum = 1, maximum = 5)]
    #[serde(deserialize_with = "crate::service::fields::whole_number")]
    pub accuracy: i32,
    #[schema(minimum = 1, maximum = 5)]
    #[serde(deserialize_with = "crate::service::fields::whole_number")]
    pub timeliness: i32,
    #[schema(minimum = 1, maximum = 5)]
    #[serde(deserialize_with = "crate::service::fields::whole_number")]
    pub security: i32,
    #[schema(max_length = 2000)]
    pub comment: Option<String>,
}

impl NewRating {
    fn scores(&self) -> [(&'static str, i32); 5] {
        [
            ("availability", self.availability),
            ("completeness", self.completeness),
            ("accuracy", self.accuracy),
            ("timeliness", self.timeliness),
            ("security", self.security),
        ]
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RatingView {
    pub release_id: String,
    pub availability: i32,
    pub completeness: i32,
    pub accuracy: i32,
    pub timeliness: i32,
    pub security: i32,
    pub comment: Option<String>,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<RatingRow> for RatingView {
    fn from(r: RatingRow) -> Self {
        Self {
            release_id: r.release_id.into(),
            availability: r.availability,
            completeness: r.completeness,
            accuracy: r.accuracy,
            timeliness: r.timeliness,
            security: r.security,
            comment: r.comment,
            updated_at: crate::audit::format_time(&r.updated_at),
        }
    }
}

/// The averages of ratings: of a release, or of a department's releases.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RatingSummary {
    pub count: i64,
    pub availability: f64,
    pub completeness: f64,
    pub accuracy: f64,
    pub timeliness: f64,
    pub security: f64,
}

/// Rates `release_id` for the caller, or changes their rating; `true`
/// when the rating is new.
pub fn rate(
    conn: &mut DbConn,
    caller: &PublicCaller,
    release_id: &ReleaseId,
    rating: &NewRating,
) -> AppResult<(RatingView, bool)> {
    for (name, score) in rating.scores() {
        if !(1..=5).contains(&score) {
            return Err(AppError::BadRequest(format!(
                "{name} must be from 1 to 5, not {score}"
            )));
        }
    }
    let comment = rating
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string);
    if comment
        .as_ref()
        .is_some_and(|c| c.chars().count() > MAX_COMMENT)
    {
        return Err(AppError::BadRequest(format!(
            "comment must be at most {MAX_COMMENT} characters"
        )));
    }
    write_tx(conn, |conn| {
        let published: i64 = releases::table
            .find(release_id)
            .filter(releases::state.eq(State::Published.as_str()))
            .count()
            .get_result(conn)?;
        if published == 0 {
            return Err(AppError::NotFound(format!(
                "no published release {release_id}"
            )));
        }
        let now = crate::audit::now();
        let earlier: Option<RatingRow> = ratings::table
            .filter(ratings::release_id.eq(release_id))
            .filter(ratings::account_id.eq(&caller.account_id))
            .select(RatingRow::as_select())
            .first(conn)
            .optional()?;
        let row = RatingRow {
            id: earlier
                .as_ref()
                .map_or_else(|| ulid::Ulid::new().to_string(), |r| r.id.clone()),
            release_id: release_id.clone(),
            account_id: caller.account_id.clone(),
            availability: rating.availability,
            completeness: rating.completeness,
            accuracy: rating.accuracy,
            timeliness: rating.timeliness,
            security: rating.security,
            comment,
            created_at: earlier.as_ref().map_or(now, |r| r.created_at),
            updated_at: now,
        };
        if earlier.is_some() {
            diesel::update(ratings::table.find(&row.id))
                .set(&row)
                .execute(conn)?;
        } else {
            diesel::insert_into(ratings::table)
                .values(&row)
                .execute(conn)?;
        }
        Ok((RatingView::from(row), earlier.is_none()))
    })
}

/// The count and the five sums that averages are made of, as SQL returns them.
type Sums = (
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

/// The SELECT list of [`Sums`] (a macro: diesel has no nameable type for it).
macro_rules! sums {
    () => {
        (
            count_star(),
            sum(ratings::availability),
            sum(ratings::completeness),
            sum(ratings::accuracy),
            sum(ratings::timeliness),
            sum(ratings::security),
        )
    };
}

impl RatingSummary {
    /// The averages of `count` ratings that sum to the rest; `None` without any.
    fn from_sums((count, a, b, c, d, e): Sums) -> Option<Self> {
        if count == 0 {
            return None;
        }
        // Two decimals are what anyone reads of an average of 1–5 scores.
        let mean = |s: Option<i64>| (s.unwrap_or(0) as f64 / count as f64 * 100.0).round() / 100.0;
        Some(Self {
            count,
            availability: mean(a),
            completeness: mean(b),
            accuracy: mean(c),
            timeliness: mean(d),
            security: mean(e),
        })
    }

    /// The mean of the five averages.
    pub fn overall(&self) -> f64 {
        let sum =
            self.availability + self.completeness + self.accuracy + self.timeliness + self.security;
        (sum / 5.0 * 100.0).round() / 100.0
    }
}

/// The averages of the ratings of each of `release_ids` that has any,
/// summed in the database with one grouped query.
pub fn rating_summaries(
    conn: &mut DbConn,
    release_ids: &[&str],
) -> AppResult<BTreeMap<String, RatingSummary>> {
    let rows: Vec<(String, Sums)> = ratings::table
        .filter(ratings::release_id.eq_any(release_ids))
        .group_by(ratings::release_id)
        .select((ratings::release_id, sums!()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, sums)| RatingSummary::from_sums(sums).map(|s| (id, s)))
        .collect())
}

/// The averages of the ratings given (or last changed) in `[from, to)`,
/// per department of the rated releases.
pub fn ratings_per_department(
    conn: &mut DbConn,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> AppResult<BTreeMap<String, RatingSummary>> {
    let rows: Vec<(String, Sums)> = ratings::table
        .inner_join(releases::table)
        .filter(ratings::updated_at.ge(from))
        .filter(ratings::updated_at.lt(to))
        .group_by(releases::department)
        .select((releases::department, sums!()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(dept, sums)| RatingSummary::from_sums(sums).map(|s| (dept, s)))
        .collect())
}
