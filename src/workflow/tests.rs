use std::path::Path;

use std::collections::{BTreeMap, BTreeSet};

use super::*;
use crate::policy::Role;
use crate::scan::Severity;

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
        version_authors: ["sub".to_string()].into(),
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

fn release(state: State, facts: Facts, history: &[CastDecision]) -> ReleaseFacts {
    ReleaseFacts {
        state,
        version: 1,
        facts,
        history: history.to_vec(),
        in_force: history.to_vec(),
        pending: BTreeMap::new(),
        unredactable: BTreeMap::new(),
        clocks: BTreeMap::new(),
        recused: BTreeSet::new(),
        held: false,
        publish_at: None,
    }
}

fn actor<'a>(id: &'a str, roles: &'a [Role], department: Option<&'a str>) -> Actor<'a> {
    Actor {
        id,
        roles,
        department,
    }
}

fn decide(stage: &str, decision: Decision) -> Action<'_> {
    Action::Decide { stage, decision }
}

#[test]
fn blocking_findings_block_until_cleared() {
    let p = policy();
    let mut f = facts();
    f.open_blocking = 1;
    let r = release(State::Blocked, f, &[]);
    assert_eq!(r.evaluation(&p).outcome, Outcome::Blocked);
    let approver = actor("a", &[Role::DeptApprover], Some("FGW"));
    assert!(matches!(
        allowed(
            &p,
            &r,
            &approver,
            &decide("department_review", Decision::Approve)
        ),
        Err(Refusal::NotOpen(_))
    ));
    assert!(
        matches!(
            allowed(
                &p,
                &r,
                &approver,
                &decide("department_review", Decision::RequestChanges)
            ),
            Err(Refusal::NotOpen(_))
        ),
        "while blocked only the secrecy review acts"
    );
    let secrecy = actor("s", &[Role::SecrecyReviewer], None);
    assert_eq!(
        allowed(
            &p,
            &r,
            &secrecy,
            &decide("secrecy_review", Decision::Reject)
        ),
        Ok(()),
        "secrecy may reject a blocked release"
    );
}

#[test]
fn decision_rules() {
    let p = policy();
    let roles = [Role::DeptApprover, Role::Submitter];
    let approve_dept = decide("department_review", Decision::Approve);
    let r = release(State::InReview, facts(), &[]);
    assert_eq!(
        allowed(&p, &r, &actor("sub", &roles, Some("FGW")), &approve_dept),
        Err(Refusal::OwnRelease)
    );
    assert!(matches!(
        allowed(&p, &r, &actor("a", &roles, Some("TJJ")), &approve_dept),
        Err(Refusal::NotEntitled(_))
    ));
    let a = actor("a", &roles, Some("FGW"));
    let earlier = release(
        State::InReview,
        facts(),
        &[approve("secrecy_review", "a", None)],
    );
    assert!(matches!(
        allowed(&p, &earlier, &a, &approve_dept),
        Err(Refusal::SeparationOfDuties { .. })
    ));
    assert_eq!(allowed(&p, &r, &a, &approve_dept), Ok(()));

    let mut r2 = release(
        State::InReview,
        facts(),
        &[approve("department_review", "a", Some("FGW"))],
    );
    r2.pending
        .insert("secrecy_review".into(), vec!["f1".into()]);
    let secrecy = actor("s", &[Role::SecrecyReviewer], None);
    assert_eq!(
        allowed(
            &p,
            &r2,
            &secrecy,
            &decide("secrecy_review", Decision::Approve)
        ),
        Err(Refusal::Undispositioned(vec!["f1".into()]))
    );
    assert_eq!(
        allowed(
            &p,
            &r2,
            &secrecy,
            &decide("secrecy_review", Decision::Reject)
        ),
        Ok(()),
        "pending findings do not stop a reject"
    );
    assert!(matches!(
        allowed(
            &p,
            &r2,
            &actor("l", &[Role::Leader], None),
            &decide("final_signoff", Decision::Approve)
        ),
        Err(Refusal::NotOpen(_))
    ));
    // Once dispositioned, a `redact` the rendition cannot honour still stops
    // the approval (only a new version can), and never a reject.
    r2.pending.clear();
    r2.unredactable
        .insert("secrecy_review".into(), vec!["image".into()]);
    assert_eq!(
        allowed(
            &p,
            &r2,
            &secrecy,
            &decide("secrecy_review", Decision::Approve)
        ),
        Err(Refusal::CannotRedact(vec!["image".into()]))
    );
    assert_eq!(
        allowed(
            &p,
            &r2,
            &secrecy,
            &decide("secrecy_review", Decision::Reject)
        ),
        Ok(())
    );
}

