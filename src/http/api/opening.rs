//! The opening catalogue (开放目录) and the annual opening plan
//! (年度开放计划): read by all staff, kept by each department's
//! dept_approver.

use actix_web::{get, post, web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::super::params::{Limit, Query};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::service::opening::{
    self, CatalogueFilter, CatalogueItemView, NewCatalogueItem, Openness, PlanItemView, PlanView,
    UpdateFrequency,
};
use crate::service::releases::{clamp_limit, Page};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct CatalogueQuery {
    /// Only this department's items.
    department: Option<String>,
    #[param(inline)]
    openness: Option<Openness>,
    /// The `next_cursor` of the page before.
    cursor: Option<String>,
    #[param(inline)]
    limit: Option<Limit>,
}

/// The opening catalogue: every department's resources, newest first.
#[utoipa::path(
    tag = "opening",
    params(CatalogueQuery),
    responses((status = OK, body = Page<CatalogueItemView>)),
    security(("bearer" = []))
)]
#[get("/catalogue")]
pub(super) async fn list_catalogue(
    state: web::Data<AppState>,
    _user: CurrentUser,
    q: Query<CatalogueQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let limit = clamp_limit(Limit::get(q.limit));
    let filter = CatalogueFilter {
        department: q.department,
        openness: q.openness,
    };
    let page = state
        .run(move |conn| opening::list_catalogue(conn, &filter, q.cursor.as_deref(), limit))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CatalogueBody {
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    title: String,
    #[schema(min_length = 1, max_length = 4000, pattern = r"\S")]
    description: String,
    openness: Openness,
    /// Required for `closed`: the law or rule that keeps it closed.
    #[schema(max_length = 4000)]
    legal_basis: Option<String>,
    update_frequency: UpdateFrequency,
    /// The resource's field names, each once, as they are to be shown.
    #[schema(min_items = 1, max_items = 500, value_type = BTreeSet<FieldName>)]
    fields: Vec<FieldName>,
}

/// A field name: 1 to 100 characters.
#[derive(Deserialize, ToSchema)]
#[serde(transparent)]
#[schema(pattern = r"^[^\x00]{1,100}$")]
struct FieldName(String);

/// Lists a resource in the caller's department's catalogue (dept_approver).
/// Audited as `catalogue.item_added`.
#[utoipa::path(
    tag = "opening",
    request_body = CatalogueBody,
    responses(
        (status = CREATED, body = CatalogueItemView),
        (status = FORBIDDEN, body = ErrorBody),
        (status = CONFLICT, description = "`exists`: the department lists that title already", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "`note_required`: a closed resource needs its legal basis", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/catalogue")]
pub(super) async fn add_catalogue_item(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: web::Json<CatalogueBody>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let fields: Vec<String> = body.fields.into_iter().map(|f| f.0).collect();
    let view = state
        .write(move |_, conn| {
            opening::add_catalogue_item(
                conn,
                &user,
                &NewCatalogueItem {
                    title: &body.title,
                    description: &body.description,
                    openness: body.openness,
                    legal_basis: body.legal_basis.as_deref(),
                    update_frequency: body.update_frequency,
                    fields: &fields,
                },
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// A plan year from the path: a number (the service checks its range).
fn plan_year(raw: &str) -> AppResult<i32> {
    raw.parse::<i32>()
        .map_err(|_| AppError::BadRequest(format!("year must be a number, not {raw:?}")))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct PlanQuery {
    /// Only this department's summary and items.
    department: Option<String>,
    /// The `next_cursor` of the page before.
    cursor: Option<String>,
    #[param(inline)]
    limit: Option<Limit>,
}

/// A year's opening plan: planned, delivered, late and overdue per
/// department, then a page of the items in the order they were planned.
#[utoipa::path(
    tag = "opening",
    params(
        ("year" = i32, Path, minimum = 2000, maximum = 2100),
        PlanQuery,
    ),
    responses((status = OK, body = PlanView)),
    security(("bearer" = []))
)]
#[get("/plans/{year}")]
pub(super) async fn get_plan(
    state: web::Data<AppState>,
    _user: CurrentUser,
    year: web::Path<String>,
    q: Query<PlanQuery>,
) -> AppResult<HttpResponse> {
    let year = plan_year(&year)?;
    let q = q.into_inner();
    let limit = clamp_limit(Limit::get(q.limit));
    let plan = state
        .run(move |conn| {
            opening::plan(
                conn,
                year,
                q.department.as_deref(),
                q.cursor.as_deref(),
                limit,
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(plan))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct PlanItemBody {
    /// The id of one of the department's catalogue items.
    #[schema(min_length = 1, max_length = 64)]
    catalogue_item: String,
    /// The local day it will be opened by; in the plan's year.
    #[schema(value_type = String, format = Date)]
    due: NaiveDate,
}

/// Plans one of the caller's department's catalogue items for the year
/// (dept_approver). Audited as `plan.item_added`.
#[utoipa::path(
    tag = "opening",
    params(("year" = i32, Path, minimum = 2000, maximum = 2100)),
    request_body = PlanItemBody,
    responses(
        (status = CREATED, body = PlanItemView),
        (status = FORBIDDEN, body = ErrorBody),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, description = "`exists`: planned already this year", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "`not_openable`: the item is not to be opened; `outside_year`: due in another year", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/plans/{year}")]
pub(super) async fn add_plan_item(
    state: web::Data<AppState>,
    user: CurrentUser,
    year: web::Path<String>,
    body: web::Json<PlanItemBody>,
) -> AppResult<HttpResponse> {
    let year = plan_year(&year)?;
    let body = body.into_inner();
    let view = state
        .write(move |_, conn| {
            opening::add_plan_item(conn, &user, year, &body.catalogue_item, body.due)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct FulfilmentBody {
    /// A published release of the plan item's department.
    #[schema(min_length = 1, max_length = 64)]
    release: String,
}

/// Records the published release that delivers a plan item
/// (dept_approver of its department). Audited as `plan.item_fulfilled`.
#[utoipa::path(
    tag = "opening",
    params(
        ("year" = i32, Path, minimum = 2000, maximum = 2100),
        ("id" = String, Path),
    ),
    request_body = FulfilmentBody,
    responses(
        (status = OK, body = PlanItemView),
        (status = FORBIDDEN, body = ErrorBody),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, description = "`exists`: fulfilled already; `not_allowed_in_state`: the release is not published", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "`wrong_department`: the release is another department's", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/plans/{year}/items/{id}/fulfilment")]
pub(super) async fn fulfil_plan_item(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    body: web::Json<FulfilmentBody>,
) -> AppResult<HttpResponse> {
    let (year, id) = path.into_inner();
    let year = plan_year(&year)?;
    let body = body.into_inner();
    let view = state
        .write(move |_, conn| {
            opening::fulfil_plan_item(conn, &user, year, &id, &body.release.as_str().into())
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
