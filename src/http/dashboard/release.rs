//! The release page (findings in context, stages, versions) and its two
//! forms: dispositions (one or many findings at once) and stage decisions.

use super::{FormAnswer, HtmlPage};
use actix_web::web::{Form, Path, Query};
use actix_web::{get, post};
use askama::Template;
use serde::Deserialize;

use super::session::CsrfForm;
use super::Tr;
use super::{local_time, render, see_other, Ctx, Departments, PageResult, Shell};
use crate::error::AppError;
use crate::ids::{FindingId, ReleaseId};
use crate::scan::{Category, Severity};
use crate::service::receipts;
use crate::service::releases::{
    self, CalendarBasis, ClockState, FindingView, Permissions, ReleaseView, StageView, VersionDiff,
};
use crate::workflow::{Action, Decision, Note};

/// Findings per page of the release page (a "more" link pages on).
const FINDINGS_PAGE: i64 = 200;

/// One finding as the page shows it: the excerpt split around the masked
/// value so the value stands out, and what I may do with it.
pub struct FindingRow {
    pub f: FindingView,
    pub location: String,
    pub before: String,
    pub value: String,
    pub after: String,
    pub can_dispose: bool,
    pub can_reveal: bool,
    /// The raw value, on the one response to a reveal of this finding.
    pub revealed: Option<String>,
}

pub struct StageRow<'a> {
    pub stage: &'a StageView,
    pub deadline: String,
    /// Decisions the rules let me take now; empty means no form.
    pub decisions: Vec<&'static str>,
}

/// A stage's deadline as a reviewer reads it: the time, the working days
/// left (or over), whether the calendar is provisional; or why its clock
/// stands still.
fn deadline_text(tr: Tr, stage: &StageView) -> String {
    let left = stage.working_days_left.map(|n| {
        if n < 0 {
            tr.n("queue.overdue", -n)
        } else {
            tr.n("queue.left", n)
        }
    });
    let mut parts: Vec<String> = Vec::new();
    match (stage.clock, stage.deadline.as_ref()) {
        (Some(ClockState::Stopped), _) => {
            let reason = stage.clock_reason.map_or("", |r| tr.code(r.as_str()));
            parts.push(format!("{}: {reason}", tr.t("clock.stopped")));
        }
        (_, Some(deadline)) => parts.push(local_time(deadline)),
        _ => return String::new(),
    }
    parts.extend(left);
    if stage.extended_by > 0 {
        parts.push(tr.n("clock.extended", i64::from(stage.extended_by)));
    }
    if stage.calendar == Some(CalendarBasis::Provisional) {
        parts.push(tr.t("clock.provisional").to_string());
    }
    parts.join(" · ")
}

pub struct DiffRow {
    pub added: bool,
    pub entity: String,
    pub location: String,
    pub masked_value: String,
}

pub struct Diff {
    pub rows: Vec<DiffRow>,
    pub truncated: bool,
}

#[derive(Template)]
#[template(path = "release.html")]
struct ReleasePage<'a> {
    s: Shell,
    r: &'a ReleaseView,
    depts: Departments,
    stages: Vec<StageRow<'a>>,
    findings: Vec<FindingRow>,
    any_disposable: bool,
    diff: Option<Diff>,
    can_upload: bool,
    publish_at: String,
    /// Decisions and publications with a receipt to download.
    receipts: Vec<ReceiptRow>,
    /// `?after=…` of this page, kept by the reveal buttons.
    page_query: String,
    /// Clock, recusal, hold, withdrawal and retraction buttons the rules allow.
    actions: Vec<super::stewardship::OtherAction>,
    next: Option<String>,
}

struct ReceiptRow {
    seq: i64,
    action: String,
    at: String,
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    after: Option<String>,
}

#[utoipa::path(tag = "dashboard", params(("id" = String, Path)), responses(HtmlPage))]
#[get("/releases/{id}")]
pub async fn show_release(ctx: Ctx, id: Path<ReleaseId>, q: Query<PageQuery>) -> PageResult {
    release_page(&ctx, id.into_inner(), q.into_inner(), None).await
}

/// A finding's raw value just revealed to its owner.
struct Revealed {
    finding: String,
    value: String,
}