#[test]
fn the_last_approval_publishes_unless_embargoed() {
    let p = policy();
    let mut f = facts();
    f.co_departments.clear();
    f.categories.clear();
    let cast = [
        approve("department_review", "a", Some("FGW")),
        approve("secrecy_review", "s", None),
    ];
    let r = release(State::InReview, f, &cast);
    let now = chrono::DateTime::from_timestamp(1_800_000_000, 0)
        .unwrap()
        .naive_utc();
    let last = approve("final_signoff", "l", None);
    assert_eq!(r.state_with(&p, last.clone(), None, now), State::Published);
    let later = now + chrono::Duration::days(1);
    assert_eq!(r.state_with(&p, last, Some(later), now), State::Approved);
    let early = approve("department_review", "b", Some("FGW"));
    assert_eq!(
        r.state_with(&p, early, None, now),
        State::InReview,
        "final sign-off still open"
    );
}

#[test]
fn the_author_of_a_later_version_may_not_review_it() {
    let p = policy();
    let mut f = facts();
    f.version_authors.insert("v2".into());
    let r = release(State::InReview, f, &[]);
    let v2 = actor("v2", &[Role::Submitter, Role::DeptApprover], Some("FGW"));
    assert_eq!(
        allowed(&p, &r, &v2, &decide("department_review", Decision::Approve)),
        Err(Refusal::OwnRelease)
    );
    let both = actor("v2", &[Role::PrivacyOfficer], None);
    let dispose = Action::Dispose {
        category: Category::Personal,
        severity: Severity::High,
        version: 1,
        disposition: Disposition::Redact,
        inspected: true,
    };
    assert_eq!(allowed(&p, &r, &both, &dispose), Err(Refusal::OwnRelease));
}

