//! Applications for conditional data, for the departments that decide them,
//! and the access log, for supervisors.

use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::super::export;
use super::super::params::{Limit, Query};
use super::parse_time;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppResult, ErrorBody};
use crate::policy::Role;
use crate::service::public::{
    self, AccessFilter, AccessRecord, ApplicationDecision, ApplicationState, ApplicationView,
    ACCESS_CSV_HEADER,
};
use crate::service::releases::{clamp_limit, Page};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct StaffApplicationQuery {
    #[param(inline)]
    state: Option<ApplicationState>,
    /// The `next_cursor` of the page before.
    cursor: Option<String>,
    #[param(inline)]
    limit: Option<Limit>,
}

/// Applications for conditional data, newest first: a dept_approver sees
/// those for their department's releases, a supervisor all.
#[utoipa::path(
    tag = "review",
    params(StaffApplicationQuery),
    responses((status = OK, body = Page<ApplicationView>), (status = FORBIDDEN, body = ErrorBody)),
    security(("bearer" = []))
)]
#[get("/applications")]
pub(super) async fn list_applications(
    state: web::Data<AppState>,
    user: CurrentUser,
    q: Query<StaffApplicationQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let limit = clamp_limit(Limit::get(q.limit));
    let page = state
        .run(move |conn| public::list_for_staff(conn, &user, q.state, q.cursor.as_deref(), limit))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ApplicationDecisionBody {
    decision: ApplicationDecision,
    /// Required to refuse or revoke; told to the applicant.
    #[schema(max_length = 2000)]
    reason: Option<String>,
}

/// Approves or refuses a pending application, or revokes an approved one
/// (a dept_approver of the owning department). The applicant is mailed.
#[utoipa::path(
    tag = "review",
    params(("id" = String, Path)),
    responses(
        (status = OK, body = ApplicationView),
        (status = FORBIDDEN, body = ErrorBody),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, description = "`already_decided`: the application is not in the state the decision needs", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "`note_required`: a refusal or revocation needs a reason", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/applications/{id}/decision")]
pub(super) async fn decide_application(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
    body: web::Json<ApplicationDecisionBody>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let view = state
        .write(move |st, conn| {
            public::decide(
                conn,
                &user,
                &id,
                body.decision,
                body.reason.as_deref(),
                &st.settings.public_url,
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize, ToSchema, Default, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum AccessFormat {
    /// One page: `{items, next_cursor}`.
    #[default]
    Json,
    /// Every matching access as CSV.
    Csv,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct AccessQuery {
    /// A release id.
    release: Option<String>,
    /// A public account id.
    account: Option<String>,
    /// An API key id.
    key: Option<String>,
    /// Accesses at or after this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    from: Option<String>,
    /// Accesses before this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    to: Option<String>,
    /// `csv` streams every matching row (no paging).
    #[param(inline)]
    format: Option<AccessFormat>,
    /// The `next_cursor` of the page before.
    cursor: Option<String>,
    #[param(inline)]
    limit: Option<Limit>,
}

/// Every public download and refused download (行为追溯), newest first;
/// supervisors only.
#[utoipa::path(
    tag = "audit",
    params(AccessQuery),
    responses(
        (status = OK, content(
            (Page<AccessRecord> = "application/json"),
            (String = "text/csv"),
        )),
        (status = FORBIDDEN, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/access-log")]
pub(super) async fn access_log(
    state: web::Data<AppState>,
    user: CurrentUser,
    q: Query<AccessQuery>,
) -> AppResult<HttpResponse> {
    user.require(Role::Supervisor)?;
    let q = q.into_inner();
    let filter = AccessFilter {
        release: q.release,
        account: q.account,
        key: q.key,
        from: q
            .from
            .as_deref()
            .map(|t| parse_time("from", t))
            .transpose()?,
        to: q.to.as_deref().map(|t| parse_time("to", t)).transpose()?,
    };
    match q.format.unwrap_or_default() {
        AccessFormat::Json => {
            let limit = clamp_limit(Limit::get(q.limit));
            let page = state
                .run(move |conn| public::list_access(conn, &filter, q.cursor.as_deref(), limit))
                .await?;
            Ok(HttpResponse::Ok().json(page))
        }
        AccessFormat::Csv => Ok(export::stream(
            &state,
            "text/csv; charset=utf-8",
            move |conn, out| {
                let mut writer = csv::Writer::from_writer(out);
                writer.write_record(ACCESS_CSV_HEADER)?;
                let n = public::for_each_access(conn, &filter, |r| {
                    writer
                        .write_record(r.csv_record())
                        .map_err(std::io::Error::other)
                })?;
                writer.flush()?;
                Ok(n)
            },
        )),
    }
}
