use std::path::Path;

use super::*;

fn policy() -> WorkflowPolicy {
    WorkflowPolicy::parse(
        Path::new("workflow.toml"),
        include_str!("../../policies/workflow.toml"),
    )
    .unwrap()
}

fn facts() -> Facts {
    Facts {
        department: "FGW".into(),
        co_departments: vec!["TJJ".into(), "DSJ".into()],
        cross_border: false,
        submitter_id: "sub".into(),
        categories: [Category::Personal].into(),
        open_blocking: 0,
    }
}

fn approve(stage: &str, actor: &str, dept: Option<&str>) -> CastDecision {
    CastDecision {
        stage: stage.into(),
        actor_id: actor.into(),
        actor_department: dept.map(Into::into),
        decision: Decision::Approve,
    }
}

fn status(e: &Evaluation, key: &str) -> StageStatus {
    e.stage(key).unwrap().status
}

#[test]
fn routes_by_condition_and_order() {
    let p = policy();
    let e = evaluate(&p, &facts(), &[]);
    assert_eq!(status(&e, "department_review"), StageStatus::Open);
    assert_eq!(status(&e, "secrecy_review"), StageStatus::Waiting);
    assert_eq!(status(&e, "privacy_review"), StageStatus::Waiting);
    assert_eq!(
        status(&e, "cross_border_assessment"),
        StageStatus::NotRequired
    );
    assert_eq!(e.outcome, Outcome::InReview);

    let mut f = facts();
    f.categories.clear();
    f.co_departments.clear();
    let e = evaluate(&p, &f, &[approve("department_review", "a", Some("FGW"))]);
    assert_eq!(status(&e, "privacy_review"), StageStatus::NotRequired);
    assert_eq!(status(&e, "co_unit_signoff"), StageStatus::NotRequired);
    assert_eq!(status(&e, "secrecy_review"), StageStatus::Open);
}

#[test]
fn parallel_group_opens_together_and_countersign_needs_every_department() {
    let p = policy();
    let mut cast = vec![approve("department_review", "a", Some("FGW"))];
    let e = evaluate(&p, &facts(), &cast);
    assert_eq!(status(&e, "secrecy_review"), StageStatus::Open);
    assert_eq!(status(&e, "privacy_review"), StageStatus::Open);
    cast.push(approve("secrecy_review", "s", None));
    let e = evaluate(&p, &facts(), &cast);
    assert_eq!(
        status(&e, "co_unit_signoff"),
        StageStatus::Waiting,
        "privacy still open"
    );
    cast.push(approve("privacy_review", "p", None));
    cast.push(approve("co_unit_signoff", "t", Some("TJJ")));
    let e = evaluate(&p, &facts(), &cast);
    let co = e.stage("co_unit_signoff").unwrap();
    assert_eq!(
        (co.status, co.approvals, co.required_approvals),
        (StageStatus::Open, 1, 2)
    );
    cast.push(approve("co_unit_signoff", "d", Some("DSJ")));
    cast.push(approve("final_signoff", "l", None));
    assert_eq!(evaluate(&p, &facts(), &cast).outcome, Outcome::Approved);
}

#[test]
fn veto_and_countersign_rejects_end_the_release_but_any_rule_objections_do_not() {
    let p = policy();
    let mut cast = vec![approve("department_review", "a", Some("FGW"))];
    cast.push(CastDecision {
        decision: Decision::Reject,
        ..approve("secrecy_review", "s", None)
    });
    assert_eq!(evaluate(&p, &facts(), &cast).outcome, Outcome::Rejected);

    let objection = vec![CastDecision {
        decision: Decision::Reject,
        ..approve("department_review", "b", Some("FGW"))
    }];
    let e = evaluate(&p, &facts(), &objection);
    assert_eq!(
        status(&e, "department_review"),
        StageStatus::Open,
        "non-veto 或签 reject is an objection"
    );

    let cast = vec![
        approve("department_review", "a", Some("FGW")),
        approve("secrecy_review", "s", None),
        approve("privacy_review", "p", None),
        CastDecision {
            decision: Decision::Reject,
            ..approve("co_unit_signoff", "t", Some("TJJ"))
        },
    ];
    assert_eq!(
        evaluate(&p, &facts(), &cast).outcome,
        Outcome::Rejected,
        "会签 reject"
    );
}

#[test]
fn blocking_findings_block_until_cleared() {
    let p = policy();
    let mut f = facts();
    f.open_blocking = 1;
    let e = evaluate(&p, &f, &[]);
    assert_eq!(e.outcome, Outcome::Blocked);
    let req = DecisionRequest {
        stage: "department_review",
        decision: Decision::Approve,
        actor: Actor {
            id: "a",
            roles: &[Role::DeptApprover],
            department: Some("FGW"),
        },
    };
    assert!(matches!(
        check_decision(&p, &f, &e, &[], &[], &[], &req),
        Err(Refusal::NotOpen(_))
    ));
    let reject = DecisionRequest {
        stage: "secrecy_review",
        decision: Decision::Reject,
        actor: Actor {
            id: "s",
            roles: &[Role::SecrecyReviewer],
            department: None,
        },
    };
    assert_eq!(
        check_decision(&p, &f, &e, &[], &[], &[], &reject),
        Ok(()),
        "secrecy may reject a blocked release"
    );
}

#[test]
fn decision_rules() {
    let p = policy();
    let f = facts();
    let e = evaluate(&p, &f, &[]);
    let roles = [Role::DeptApprover, Role::Submitter];
    let mut req = DecisionRequest {
        stage: "department_review",
        decision: Decision::Approve,
        actor: Actor {
            id: "sub",
            roles: &roles,
            department: Some("FGW"),
        },
    };
    assert_eq!(
        check_decision(&p, &f, &e, &[], &[], &[], &req),
        Err(Refusal::OwnRelease)
    );
    req.actor.id = "a";
    req.actor.department = Some("TJJ");
    assert!(matches!(
        check_decision(&p, &f, &e, &[], &[], &[], &req),
        Err(Refusal::NotEntitled(_))
    ));
    req.actor.department = Some("FGW");
    let history = [approve("secrecy_review", "a", None)];
    assert!(matches!(
        check_decision(&p, &f, &e, &history, &[], &[], &req),
        Err(Refusal::SeparationOfDuties { .. })
    ));
    assert_eq!(check_decision(&p, &f, &e, &[], &[], &[], &req), Ok(()));
    let cast = [approve("department_review", "a", Some("FGW"))];
    let e2 = evaluate(&p, &f, &cast);
    req.stage = "secrecy_review";
    req.actor = Actor {
        id: "s",
        roles: &[Role::SecrecyReviewer],
        department: None,
    };
    let pending = vec!["f1".to_string()];
    assert_eq!(
        check_decision(&p, &f, &e2, &cast, &cast, &pending, &req),
        Err(Refusal::Undispositioned(pending.clone()))
    );
    req.stage = "final_signoff";
    req.actor = Actor {
        id: "l",
        roles: &[Role::Leader],
        department: None,
    };
    assert!(matches!(
        check_decision(&p, &f, &e2, &cast, &cast, &[], &req),
        Err(Refusal::NotOpen(_))
    ));
}
