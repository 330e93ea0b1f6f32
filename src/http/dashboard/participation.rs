//! The public's side of the catalogue pages: a member of the public (an
//! account registered and confirmed through `/public/accounts`) signs in,
//! files data requests (需求征集) and rates published releases (社会评价);
//! anyone reads the requests and their answers. The same services as the
//! public API answer; the member's token is kept in its own cookie, with
//! the public audience, so it never opens a staff page.

use actix_web::web::{Form, Path, Query};
use actix_web::{get, post};
use askama::Template;
use serde::Deserialize;

use super::session::{login_form, signed_in_as, signed_out_of, CsrfForm};
use super::{
    render, rfc3339_local, see_other, Ctx, Departments, FormAnswer, HtmlPage, PageResult, Shell,
};
use crate::app::AppState;
use crate::error::AppError;
use crate::ids::ReleaseId;
use crate::service::public::{self, DemandView, NewDemand, NewRating, PublicCaller};

/// The cookie holding a member's public token.
pub const MEMBER_COOKIE: &str = "rg_member";
const PAGE_SIZE: i64 = 25;

/// A signed-in member of the public and the token that signed them in.
pub struct Member {
    pub caller: PublicCaller,
    pub token: String,
}

impl Member {
    /// The member a cookie names; an expired, signed-out or blocked one is
    /// simply not signed in.
    pub async fn authenticate(state: &AppState, token: Option<String>) -> Option<Self> {
        let token = token?;
        let presented = token.clone();
        let caller = state
            .call(move |st, conn| public::authenticate_token(st, conn, &presented))
            .await
            .ok()?;
        Some(Self { caller, token })
    }
}

/// Where a member who is not signed in is sent.
const SIGN_IN: &str = "/catalog/login";

#[derive(Template)]
#[template(path = "member_login.html")]
struct MemberLoginPage {
    s: Shell,
    email: String,
    failed: bool,
}