/// Every state × action × actor relation, against the rules stated plainly.
#[test]
fn allowed_over_every_state_action_and_actor() {
    let p = policy();
    let mut f = facts();
    f.version_authors.insert("v2".into());
    let submitter = [Role::Submitter];
    let approver = [Role::DeptApprover];
    let both = [Role::Submitter, Role::DeptApprover];
    let secrecy = [Role::SecrecyReviewer];
    let privacy = [Role::PrivacyOfficer];
    let leader = [Role::Leader];
    let supervisor = [Role::Supervisor];
    let admin = [Role::Admin];
    let actors = [
        ("lead submitter", actor("sub", &submitter, Some("FGW"))),
        ("author of v2", actor("v2", &both, Some("FGW"))),
        ("other submitter", actor("sub2", &submitter, Some("FGW"))),
        ("foreign submitter", actor("sub3", &submitter, Some("TJJ"))),
        ("lead approver", actor("a", &approver, Some("FGW"))),
        ("co approver", actor("t", &approver, Some("TJJ"))),
        ("foreign approver", actor("x", &approver, Some("GAJ"))),
        ("secrecy reviewer", actor("s", &secrecy, None)),
        ("privacy officer", actor("p", &privacy, None)),
        ("leader", actor("l", &leader, None)),
        ("supervisor", actor("sv", &supervisor, None)),
        ("admin", actor("ad", &admin, None)),
        ("decided elsewhere", actor("d", &secrecy, None)),
        ("recused approver", actor("rc", &approver, Some("FGW"))),
        ("recused secrecy reviewer", actor("rs", &secrecy, None)),
    ];
    // The release's embargo ends at `embargo`; the timer asks before and after.
    let embargo = chrono::NaiveDate::from_ymd_opt(2026, 7, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let mut actions = vec![
        Action::AddVersion,
        Action::Withdraw,
        Action::Retract,
        Action::Hold,
        Action::LiftHold,
        Action::PublishDue {
            now: embargo - chrono::Duration::seconds(1),
        },
        Action::PublishDue { now: embargo },
    ];
    for stage in &p.stages {
        for decision in Decision::ALL {
            actions.push(decide(&stage.key, decision));
        }
        actions.push(Action::StopClock { stage: &stage.key });
        actions.push(Action::ResumeClock { stage: &stage.key });
        actions.push(Action::Recuse { stage: &stage.key });
        for working_days in [0, 1, 5] {
            actions.push(Action::Extend {
                stage: &stage.key,
                working_days,
            });
        }
    }
    for category in [Category::Secrecy, Category::Personal, Category::Credential] {
        for severity in [Severity::Block, Severity::High] {
            for disposition in Disposition::ALL {
                for version in [1, 0] {
                    for inspected in [true, false] {
                        actions.push(Action::Dispose {
                            category,
                            severity,
                            version,
                            disposition,
                            inspected,
                        });
                    }
                }
            }
        }
        actions.push(Action::Reveal { category });
    }
    let history = [approve("department_review", "d", Some("FGW"))];
    let mut granted = 0;
    // The department review's clock runs, extended by 6 of the 10 days the
    // policy allows; the secrecy review's clock was stopped by hand.
    let clocks: BTreeMap<String, ClockFacts> = [
        (
            "department_review".to_string(),
            ClockFacts {
                stopped: None,
                extended_days: 6,
            },
        ),
        (
            "secrecy_review".to_string(),
            ClockFacts {
                stopped: Some(ClockReason::ThirdParty),
                extended_days: 0,
            },
        ),
    ]
    .into();
    let recused: BTreeSet<String> = ["rc".to_string(), "rs".to_string()].into();
    for (state, held) in State::ALL.into_iter().flat_map(|s| [(s, false), (s, true)]) {
        for blocked in [false, true] {
            let mut facts = f.clone();
            facts.open_blocking = usize::from(blocked);
            let r = ReleaseFacts {
                history: history.to_vec(),
                in_force: Vec::new(),
                clocks: clocks.clone(),
                recused: recused.clone(),
                held,
                publish_at: Some(embargo),
                ..release(state, facts, &[])
            };
            let open = |stage: &str| {
                state.under_review()
                    && r.evaluation(&p).stage(stage).map(|s| s.status) == Some(StageStatus::Open)
            };
            for (who, a) in &actors {
                for action in &actions {
                    let verdict = allowed(&p, &r, a, action);
                    let ok = verdict.is_ok();
                    granted += usize::from(ok);
                    let case = format!(
                        "{who} {action:?} on {state} (blocked: {blocked}, held: {held}): {verdict:?}"
                    );
                    let retractor = a.roles.contains(&Role::SecrecyReviewer)
                        || a.roles.contains(&Role::Leader)
                        || a.roles.contains(&Role::Admin);
                    if ok
                        && !matches!(
                            action,
                            Action::AddVersion
                                | Action::Withdraw
                                | Action::Retract
                                | Action::Hold
                                | Action::LiftHold
                                | Action::PublishDue { .. }
                        )
                    {
                        assert!(
                            !recused.contains(a.id),
                            "{case}: a recused reviewer does nothing to the release"
                        );
                    }
                    let lead_submitter =
                        a.roles.contains(&Role::Submitter) && a.department == Some("FGW");
                    match action {
                        Action::AddVersion => {
                            assert_eq!(
                                ok,
                                lead_submitter && !state.is_final() && state != State::Scanning,
                                "{case}"
                            )
                        }
                        Action::Withdraw => assert_eq!(
                            ok,
                            lead_submitter && WITHDRAWAL.from.contains(&state),
                            "{case}"
                        ),
                        Action::Retract => {
                            assert_eq!(ok, state == State::Published && retractor, "{case}")
                        }
                        Action::Hold => {
                            assert_eq!(ok, state == State::Approved && !held && retractor, "{case}")
                        }
                        Action::LiftHold => {
                            assert_eq!(ok, state == State::Approved && held && retractor, "{case}")
                        }
                        // Whoever asks: only the timer does.
                        Action::PublishDue { now } => assert_eq!(
                            ok,
                            state == State::Approved && !held && *now >= embargo,
                            "{case}"
                        ),
                        Action::StopClock { stage } => {
                            let def = p.stage(stage).unwrap();
                            assert_eq!(
                                ok,
                                open(stage)
                                    && *stage == "department_review"
                                    && a.roles.contains(&def.role)
                                    && a.department == Some("FGW")
                                    && !["v2", "rc"].contains(&a.id),
                                "{case}"
                            );
                        }
                        Action::ResumeClock { stage } => {
                            // Only the secrecy review's clock is stopped by hand,
                            // and it is never open here (it waits for stage 1).
                            assert!(!ok || (*stage == "secrecy_review" && open(stage)), "{case}");
                        }
                        Action::Extend {
                            stage,
                            working_days,
                        } => assert_eq!(
                            ok,
                            a.roles.contains(&Role::Leader)
                                && open(stage)
                                && r.clocks.contains_key(*stage)
                                && (1..=4).contains(working_days),
                            "{case}"
                        ),
                        Action::Recuse { stage } => {
                            if ok {
                                let def = p.stage(stage).unwrap();
                                assert!(!state.is_final(), "{case}");
                                assert!(a.roles.contains(&def.role), "{case}");
                            }
                        }
                        Action::Decide { stage, decision } => {
                            if ok {
                                assert!(state.under_review(), "{case}");
                                assert!(!["sub", "v2", "d"].contains(&a.id), "{case}: authors and people who decided another stage never decide");
                                assert!(
                                    !blocked
                                        || (*stage == "secrecy_review"
                                            && *decision != Decision::Approve),
                                    "{case}"
                                );
                                let def = p.stage(stage).unwrap();
                                assert!(a.roles.contains(&def.role), "{case}");
                            }
                        }
                        Action::Dispose {
                            category,
                            severity,
                            version,
                            disposition,
                            inspected,
                        } => {
                            if ok {
                                assert!(*inspected, "{case}: an unread file takes no disposition");
                                assert!(state.under_review() && *version == 1, "{case}");
                                assert!(!["sub", "v2"].contains(&a.id), "{case}");
                                assert!(
                                    *severity != Severity::Block
                                        || *disposition == Disposition::FalsePositive,
                                    "{case}"
                                );
                                let owner = p.owner_of(*category).unwrap();
                                assert!(a.roles.contains(&owner.role), "{case}");
                            }
                        }
                        Action::Reveal { category } => {
                            let owner = p.owner_of(*category).unwrap();
                            assert_eq!(
                                ok,
                                a.roles.contains(&owner.role)
                                    && !["sub", "v2"].contains(&a.id)
                                    && !recused.contains(a.id),
                                "{case}"
                            );
                        }
                    }
                }
            }
        }
    }
    // Somebody may do something in review: the test would pass vacuously otherwise.
    let r = release(State::InReview, f.clone(), &[]);
    let lead = actor("a", &approver, Some("FGW"));
    assert_eq!(
        allowed(
            &p,
            &r,
            &lead,
            &decide("department_review", Decision::Approve)
        ),
        Ok(())
    );
    assert!(granted > 100, "only {granted} permits");
}
