//! The release page (findings in context, stages, versions) and its two
//! forms: dispositions (one or many findings at once) and stage decisions.

use std::collections::BTreeSet;

use actix_web::web::{Form, Path, Query};
use askama::Template;
use serde::Deserialize;

use super::session::CsrfForm;
use super::{local_time, render, see_other, Ctx, PageResult, Shell};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::policy::{Role, WorkflowPolicy};
use crate::scan::Category;
use crate::service::releases::{self, FindingView, ReleaseView, StageView, VersionDiff};
use crate::workflow::{self, Actor, Decision, Facts};

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
    stages: Vec<StageRow<'a>>,
    findings: Vec<FindingRow>,
    any_disposable: bool,
    diff: Option<Diff>,
    can_upload: bool,
    publish_at: String,
    /// `?after=…` of this page, kept by the reveal buttons.
    page_query: String,
    next: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    after: Option<String>,
}

pub async fn show(ctx: Ctx, id: Path<String>, q: Query<PageQuery>) -> PageResult {
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
    id: String,
    q: PageQuery,
    revealed: Option<Revealed>,
) -> PageResult {
    let user = ctx.signed_in()?.clone();
    let st = ctx.state.clone();
    let me = user.clone();
    let after = q.after.clone();
    let (view, page, diff) = ctx
        .state
        .run(move |conn| {
            let view = releases::view(&st, conn, &me, &id)?;
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
            Ok((view, page, diff))
        })
        .await
        .map_err(|e| ctx.fail(e))?;
    let policy = &ctx.state.policies.workflow;
    let stages = view
        .stages
        .iter()
        .map(|stage| StageRow {
            stage,
            deadline: stage.deadline.as_ref().map(local_time).unwrap_or_default(),
            decisions: decisions_for(policy, &view, &user, stage),
        })
        .collect();
    let mut findings: Vec<FindingRow> = page
        .items
        .into_iter()
        .map(|f| finding_row(policy, &view, &user, f))
        .collect();
    if let Some(Revealed { finding, value }) = revealed {
        if let Some(row) = findings.iter_mut().find(|row| row.f.id == finding) {
            row.revealed = Some(value);
        }
    }
    let can_upload = user.has(Role::Submitter)
        && user.department.as_deref() == Some(view.department.as_str())
        && matches!(
            view.state.as_str(),
            "blocked" | "in_review" | "changes_requested"
        );
    let encode = |after: &str| serde_urlencoded::to_string([("after", after)]).unwrap_or_default();
    render(
        ctx,
        &ReleasePage {
            s: ctx.shell(),
            r: &view,
            stages,
            any_disposable: findings.iter().any(|f| f.can_dispose),
            findings,
            diff: diff.map(diff_rows),
            can_upload,
            publish_at: view.publish_at.as_ref().map(local_time).unwrap_or_default(),
            page_query: q
                .after
                .as_deref()
                .map(|a| format!("?{}", encode(a)))
                .unwrap_or_default(),
            next: page.next_cursor.as_deref().map(encode),
        },
    )
}

/// Shows one finding's raw value (audited by the service) on the release
/// page; the page is `no-store` like every page, so the value is not cached.
pub async fn reveal(
    ctx: Ctx,
    path: Path<(String, String)>,
    q: Query<PageQuery>,
    form: Form<CsrfForm>,
) -> PageResult {
    ctx.check_csrf(&form.csrf_token)?;
    let user = ctx.signed_in()?.clone();
    let (id, finding) = path.into_inner();
    let st = ctx.state.clone();
    let (release_id, finding_id) = (id.clone(), finding.clone());
    let value = ctx
        .state
        .run(move |conn| releases::reveal(&st, conn, &user, &release_id, &finding_id))
        .await
        .map_err(|e| ctx.fail(e))?;
    release_page(&ctx, id, q.into_inner(), Some(Revealed { finding, value })).await
}