/// The sign-in form for members of the public.
#[utoipa::path(tag = "dashboard", responses(HtmlPage))]
#[get("/catalog/login")]
pub async fn show_member_login(ctx: Ctx) -> PageResult {
    login_form(&ctx, |s| MemberLoginPage {
        s,
        email: String::new(),
        failed: false,
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct MemberLoginForm {
    email: String,
    password: String,
    #[serde(default)]
    csrf_token: String,
}

/// Signs a member in with the throttling of `POST /public/auth/login`.
#[utoipa::path(tag = "dashboard", responses(FormAnswer))]
#[post("/catalog/login")]
pub async fn member_sign_in(ctx: Ctx, form: Form<MemberLoginForm>) -> PageResult {
    ctx.check_csrf(&form.csrf_token)?;
    let MemberLoginForm {
        email, password, ..
    } = form.into_inner();
    let address = ctx.address;
    let tried = email.clone();
    let account = match ctx
        .state
        .call(move |st, conn| public::sign_in(st, conn, &tried, &password, address))
        .await
    {
        Ok(account) => account,
        Err(AppError::Unauthorized(_)) => {
            let mut page = render(
                &ctx,
                &MemberLoginPage {
                    s: ctx.shell(),
                    email,
                    failed: true,
                },
            )?;
            *page.status_mut() = actix_web::http::StatusCode::UNAUTHORIZED;
            return Ok(page);
        }
        Err(e) => return Err(ctx.fail(e)),
    };
    let (token, expires) = ctx
        .state
        .tokens
        .issue_public(&account.id, &account.email)
        .map_err(|e| ctx.fail(AppError::internal(e)))?;
    let ttl = expires - chrono::Utc::now();
    signed_in_as(&ctx, "/catalog", MEMBER_COOKIE, token, ttl)
}

/// Ends the member's session: the token is refused from now on.
#[utoipa::path(tag = "dashboard", responses(FormAnswer))]
#[post("/catalog/logout")]
pub async fn member_sign_out(ctx: Ctx, form: Form<CsrfForm>) -> PageResult {
    ctx.check_csrf(&form.csrf_token)?;
    if let Some(member) = &ctx.member {
        let token = member.token.clone();
        ctx.state
            .call(move |st, conn| public::sign_out(st, conn, &token))
            .await
            .map_err(|e| ctx.fail(e))?;
    }
    signed_out_of(&ctx, "/catalog", MEMBER_COOKIE)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DemandListQuery {
    cursor: Option<String>,
}

pub struct Row {
    pub d: DemandView,
    pub department: Option<String>,
    pub created: String,
    pub due: String,
    pub answered: Option<String>,
}

impl Row {
    pub fn status_key(&self) -> String {
        format!("demand.{}", self.d.status.as_str())
    }
}

#[derive(Template)]
#[template(path = "public_demands.html")]
struct PublicDemandsPage {
    s: Shell,
    rows: Vec<Row>,
    /// Departments a request may be addressed to, `(code, name)`.
    departments: Vec<(String, String)>,
    next: Option<String>,
}

/// Data requests and their answers as the public sees them (masked where
/// the scanner found personal data, withheld ones left out), and the form
/// to file one for a signed-in member.
#[utoipa::path(tag = "dashboard", params(DemandListQuery), responses(HtmlPage))]
#[get("/catalog/demands")]
pub async fn show_public_demands(ctx: Ctx, q: Query<DemandListQuery>) -> PageResult {
    let cursor = q.into_inner().cursor;
    let (page, depts) = ctx
        .state
        .run(move |conn| {
            let page = public::list_demands(conn, cursor.as_deref(), PAGE_SIZE)?;
            Ok((page, Departments::load(conn)?))
        })
        .await
        .map_err(|e| ctx.fail(e))?;
    let rows = page
        .items
        .into_iter()
        .map(|d| Row {
            department: d.department.as_deref().map(|c| depts.name(c).to_string()),
            created: rfc3339_local(&d.created_at),
            due: rfc3339_local(&d.due_at),
            answered: d.answered_at.as_deref().map(rfc3339_local),
            d,
        })
        .collect();
    let next = page.next_cursor.map(|c| {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("cursor", &c)
            .finish();
        format!("/catalog/demands?{query}")
    });
    render(
        &ctx,
        &PublicDemandsPage {
            s: ctx.shell(),
            rows,
            departments: depts.all(),
            next,
        },
    )
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct DemandForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    /// A department code; empty: whichever answers first.
    #[serde(default)]
    department: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    csrf_token: String,
}

/// Files a data request as the signed-in member.
#[utoipa::path(tag = "dashboard", responses(FormAnswer))]
#[post("/catalog/demands")]
pub async fn file_demand(ctx: Ctx, form: Form<DemandForm>) -> PageResult {
    ctx.check_csrf(&form.csrf_token)?;
    let Some(member) = &ctx.member else {
        return Ok(see_other(SIGN_IN));
    };
    let caller = member.caller.clone();
    let form = form.into_inner();
    let filed = ctx
        .state
        .write(move |st, conn| {
            public::submit_demand(
                conn,
                &caller,
                &NewDemand {
                    title: &form.title,
                    description: &form.description,
                    department: Some(form.department.as_str()).filter(|d| !d.is_empty()),
                    contact: &form.contact,
                },
                &st.policies,
                &st.settings.public_url,
            )
        })
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok(see_other(&format!("/catalog/demands#demand-{}", filed.id)))
}

/// The five scores of the rating form, each 1 to 5.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct RatingForm {
    availability: i32,
    completeness: i32,
    accuracy: i32,
    timeliness: i32,
    security: i32,
    /// Optional words with the scores.
    #[serde(default)]
    comment: String,
    #[serde(default)]
    csrf_token: String,
}

/// Rates a published release as the signed-in member, or changes their
/// rating of it.
#[utoipa::path(tag = "dashboard", params(("id" = String, Path)), responses(FormAnswer))]
#[post("/catalog/releases/{id}/rating")]
pub async fn rate_release(ctx: Ctx, id: Path<ReleaseId>, form: Form<RatingForm>) -> PageResult {
    ctx.check_csrf(&form.csrf_token)?;
    let Some(member) = &ctx.member else {
        return Ok(see_other(SIGN_IN));
    };
    let caller = member.caller.clone();
    let RatingForm {
        availability,
        completeness,
        accuracy,
        timeliness,
        security,
        comment,
        ..
    } = form.into_inner();
    let id = id.into_inner();
    let target = format!("/catalog#release-{id}");
    let rating = NewRating {
        availability,
        completeness,
        accuracy,
        timeliness,
        security,
        comment: Some(comment).filter(|c| !c.trim().is_empty()),
    };
    ctx.state
        .write(move |_, conn| public::rate(conn, &caller, &id, &rating))
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok(see_other(&target))
}
