//! 社会评价: verified members of the public rate published releases on
//! availability, completeness, accuracy, timeliness and security (1–5);
//! one rating per member and release, which they may change. Averages show
//! on the public view of the release.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::accounts::PublicCaller;
use crate::db::models::RatingRow;
use crate::db::schema::{ratings, releases};
use crate::db::{write_tx, DbConn};
use crate::error::{AppError, AppResult};
use crate::workflow::State;

const MAX_COMMENT: usize = 2000;

/// One member's rating of one release.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRating {
    #[schema(minimum = 1, maximum = 5)]
    #[serde(deserialize_with = "whole_number")]
    pub availability: i32,
    #[schema(minimum = 1, maximum = 5)]
    #[serde(deserialize_with = "whole_number")]
    pub completeness: i32,
    #[schema(minimum = 1, maximum = 5)]
    #[serde(deserialize_with = "whole_number")]
    pub accuracy: i32,
    #[schema(minimum = 1, maximum = 5)]
    #[serde(deserialize_with = "whole_number")]
    pub timeliness: i32,
    #[schema(minimum = 1, maximum = 5)]
    #[serde(deserialize_with = "whole_number")]
    pub security: i32,
    #[schema(max_length = 2000)]
    pub comment: Option<String>,
}

/// An integer as JSON Schema counts them: `3` and `3.0` alike.
fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    let n = serde_json::Number::deserialize(d)?;
    n.as_i64()
        .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
        .and_then(|i| i32::try_from(i).ok())
        .ok_or_else(|| serde::de::Error::custom(format!("{n} is not a whole number")))
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
            release_id: r.release_id,
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

/// The averages of a release's ratings.
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
    release_id: &str,
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
            release_id: release_id.to_string(),
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

/// The averages over `release_ids`' ratings (one release, or all of a
/// department's), summed in the database; `None` without any rating.
pub fn rating_summary(
    conn: &mut DbConn,
    release_ids: &[String],
) -> AppResult<Option<RatingSummary>> {
    use diesel::dsl::{count_star, sum};
    let (count, sums): (i64, [Option<i64>; 5]) = ratings::table
        .filter(ratings::release_id.eq_any(release_ids))
        .select((
            count_star(),
            sum(ratings::availability),
            sum(ratings::completeness),
            sum(ratings::accuracy),
            sum(ratings::timeliness),
            sum(ratings::security),
        ))
        .first::<(
            i64,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            Option<i64>,
        )>(conn)
        .map(|(n, a, b, c, d, e)| (n, [a, b, c, d, e]))?;
    if count == 0 {
        return Ok(None);
    }
    // Two decimals are what anyone reads of an average of 1–5 scores.
    let mean = |s: Option<i64>| (s.unwrap_or(0) as f64 / count as f64 * 100.0).round() / 100.0;
    Ok(Some(RatingSummary {
        count,
        availability: mean(sums[0]),
        completeness: mean(sums[1]),
        accuracy: mean(sums[2]),
        timeliness: mean(sums[3]),
        security: mean(sums[4]),
    }))
}
