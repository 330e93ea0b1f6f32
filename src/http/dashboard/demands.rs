//! Data requests from the public (需求征集) for the departments that answer
//! them: newest first with their deadline, the text as sent, the requester's
//! contact, and an answer form (`service::public` demands).

use actix_web::web::{Form, Path, Query};
use actix_web::{get, post};
use askama::Template;
use serde::Deserialize;

use super::{render, rfc3339_local, see_other, Ctx, FormAnswer, HtmlPage, PageResult, Shell};
use crate::error::AppError;
use crate::policy::Role;
use crate::service::public::{self, Answer, DemandStatus, StaffDemandView};

/// Who works on this page: the departments' approvers answer, supervisors read.
const ROLES: [Role; 2] = [Role::DeptApprover, Role::Supervisor];
const PAGE_SIZE: i64 = 25;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DemandPageQuery {
    /// `open`, `accepted`, `planned` or `declined`; all when absent.
    status: Option<String>,
    cursor: Option<String>,
}

pub struct Row {
    pub d: StaffDemandView,
    pub created: String,
    pub due: String,
    pub answered: Option<String>,
}

impl Row {
    /// The translation key of a request status.
    pub fn status_key(status: &str) -> String {
        format!("demand.{status}")
    }
}

#[derive(Template)]
#[template(path = "demands.html")]
struct DemandsPage {
    s: Shell,
    rows: Vec<Row>,
    status: String,
    /// Whether the caller may answer (a dept_approver).
    answers: bool,
    next: Option<String>,
}

#[utoipa::path(tag = "dashboard", params(DemandPageQuery), responses(HtmlPage))]
#[get("/demands")]
pub async fn show_demands(ctx: Ctx, q: Query<DemandPageQuery>) -> PageResult {
    let user = ctx.with_role(&ROLES)?.clone();
    let q = q.into_inner();
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            s.parse::<DemandStatus>()
                .map_err(|e| ctx.fail(AppError::BadRequest(e)))?,
        ),
    };
    let answers = user.has(Role::DeptApprover);
    let cursor = q.cursor.clone();
    let page = ctx
        .state
        .run(move |conn| {
            public::list_demands_for_staff(conn, &user, status, cursor.as_deref(), PAGE_SIZE)
        })
        .await
        .map_err(|e| ctx.fail(e))?;
    let status = status.map(|s| s.as_str().to_string()).unwrap_or_default();
    let next = page.next_cursor.map(|c| {
        let mut query = vec![("cursor", c)];
        if !status.is_empty() {
            query.push(("status", status.clone()));
        }
        serde_urlencoded::to_string(query).unwrap_or_default()
    });
    let rows = page
        .items
        .into_iter()
        .map(|d| Row {
            created: rfc3339_local(&d.demand.created_at),
            due: rfc3339_local(&d.demand.due_at),
            answered: d.demand.answered_at.as_deref().map(rfc3339_local),
            d,
        })
        .collect();
    render(
        &ctx,
        &DemandsPage {
            s: ctx.shell(),
            rows,
            status,
            answers,
            next,
        },
    )
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AnswerForm {
    #[serde(default)]
    answer: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    withhold_reason: String,
    #[serde(default)]
    csrf_token: String,
}

#[utoipa::path(tag = "dashboard", params(("id" = String, Path)), responses(FormAnswer))]
#[post("/demands/{id}/answer")]
pub async fn answer_demand(ctx: Ctx, id: Path<String>, form: Form<AnswerForm>) -> PageResult {
    ctx.check_csrf(&form.csrf_token)?;
    let user = ctx.with_role(&[Role::DeptApprover])?.clone();
    let form = form.into_inner();
    let status = form
        .status
        .parse::<DemandStatus>()
        .map_err(|e| ctx.fail(AppError::BadRequest(e)))?;
    let id = id.into_inner();
    let target = format!("/demands#demand-{id}");
    ctx.state
        .write(move |st, conn| {
            public::answer_demand(
                conn,
                &user,
                &id,
                &Answer {
                    answer: &form.answer,
                    status,
                    reason: Some(form.reason.as_str()),
                    withhold_reason: Some(form.withhold_reason.as_str()),
                },
                &st.settings.public_url,
            )
        })
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok(see_other(&target))
}
