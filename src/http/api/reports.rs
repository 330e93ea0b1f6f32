//! Department assessment (督查考评) for supervisors.

use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::super::params::Query;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppResult, ErrorBody};
use crate::policy::Role;
use crate::service::reports::{self, AssessmentReport, REPORT_CSV_HEADER};

#[derive(Deserialize, ToSchema, Default, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum ReportFormat {
    #[default]
    Json,
    /// One row per department.
    Csv,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct ReportQuery {
    /// The local calendar year; this year when absent.
    #[param(minimum = 2000, maximum = 2100)]
    year: Option<i32>,
    #[param(inline)]
    format: Option<ReportFormat>,
}

/// Each department's year: releases opened, review stages on time, median
/// review time, overdue stages, data requests answered on time, ratings,
/// plan against delivery, and a score out of 100 weighted by
/// `policies/assessment.toml`. Supervisors only.
#[utoipa::path(
    tag = "reports",
    params(ReportQuery),
    responses(
        (status = OK, content(
            (AssessmentReport = "application/json"),
            (String = "text/csv"),
        )),
        (status = FORBIDDEN, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/reports/departments")]
pub(super) async fn departments_report(
    state: web::Data<AppState>,
    user: CurrentUser,
    q: Query<ReportQuery>,
) -> AppResult<HttpResponse> {
    user.require(Role::Supervisor)?;
    let q = q.into_inner();
    let year = q.year.unwrap_or_else(reports::this_year);
    let report = state
        .call(move |st, conn| reports::departments_report(conn, year, &st.policies))
        .await?;
    match q.format.unwrap_or_default() {
        ReportFormat::Json => Ok(HttpResponse::Ok().json(report)),
        ReportFormat::Csv => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            writer
                .write_record(REPORT_CSV_HEADER)
                .and_then(|()| {
                    report
                        .departments
                        .iter()
                        .try_for_each(|d| writer.write_record(d.csv_record(report.year)))
                })
                .map_err(crate::error::AppError::internal)?;
            let body = writer
                .into_inner()
                .map_err(|e| crate::error::AppError::internal(e.into_error()))?;
            Ok(HttpResponse::Ok()
                .content_type("text/csv; charset=utf-8")
                .insert_header((
                    "Content-Disposition",
                    format!("attachment; filename=\"departments-{year}.csv\""),
                ))
                .body(body))
        }
    }
}