/// The release page: one page of current findings (keyset on the finding
/// id) and, on the first page, the bounded diff against the previous version.
async fn release_page(
    ctx: &Ctx,
    id: ReleaseId,
    q: PageQuery,
    revealed: Option<Revealed>,
) -> PageResult {
    let user = ctx.signed_in()?.clone();
    let me = user.clone();
    let after = q.after.clone();
    let (view, may, depts, page, diff, receipted) = ctx
        .state
        .call(move |st, conn| {
            let view = releases::view(st, conn, &me, &id)?;
            let may = releases::permissions(st, conn, &me, &id)?;
            let depts = Departments::load(conn)?;
            let page =
                releases::findings_page(conn, &me, &id, after.as_deref(), Some(FINDINGS_PAGE))?;
            let diff = match (view.version, &after) {
                (2.., None) => Some(releases::version_diff(
                    conn,
                    &me,
                    &id,
                    view.version,
                    FINDINGS_PAGE,
                )?),
                _ => None,
            };
            let receipted = receipts::events(conn, &me, &id)?;
            Ok((view, may, depts, page, diff, receipted))
        })
        .await
        .map_err(|e| ctx.fail(e))?;
    let stages = view
        .stages
        .iter()
        .map(|stage| StageRow {
            stage,
            deadline: deadline_text(ctx.tr(), stage),
            decisions: may
                .decisions(&stage.key)
                .into_iter()
                .map(Decision::as_str)
                .collect(),
        })
        .collect();
    let mut findings: Vec<FindingRow> = page
        .items
        .into_iter()
        .map(|f| finding_row(&may, f))
        .collect();
    if let Some(Revealed { finding, value }) = revealed {
        if let Some(row) = findings.iter_mut().find(|row| row.f.id == finding) {
            row.revealed = Some(value);
        }
    }
    let can_upload = may.may(&Action::AddVersion);
    let actions = super::stewardship::offered(&may, &view.stages);
    let encode = |after: &str| serde_urlencoded::to_string([("after", after)]).unwrap_or_default();
    render(
        ctx,
        &ReleasePage {
            s: ctx.shell(),
            r: &view,
            depts,
            stages,
            any_disposable: findings.iter().any(|f| f.can_dispose),
            findings,
            diff: diff.map(diff_rows),
            can_upload,
            actions,
            publish_at: view.publish_at.as_ref().map(local_time).unwrap_or_default(),
            receipts: receipted
                .into_iter()
                .map(|e| ReceiptRow {
                    seq: e.seq,
                    at: local_time(&e.at),
                    action: e.action,
                })
                .collect(),
            page_query: q
                .after
                .as_deref()
                .map(|a| format!("?{}", encode(a)))
                .unwrap_or_default(),
            next: page.next_cursor.as_deref().map(encode),
        },
    )
}

/// One receipt as a file, to keep and check offline with `releasegate
/// audit verify-receipt`.
#[utoipa::path(tag = "dashboard", params(("id" = String, Path), ("seq" = i64, Path)), responses(HtmlPage))]
#[get("/releases/{id}/receipts/{seq}")]
pub async fn download_receipt(ctx: Ctx, path: Path<(ReleaseId, i64)>) -> PageResult {
    let user = ctx.signed_in()?.clone();
    let (id, seq) = path.into_inner();
    let file_name = crate::http::export::receipt_name(&id, seq);
    let bytes = ctx
        .state
        .run(move |conn| receipts::one(conn, &user, &id, seq))
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok(crate::http::export::receipt(&file_name, bytes))
}

/// Shows one finding's raw value (audited by the service) on the release
/// page; the page is `no-store` like every page, so the value is not cached.
#[utoipa::path(tag = "dashboard", params(("id" = String, Path), ("finding" = String, Path)), responses(FormAnswer))]
#[post("/releases/{id}/findings/{finding}/reveal")]
pub async fn reveal_finding(
    ctx: Ctx,
    path: Path<(ReleaseId, FindingId)>,
    q: Query<PageQuery>,
    form: Form<CsrfForm>,
) -> PageResult {
    ctx.check_csrf(&form.csrf_token)?;
    let user = ctx.signed_in()?.clone();
    let (id, finding) = path.into_inner();
    let (release_id, finding_id) = (id.clone(), finding.clone());
    let value = ctx
        .state
        .write(move |st, conn| releases::reveal(st, conn, &user, &release_id, &finding_id))
        .await
        .map_err(|e| ctx.fail(e))?;
    release_page(
        &ctx,
        id,
        q.into_inner(),
        Some(Revealed {
            finding: finding.into(),
            value,
        }),
    )
    .await
}

fn finding_row(may: &Permissions, f: FindingView) -> FindingRow {
    let category = f.category.parse::<Category>().ok();
    let severity = f.severity.parse::<Severity>().ok();
    let can_dispose = match (category, severity) {
        (Some(c), Some(s)) => {
            may.may_dispose(c, s, f.version, f.entity != crate::inspect::SCAN_FAILED)
        }
        _ => false,
    };
    let can_reveal =
        !f.column_summary && category.is_some_and(|category| may.may(&Action::Reveal { category }));
    let (before, value, after) = match f.excerpt.find(&f.masked_value) {
        Some(i) if !f.masked_value.is_empty() => (
            f.excerpt[..i].to_string(),
            f.masked_value.clone(),
            f.excerpt[i + f.masked_value.len()..].to_string(),
        ),
        _ => (f.excerpt.clone(), String::new(), String::new()),
    };
    FindingRow {
        location: location_text(&f.location),
        before,
        value,
        after,
        can_dispose,
        can_reveal,
        revealed: None,
        f,
    }
}

