//! What the public brings: data requests (需求征集) and ratings of
//! published releases (社会评价). Both need a verified public account;
//! requests and their answers are readable by anyone.

use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::super::identity::PublicUser;
use super::super::params::{PageQuery, Query};
use crate::app::AppState;
use crate::error::{AppResult, ErrorBody};
use crate::ids::ReleaseId;
use crate::service::public::{self, DemandView, NewDemand, NewRating, RatingView};
use crate::service::releases::{clamp_limit, Page};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(submit_demand)
        .service(list_public_demands)
        .service(get_public_demand)
        .service(rate_release);
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct DemandBody {
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    title: String,
    /// What data, for what use.
    #[schema(min_length = 1, max_length = 4000, pattern = r"\S")]
    description: String,
    /// The department asked (a code); absent: whichever answers first.
    department: Option<String>,
    /// How the department may reach the requester; never public.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    contact: String,
}

/// Asks for data to be opened; the department answers within 20 working
/// days.
#[utoipa::path(
    tag = "public",
    request_body = DemandBody,
    responses(
        (status = CREATED, body = DemandView),
        (status = UNAUTHORIZED, body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "`unknown_department`", body = ErrorBody),
    ),
    security(("public_bearer" = []), ("api_key" = []))
)]
#[post("/demands")]
async fn submit_demand(
    state: web::Data<AppState>,
    user: PublicUser,
    body: web::Json<DemandBody>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let demand = state
        .write(move |st, conn| {
            public::submit_demand(
                conn,
                &user.0,
                &NewDemand {
                    title: &body.title,
                    description: &body.description,
                    department: body.department.as_deref(),
                    contact: &body.contact,
                },
                &st.policies,
                &st.settings.public_url,
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(demand))
}

/// Data requests and their answers, newest first (withheld ones are not
/// listed).
#[utoipa::path(tag = "public", params(PageQuery), responses((status = OK, body = Page<DemandView>)))]
#[get("/demands")]
async fn list_public_demands(
    state: web::Data<AppState>,
    q: Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let limit = clamp_limit(q.limit());
    let page = state
        .run(move |conn| public::list_demands(conn, q.cursor.as_deref(), limit))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One data request and its answer.
#[utoipa::path(
    tag = "public",
    params(("id" = String, Path)),
    responses((status = OK, body = DemandView), (status = NOT_FOUND, body = ErrorBody))
)]
#[get("/demands/{id}")]
async fn get_public_demand(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let demand = state.run(move |conn| public::get_demand(conn, &id)).await?;
    Ok(HttpResponse::Ok().json(demand))
}

/// Rates a published release on five dimensions (1–5), or changes the
/// caller's rating of it: 201 for a new rating, 200 for a changed one.
#[utoipa::path(
    tag = "public",
    params(("id" = String, Path)),
    request_body = NewRating,
    responses(
        (status = CREATED, body = RatingView),
        (status = OK, description = "the caller's earlier rating, changed", body = RatingView),
        (status = UNAUTHORIZED, body = ErrorBody),
        (status = NOT_FOUND, body = ErrorBody),
    ),
    security(("public_bearer" = []), ("api_key" = []))
)]
#[post("/releases/{id}/ratings")]
async fn rate_release(
    state: web::Data<AppState>,
    user: PublicUser,
    id: web::Path<ReleaseId>,
    body: web::Json<NewRating>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let (rating, created) = state
        .write(move |_, conn| public::rate(conn, &user.0, &id, &body))
        .await?;
    Ok(if created {
        HttpResponse::Created().json(rating)
    } else {
        HttpResponse::Ok().json(rating)
    })
}
