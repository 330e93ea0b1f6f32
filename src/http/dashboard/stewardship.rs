//! The release page's other actions — stop or resume a stage's clock,
//! recuse oneself, hold or release a hold, withdraw, retract — offered
//! exactly when `allowed` says so, and posted to one form handler that
//! calls the same services as the API.

use actix_web::post;
use actix_web::web::{Form, Path};
use serde::Deserialize;

use super::{see_other, Ctx, FormAnswer, PageResult};
use crate::error::{AppError, ErrorCode};
use crate::ids::ReleaseId;
use crate::service::releases::{self, ClockChange, Permissions, StageView};
use crate::workflow::{Action, ClockReason, Note};

/// One button (with its reason field) on the release page.
pub struct OtherAction {
    /// The form's `action` value, also the i18n key `act.<action>`.
    pub action: &'static str,
    pub stage: Option<String>,
    /// The stop form asks for a reason code.
    pub reason_codes: &'static [ClockReason],
}

const MANUAL_REASONS: [ClockReason; 3] = [
    ClockReason::ThirdParty,
    ClockReason::SecrecyAuthority,
    ClockReason::Consultation,
];

/// The actions `may` allows on this release, stage by stage and then the
/// release's own.
pub fn offered(may: &Permissions, stages: &[StageView]) -> Vec<OtherAction> {
    let mut out = Vec::new();
    for stage in stages {
        let key = stage.key.as_str();
        let per_stage: [(&'static str, Action, &'static [ClockReason]); 3] = [
            (
                "stop_clock",
                Action::StopClock { stage: key },
                &MANUAL_REASONS,
            ),
            ("resume_clock", Action::ResumeClock { stage: key }, &[]),
            ("recuse", Action::Recuse { stage: key }, &[]),
        ];
        for (action, rule, reason_codes) in per_stage {
            if may.may(&rule) {
                out.push(OtherAction {
                    action,
                    stage: Some(stage.key.clone()),
                    reason_codes,
                });
            }
        }
    }
    for (action, rule) in [
        ("hold", Action::Hold),
        ("lift_hold", Action::LiftHold),
        ("withdraw", Action::Withdraw),
        ("retract", Action::Retract),
    ] {
        if may.may(&rule) {
            out.push(OtherAction {
                action,
                stage: None,
                reason_codes: &[],
            });
        }
    }
    out
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ActionForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    stage: String,
    #[serde(default)]
    reason_code: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    csrf_token: String,
}

#[utoipa::path(tag = "dashboard", params(("id" = String, Path)), responses(FormAnswer))]
#[post("/releases/{id}/actions")]
pub async fn act_on_release(ctx: Ctx, id: Path<ReleaseId>, form: Form<ActionForm>) -> PageResult {
    ctx.check_csrf(&form.csrf_token)?;
    let user = ctx.signed_in()?.clone();
    let form = form.into_inner();
    let reason = Note::parse(&form.reason).map_err(|e| ctx.fail(AppError::BadRequest(e)))?;
    let id = id.into_inner();
    let target = format!("/releases/{id}");
    ctx.state
        .write(move |st, conn| {
            let (stage, note) = (form.stage.as_str(), &reason);
            match form.action.as_str() {
                "stop_clock" => {
                    let code: ClockReason =
                        form.reason_code
                            .parse()
                            .map_err(|e: String| AppError::Rule {
                                code: ErrorCode::NoteRequired,
                                message: e,
                            })?;
                    releases::change_clock(
                        st,
                        conn,
                        &user,
                        &id,
                        stage,
                        ClockChange::Stop(code),
                        note,
                    )
                }
                "resume_clock" => {
                    releases::change_clock(st, conn, &user, &id, stage, ClockChange::Resume, note)
                }
                "recuse" => releases::recuse(st, conn, &user, &id, stage, note),
                "hold" => releases::hold(st, conn, &user, &id, note, false),
                "lift_hold" => releases::hold(st, conn, &user, &id, note, true),
                "withdraw" => releases::withdraw(st, conn, &user, &id, note),
                "retract" => releases::retract(st, conn, &user, &id, note),
                other => Err(AppError::BadRequest(format!("unknown action {other:?}"))),
            }
        })
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok(see_other(&target))
}
