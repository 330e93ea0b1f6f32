//! Data requests from the public, for the departments that answer them.

use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::super::params::{Limit, Query};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppResult, ErrorBody};
use crate::service::public::{self, Answer, DemandStatus, StaffDemandView};
use crate::service::releases::{clamp_limit, Page};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct DemandQuery {
    #[param(inline)]
    status: Option<DemandStatus>,
    /// The `next_cursor` of the page before.
    cursor: Option<String>,
    #[param(inline)]
    limit: Option<Limit>,
}

/// Data requests with the requester's contact, newest first: a
/// dept_approver sees their department's and the unassigned, a supervisor
/// all.
#[utoipa::path(
    tag = "review",
    params(DemandQuery),
    responses((status = OK, body = Page<StaffDemandView>), (status = FORBIDDEN, body = ErrorBody)),
    security(("bearer" = []))
)]
#[get("/demands")]
pub(super) async fn list_demands(
    state: web::Data<AppState>,
    user: CurrentUser,
    q: Query<DemandQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let limit = clamp_limit(Limit::get(q.limit));
    let page = state
        .run(move |conn| {
            public::list_demands_for_staff(conn, &user, q.status, q.cursor.as_deref(), limit)
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// What the department answers.
#[derive(Deserialize, ToSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum AnswerStatus {
    Accepted,
    Planned,
    Declined,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct AnswerBody {
    /// Public, unless the request is withheld.
    #[schema(min_length = 1, max_length = 4000, pattern = r"\S")]
    answer: String,
    status: AnswerStatus,
    /// Required to decline; public.
    #[schema(max_length = 4000)]
    reason: Option<String>,
    /// Withholds the request and its answer from the public, for this reason.
    #[schema(max_length = 4000)]
    withhold_reason: Option<String>,
}

/// Answers a data request (a dept_approver of the department asked, or of
/// any department for an unassigned one, which it thereby takes). Audited;
/// the requester is mailed. Answering again replaces the answer; the first
/// answer's time is the one measured against the deadline.
#[utoipa::path(
    tag = "review",
    params(("id" = String, Path)),
    request_body = AnswerBody,
    responses(
        (status = OK, body = StaffDemandView),
        (status = FORBIDDEN, body = ErrorBody),
        (status = NOT_FOUND, body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "`note_required`: declining needs a reason", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/demands/{id}/answer")]
pub(super) async fn answer_demand(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
    body: web::Json<AnswerBody>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let status = match body.status {
        AnswerStatus::Accepted => DemandStatus::Accepted,
        AnswerStatus::Planned => DemandStatus::Planned,
        AnswerStatus::Declined => DemandStatus::Declined,
    };
    let view = state
        .write(move |st, conn| {
            public::answer_demand(
                conn,
                &user,
                &id,
                &Answer {
                    answer: &body.answer,
                    status,
                    reason: body.reason.as_deref(),
                    withhold_reason: body.withhold_reason.as_deref(),
                },
                &st.settings.public_url,
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