/// The decisions the workflow rules allow `user` on `stage` right now. The
/// service checks again on POST; this only decides which buttons to show.
fn decisions_for(
    policy: &WorkflowPolicy,
    view: &ReleaseView,
    user: &CurrentUser,
    stage: &StageView,
) -> Vec<&'static str> {
    let Some(def) = policy.stage(&stage.key) else {
        return Vec::new();
    };
    // Only role and department scope matter to `entitled`.
    let facts = Facts {
        department: view.department.clone(),
        co_departments: view.co_departments.clone(),
        cross_border: view.cross_border,
        submitter_id: String::new(),
        categories: BTreeSet::new(),
        open_blocking: 0,
    };
    let actor = Actor {
        id: &user.id,
        roles: &user.roles,
        department: user.department.as_deref(),
    };
    if view.submitter == user.username || workflow::entitled(def, &facts, &actor).is_err() {
        return Vec::new();
    }
    // Separation of duties, and one decision per person per version.
    let decided = view.stages.iter().any(|s| {
        s.decisions
            .iter()
            .any(|d| d.actor == user.username && (s.key != stage.key || !d.dismissed))
    });
    if decided {
        return Vec::new();
    }
    let all = [
        Decision::Approve,
        Decision::Reject,
        Decision::RequestChanges,
    ];
    match (view.state.as_str(), stage.status.as_str()) {
        ("blocked", _) if def.owns.contains(&Category::Secrecy) => {
            all[1..].iter().map(|d| d.as_str()).collect()
        }
        ("in_review", "open") => all.iter().map(|d| d.as_str()).collect(),
        _ => Vec::new(),
    }
}

fn finding_row(
    policy: &WorkflowPolicy,
    view: &ReleaseView,
    user: &CurrentUser,
    f: FindingView,
) -> FindingRow {
    // The owner role of the category, and not the submitter (as the services rule).
    let owner = f
        .category
        .parse::<Category>()
        .ok()
        .and_then(|c| policy.owner_of(c))
        .filter(|owner| user.has(owner.role) && view.submitter != user.username);
    let can_dispose = owner.is_some_and(|owner| {
        matches!(view.state.as_str(), "blocked" | "in_review")
            && view
                .stages
                .iter()
                .any(|s| s.key == owner.key && s.status != "approved")
    });
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
        can_reveal: owner.is_some() && !f.column_summary,
        revealed: None,
        f,
    }
}

/// `file · sheet!B2`, `file · 3:14`, `file · body ¶2`, `file · $.a.b`.
fn location_text(loc: &serde_json::Value) -> String {
    let s = |k: &str| {
        loc.get(k)
            .map(|v| v.to_string().trim_matches('"').to_string())
    };
    let file = s("file").unwrap_or_default();
    let place = if let (Some(sheet), Some(cell)) = (s("sheet"), s("cell")) {
        format!("{sheet}!{cell}")
    } else if let (Some(line), Some(col)) = (s("line"), s("column")) {
        format!("{line}:{col}")
    } else if let Some(part) = s("part") {
        let at = s("paragraph")
            .map(|p| format!("¶{p}"))
            .or_else(|| s("table_cell"))
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

#[derive(Deserialize)]
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

pub async fn decide(ctx: Ctx, id: Path<String>, form: Form<DecideForm>) -> PageResult {
    ctx.check_csrf(&form.csrf_token)?;
    let user = ctx.signed_in()?.clone();
    let form = form.into_inner();
    let decision: Decision = form
        .decision
        .parse()
        .map_err(|e: String| ctx.fail(AppError::BadRequest(e)))?;
    let id = id.into_inner();
    let target = format!("/releases/{id}");
    let st = ctx.state.clone();
    ctx.state
        .run(move |conn| {
            releases::decide(&st, conn, &user, &id, &form.stage, decision, &form.comment)
        })
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok(see_other(&target))
}

/// Bulk dispositions: the form repeats `finding` once per checked box, which
/// is why it is read as pairs rather than a struct.
pub async fn dispositions(
    ctx: Ctx,
    id: Path<String>,
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
    let note = field("note");
    let ids: Vec<String> = form
        .iter()
        .filter(|(k, _)| k == "finding")
        .map(|(_, v)| v.clone())
        .collect();
    if ids.is_empty() {
        return Err(ctx.fail(AppError::BadRequest("select at least one finding".into())));
    }
    let id = id.into_inner();
    let target = format!("/releases/{id}#findings");
    let st = ctx.state.clone();
    // One transaction around the batch (each disposition nests as a
    // savepoint, with its own audit event): a refusal of any one of them
    // leaves all of them undone, and is shown.
    ctx.state
        .run(move |conn| {
            crate::db::write_tx(conn, |conn| {
                ids.iter().try_for_each(|finding| {
                    releases::dispose(&st, conn, &user, &id, finding, disposition, &note).map(drop)
                })
            })
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
    }
}
