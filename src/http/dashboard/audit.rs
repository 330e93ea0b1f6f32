//! The supervisor's audit pages: search (release, actor, action, department,
//! time range) with keyset paging, export of the current search (streamed),
//! and verification of the hash chain.

use super::{FormAnswer, HtmlPage};
use actix_web::web::{Form, Path, Query};
use actix_web::{get, post};
use askama::Template;
use serde::{Deserialize, Serialize};

use super::session::CsrfForm;
use super::{local_time, parse_form_time, render, Ctx, PageResult, Shell};
use crate::audit::{Event, Report};
use crate::error::AppError;
use crate::policy::Role;
use crate::service::audit_log;

const PAGE: i64 = 50;

/// The search form; also the query string of the export links.
#[derive(Deserialize, Serialize, Default, Clone, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    #[serde(default)]
    release: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default, skip_serializing)]
    after: Option<i64>,
}

impl AuditQuery {
    fn filter(&self) -> Result<audit_log::Filter, AppError> {
        let text = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
        let time = |name: &str, v: &str| text(v).map(|t| parse_form_time(name, &t)).transpose();
        Ok(audit_log::Filter {
            release: text(&self.release),
            actor: text(&self.actor),
            action: text(&self.action),
            department: text(&self.department),
            from: time("from", &self.from)?,
            to: time("to", &self.to)?,
        })
    }

    /// The search as a query string, for export and next-page links.
    fn encoded(&self) -> String {
        serde_urlencoded::to_string(self).unwrap_or_default()
    }
}

pub struct EventRow {
    pub e: Event,
    pub at: String,
    pub details: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    s: Shell,
    q: AuditQuery,
    rows: Vec<EventRow>,
    query: String,
    next: Option<String>,
    report: Option<Report>,
}

/// Puts the supervisor's search or export on the trail before it is served.
async fn record_read(ctx: &Ctx, what: &'static str, filter: &audit_log::Filter) -> PageResult<()> {
    let reader = ctx
        .user
        .as_ref()
        .map(|u| u.username.clone())
        .unwrap_or_default();
    let filter = filter.clone();
    ctx.state
        .write(move |_, conn| Ok(audit_log::record_read(conn, &reader, what, &filter)?))
        .await
        .map_err(|e| ctx.fail(e))
}

async fn page(ctx: &Ctx, q: AuditQuery, report: Option<Report>) -> PageResult {
    let filter = q.filter().map_err(|e| ctx.fail(e))?;
    record_read(ctx, "search", &filter).await?;
    let after = q.after.unwrap_or(0);
    let mut events = ctx
        .state
        .run(move |conn| Ok(audit_log::page(conn, &filter, after, PAGE + 1)?))
        .await
        .map_err(|e| ctx.fail(e))?;
    let query = q.encoded();
    let next = (events.len() as i64 > PAGE).then(|| {
        events.truncate(PAGE as usize);
        let last = events.last().map(|e| e.seq).unwrap_or_default();
        format!("{query}&after={last}")
    });
    let rows = events
        .into_iter()
        .map(|e| EventRow {
            at: local_time(&e.at),
            details: e.details.to_string(),
            e,
        })
        .collect();
    render(
        ctx,
        &AuditPage {
            s: ctx.shell(),
            q,
            rows,
            query,
            next,
            report,
        },
    )
}

#[utoipa::path(tag = "dashboard", responses(HtmlPage))]
#[get("/audit")]
pub async fn search_audit(ctx: Ctx, q: Query<AuditQuery>) -> PageResult {
    ctx.with_role(&[Role::Supervisor])?;
    page(&ctx, q.into_inner(), None).await
}

/// The current search as CSV or NDJSON, streamed as the API does.
#[utoipa::path(tag = "dashboard", params(("format" = String, Path)), responses(HtmlPage))]
#[get("/audit/export.{format}")]
pub async fn export_audit(ctx: Ctx, format: Path<String>, q: Query<AuditQuery>) -> PageResult {
    ctx.with_role(&[Role::Supervisor])?;
    let csv = match format.as_str() {
        "csv" => true,
        "ndjson" => false,
        other => {
            return Err(ctx.fail(AppError::NotFound(format!(
                "no export format {other:?} (csv, ndjson)"
            ))))
        }
    };
    let filter = q.filter().map_err(|e| ctx.fail(e))?;
    let what = if csv { "export.csv" } else { "export.ndjson" };
    record_read(&ctx, what, &filter).await?;
    let mut res = crate::http::export::audit(&ctx.state, filter, csv);
    res.headers_mut().insert(
        actix_web::http::header::CONTENT_DISPOSITION,
        actix_web::http::header::HeaderValue::from_static(if csv {
            "attachment; filename=\"audit.csv\""
        } else {
            "attachment; filename=\"audit.ndjson\""
        }),
    );
    Ok(res)
}

/// Verifies the whole chain and shows the result above the (unfiltered) trail.
#[utoipa::path(tag = "dashboard", responses(FormAnswer))]
#[post("/audit/verify")]
pub async fn verify_audit(ctx: Ctx, form: Form<CsrfForm>) -> PageResult {
    ctx.check_csrf(&form.csrf_token)?;
    ctx.with_role(&[Role::Supervisor])?;
    record_read(&ctx, "verify", &audit_log::Filter::default()).await?;
    let key = ctx.state.checkpoint_key.clone();
    let report = ctx
        .state
        .run(move |conn| audit_log::verify(conn, &key, &[]))
        .await
        .map_err(|e| ctx.fail(e))?;
    page(&ctx, AuditQuery::default(), Some(report)).await
}