/// `file · sheet!B2`, `file · 3:14`, `file · body ¶2`, `file · $.a.b`,
/// `title`, `file · file_name`.
fn location_text(loc: &serde_json::Value) -> String {
    let s = |k: &str| {
        loc.get(k)
            .map(|v| v.to_string().trim_matches('"').to_string())
    };
    let Some(file) = s("file") else {
        return s("field").unwrap_or_default();
    };
    let place = if let Some(field) = s("field") {
        field
    } else if let Some(cell) = s("cell") {
        // CSV cells have no sheet.
        match s("sheet") {
            Some(sheet) => format!("{sheet}!{cell}"),
            None => cell,
        }
    } else if let (Some(line), Some(col)) = (s("line"), s("column")) {
        format!("{line}:{col}")
    } else if let Some(part) = s("part") {
        let at = s("paragraph")
            .map(|p| format!("¶{p}"))
            .or_else(|| s("table_cell"))
            .or_else(|| s("name"))
            .unwrap_or_default();
        format!("{part} {at}")
    } else {
        s("json_path").unwrap_or_default()
    };
    format!("{file} · {place}")
}

fn diff_rows(diff: VersionDiff) -> Diff {
    let row = |added: bool| {
        move |f: FindingView| DiffRow {
            added,
            entity: f.entity,
            location: location_text(&f.location),
            masked_value: f.masked_value,
        }
    };
    Diff {
        rows: diff
            .added
            .into_iter()
            .map(row(true))
            .chain(diff.removed.into_iter().map(row(false)))
            .collect(),
        truncated: diff.truncated,
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct DecideForm {
    #[serde(default)]
    stage: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    csrf_token: String,
}

#[utoipa::path(tag = "dashboard", params(("id" = String, Path)), responses(FormAnswer))]
#[post("/releases/{id}/decide")]
pub async fn decide_stage(ctx: Ctx, id: Path<ReleaseId>, form: Form<DecideForm>) -> PageResult {
    ctx.check_csrf(&form.csrf_token)?;
    let user = ctx.signed_in()?.clone();
    let form = form.into_inner();
    let decision: Decision = form
        .decision
        .parse()
        .map_err(|e: String| ctx.fail(AppError::BadRequest(e)))?;
    let comment = Note::parse(&form.comment).map_err(|e| ctx.fail(AppError::BadRequest(e)))?;
    let id = id.into_inner();
    let target = format!("/releases/{id}");
    ctx.state
        .write(move |st, conn| {
            releases::decide(st, conn, &user, &id, &form.stage, decision, &comment)
        })
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok(see_other(&target))
}

/// Bulk dispositions: the form repeats `finding` once per checked box, which
/// is why it is read as pairs rather than a struct.
#[utoipa::path(
    tag = "dashboard",
    params(("id" = String, Path)),
    request_body(
        content = Object,
        content_type = "application/x-www-form-urlencoded",
        description = "finding (repeated, one per finding id), disposition, note, csrf_token"
    ),
    responses(FormAnswer)
)]
#[post("/releases/{id}/dispositions")]
pub async fn dispose_findings(
    ctx: Ctx,
    id: Path<ReleaseId>,
    form: Form<Vec<(String, String)>>,
) -> PageResult {
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    ctx.check_csrf(&field("csrf_token"))?;
    let user = ctx.signed_in()?.clone();
    let disposition = field("disposition")
        .parse()
        .map_err(|e: String| ctx.fail(AppError::BadRequest(e)))?;
    let note = Note::parse(&field("note")).map_err(|e| ctx.fail(AppError::BadRequest(e)))?;
    let ids: Vec<FindingId> = form
        .iter()
        .filter(|(k, _)| k == "finding")
        .map(|(_, v)| v.as_str().into())
        .collect();
    if ids.is_empty() {
        return Err(ctx.fail(AppError::BadRequest("select at least one finding".into())));
    }
    let id = id.into_inner();
    let target = format!("/releases/{id}#findings");
    ctx.state
        .write(move |st, conn| {
            releases::dispose_many(st, conn, &user, &id, &ids, disposition, &note)
        })
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok(see_other(&target))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_read_naturally() {
        let text = serde_json::json!({"file": "a.txt", "line": 3, "column": 14});
        assert_eq!(location_text(&text), "a.txt · 3:14");
        let sheet = serde_json::json!({"file": "b.xlsx", "sheet": "表1", "cell": "B2"});
        assert_eq!(location_text(&sheet), "b.xlsx · 表1!B2");
        let csv = serde_json::json!({"file": "c.csv", "cell": "C7"});
        assert_eq!(location_text(&csv), "c.csv · C7");
        let title = serde_json::json!({"field": "title"});
        assert_eq!(location_text(&title), "title");
        let name = serde_json::json!({"file": "d.txt", "field": "file_name"});
        assert_eq!(location_text(&name), "d.txt · file_name");
    }
}
