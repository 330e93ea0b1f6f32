//! The job queue: uploads answer in `scanning` and the inspection job moves
//! them on; a failing job is retried with back-off, then parked and its
//! release blocked, and an administrator sees it and queues it again;
//! concurrent workers never claim the same job.

use std::collections::BTreeSet;
use std::sync::{Arc, Barrier};

use actix_web::web;
use chrono::Duration;
use diesel::prelude::*;
use releasegate::db::schema::jobs as jobs_table;
use releasegate::jobs::{self, JobState, Task};
use serde_json::json;

use crate::common::*;
use crate::dashboard::{csrf_of, page, post_form};
use releasegate::policy::Role;

/// A text file with a name, an ID number and a mobile number.
fn contact_sheet() -> Vec<u8> {
    format!("联系人：张建国，身份证号{ID_NUMBER}，手机{MOBILE}\n").into_bytes()
}

/// Files `contact_sheet()` as `a.txt`; the release as the filing answers.
async fn file_contact_sheet(app: &TestApp, cast: &Cast) -> serde_json::Value {
    let res = app
        .post_multipart(
            "/api/v1/releases",
            &cast.submitter,
            Some(meta(&[])),
            &[("a.txt", &contact_sheet())],
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    res.json()
}

#[actix_web::test]
async fn a_filing_answers_scanning_at_once_and_its_inspection_moves_it_on() {
    let (app, cast) = TestApp::builder().manual_jobs().with_cast().await;
    let text = contact_sheet();
    let filed = file_contact_sheet(&app, &cast).await;
    assert_eq!(filed["state"], "scanning");
    assert_eq!(
        filed["scan"],
        json!({"files_done": 0, "files_total": 1, "bytes_done": 0, "bytes_total": text.len()})
    );
    assert_eq!(filed["findings"]["total"], 0);
    let id = filed["id"].as_str().unwrap().to_string();

    // Nothing can be decided or revised before the files are read.
    let res = app
        .post_json(
            &format!("/api/v1/releases/{id}/decisions"),
            Some(&cast.approver),
            json!({"stage": "department_review", "decision": "approve"}),
        )
        .await;
    res.assert_error(409, "not_open");
    let res = app
        .post_multipart(
            &format!("/api/v1/releases/{id}/versions"),
            &cast.submitter,
            None,
            &[("a.txt", b"v2\n")],
        )
        .await;
    res.assert_error(409, "not_allowed_in_state");
    let queue = app.get("/api/v1/queue", Some(&cast.approver)).await;
    assert_eq!(queue.status, 200, "{}", queue.text());
    let queue = queue.json();
    assert!(
        !queue.to_string().contains(&id),
        "not in a reviewer's queue yet: {queue}"
    );

    assert_eq!(app.run_jobs().await, 1);
    let release = app
        .get(&format!("/api/v1/releases/{id}"), Some(&cast.submitter))
        .await
        .json();
    assert_eq!(release["state"], "in_review", "{release}");
    assert!(release.get("scan").is_none(), "{release}");
    assert!(release["findings"]["total"].as_i64().unwrap() >= 2);
    let queue = app.get("/api/v1/queue", Some(&cast.approver)).await;
    assert_eq!(queue.status, 200, "{}", queue.text());
    let queue = queue.json();
    assert!(queue.to_string().contains(&id), "{queue}");
    let audit = app
        .get(
            &format!("/api/v1/audit?release={id}"),
            Some(&cast.supervisor),
        )
        .await
        .json();
    let events: Vec<_> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].clone(), e["actor"].clone()))
        .collect();
    assert_eq!(
        events,
        vec![
            (json!("release.submitted"), json!("submitter")),
            (json!("release.scanned"), json!("system")),
        ]
    );
    assert_eq!(app.run_jobs().await, 0, "the job ran once");
}

/// A worker that stalls past its lease and is taken over writes nothing
/// more, though it goes on running: every partial write of the inspection
/// confirms the lease in its own transaction. The worker that took over
/// records the findings alone, and the counts it tallies are the findings'.
#[actix_web::test]
async fn a_worker_taken_over_after_its_lease_writes_nothing_more() {
    let (app, cast) = TestApp::builder().manual_jobs().with_cast().await;
    let filed = file_contact_sheet(&app, &cast).await;
    let id = filed["id"].as_str().unwrap().to_string();
    let (stalled, took_over) = app
        .db(|c| {
            let lease = Duration::seconds(60);
            let now = releasegate::audit::now();
            let stalled = jobs::claim(c, "stalled", lease, now).unwrap();
            // The stalled worker stops renewing; its lease runs out.
            diesel::update(jobs_table::table)
                .set(jobs_table::locked_until.eq(now - Duration::seconds(1)))
                .execute(c)
                .unwrap();
            let took_over = jobs::claim(c, "took-over", lease, now).unwrap();
            (stalled.unwrap(), took_over.unwrap())
        })
        .await;
    assert_eq!(
        stalled.id, took_over.id,
        "the expired lease was claimed again"
    );
    let findings_of = |id: String| {
        move |c: &mut releasegate::db::DbConn| -> i64 {
            use releasegate::db::schema::findings;
            findings::table
                .filter(findings::release_id.eq(id))
                .count()
                .get_result(c)
                .unwrap()
        }
    };

    let state = app.state.clone();
    web::block(move || jobs::run_claimed(&state, stalled, "stalled"))
        .await
        .unwrap()
        .expect("a lost job is not an error");
    assert_eq!(app.db(findings_of(id.clone())).await, 0);
    let job = the_job(&app).await;
    assert_eq!(
        (job.state, job.locked_by.as_deref()),
        (JobState::Running, Some("took-over"))
    );

    let state = app.state.clone();
    web::block(move || jobs::run_claimed(&state, took_over, "took-over"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(the_job(&app).await.state, JobState::Done);
    let release = app
        .get(&format!("/api/v1/releases/{id}"), Some(&cast.submitter))
        .await
        .json();
    assert_eq!(release["state"], "in_review", "{release}");
    let stored = app.db(findings_of(id.clone())).await;
    assert!(stored >= 2, "{stored} findings");
    assert_eq!(release["findings"]["total"], stored, "{release}");
}

/// The job of the one filed release, as the queue holds it.
async fn the_job(app: &TestApp) -> releasegate::jobs::Job {
    app.db(|c| {
        jobs_table::table
            .select(releasegate::jobs::Job::as_select())
            .first(c)
            .unwrap()
    })
    .await
}

#[actix_web::test]
async fn a_failing_job_is_retried_with_backoff_then_parked_and_blocks_its_release() {
    let (app, cast) = TestApp::builder().manual_jobs().with_cast().await;
    let res = app
        .post_multipart(
            "/api/v1/releases",
            &cast.submitter,
            Some(meta(&[])),
            &[("a.txt", &sample_text())],
        )
        .await;
    let filed = res.json();
    let id = filed["id"].as_str().unwrap().to_string();
    // The stored file disappears: every attempt fails on reading it.
    let sha = filed["versions"][0]["files"][0]["sha256"].as_str().unwrap();
    std::fs::remove_file(app.db.dir().join("data").join(&sha[..2]).join(&sha[2..])).unwrap();
    let mut job = the_job(&app).await;
    for attempt in 1..job.max_attempts {
        assert_eq!(app.run_jobs().await, 1);
        job = the_job(&app).await;
        assert_eq!(job.state, JobState::Queued, "attempt {attempt}");
        assert_eq!(job.attempts, attempt);
        assert!(job
            .last_error
            .as_deref()
            .unwrap()
            .contains("cannot read a.txt"));
        let wait = job.run_at - job.updated_at;
        assert_eq!(wait, jobs::backoff(attempt), "attempt {attempt}");
        assert_eq!(app.run_jobs().await, 0, "not due before its back-off");
        let id = job.id.clone();
        app.db(move |c| {
            diesel::update(jobs_table::table.find(id))
                .set(jobs_table::run_at.eq(releasegate::audit::now() - Duration::seconds(1)))
                .execute(c)
                .unwrap()
        })
        .await;
    }
    assert_eq!(app.run_jobs().await, 1);
    let job = the_job(&app).await;
    assert_eq!(job.state, JobState::Failed);
    let release = app
        .get(&format!("/api/v1/releases/{id}"), Some(&cast.submitter))
        .await
        .json();
    assert_eq!(release["state"], "blocked", "{release}");
    let found = findings(&app, &id, &cast.secrecy).await;
    let failed = finding_of(&found, "SCAN_FAILED");
    assert!(
        failed["excerpt"]
            .as_str()
            .unwrap()
            .contains("inspection failed"),
        "{failed}"
    );

    // The administrator sees it parked, with its error, in the API and on
    // the page; nobody else does.
    let admin = app.user("admin", &[Role::Admin], None).await;
    let listed = app.get("/api/v1/jobs?state=failed", Some(&admin)).await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    let listed = listed.json();
    assert_eq!(listed["items"][0]["id"], job.id.as_str(), "{listed}");
    assert!(listed["items"][0]["last_error"]
        .as_str()
        .unwrap()
        .contains("cannot read a.txt"));
    let done = app
        .get("/api/v1/jobs?state=done", Some(&admin))
        .await
        .json();
    assert_eq!(done["items"], json!([]), "the state filter holds");
    assert_eq!(
        app.get("/api/v1/jobs", Some(&cast.submitter)).await.status,
        403
    );
    assert_eq!(
        page(&app, "/jobs", Some(&cast.supervisor)).await.status,
        403
    );
    let jobs_page = page(&app, "/jobs?state=failed", Some(&admin)).await;
    assert_eq!(jobs_page.status, 200);
    let retry = format!("/jobs/{}/retry", job.id);
    assert!(jobs_page.text().contains(&format!("action=\"{retry}\"")));

    // It is queued again from the page, once; the retry is audited. It
    // runs, and finds the release no longer waiting for it.
    let res = post_form(
        &app,
        &retry,
        &admin,
        &[("csrf_token", &csrf_of(&jobs_page))],
    )
    .await;
    assert_eq!(res.status, 303, "{}", res.text());
    assert_eq!(the_job(&app).await.state, JobState::Queued);
    let again = app
        .post_json(&format!("/api/v1{retry}"), Some(&admin), json!({}))
        .await;
    assert_eq!(
        again.status,
        409,
        "only a failed job is retried: {}",
        again.text()
    );
    let out = run_cli(&app.db, &["jobs", "retry", &job.id], None);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("is queued"));
    let audited = app
        .get("/api/v1/audit?action=job.retried", Some(&cast.supervisor))
        .await
        .json();
    assert_eq!(audited["items"].as_array().unwrap().len(), 1, "{audited}");
    assert_eq!(audited["items"][0]["actor"], "admin", "{audited}");
    assert_eq!(app.run_jobs().await, 1);
    assert_eq!(the_job(&app).await.state, JobState::Done);
}

/// Many workers claim from one queue at once, many times over: every job
/// is claimed exactly once. On PostgreSQL the claims pass each other with
/// SKIP LOCKED; on SQLite they take turns at the writer lock.
#[actix_web::test]
async fn concurrent_workers_never_claim_the_same_job() {
    const WORKERS: usize = 6;
    let app = TestApp::builder()
        .manual_jobs()
        .settings(|s| s.pool_size = WORKERS as u32 + 1)
        .build()
        .await;
    const JOBS: usize = 60;
    for round in 0..5 {
        app.db(|c| {
            let now = releasegate::audit::now();
            for n in 0..JOBS {
                let task = Task::Inspect {
                    release_id: format!("r{n}").into(),
                    version: 1,
                };
                jobs::enqueue(c, &task, now).unwrap();
            }
        })
        .await;
        let start = Arc::new(Barrier::new(WORKERS));
        let claims: Vec<_> = (0..WORKERS)
            .map(|w| {
                let (pool, start) = (app.state.pool.clone(), start.clone());
                web::block(move || {
                    let mut conn = pool.get().unwrap();
                    let me = format!("worker-{w}");
                    start.wait();
                    let mut mine = Vec::new();
                    let lease = Duration::seconds(60);
                    while let Some(job) =
                        jobs::claim(&mut conn, &me, lease, releasegate::audit::now()).unwrap()
                    {
                        assert_eq!(job.locked_by.as_deref(), Some(me.as_str()));
                        mine.push(job.id);
                    }
                    mine
                })
            })
            .collect();
        let mut seen = BTreeSet::new();
        let mut total = 0;
        for claim in claims {
            let mine = claim.await.unwrap();
            total += mine.len();
            seen.extend(mine);
        }
        assert_eq!(total, JOBS, "round {round}: {total} claims of {JOBS} jobs");
        assert_eq!(seen.len(), JOBS, "round {round}: a job was claimed twice");
        app.db(|c| {
            diesel::delete(jobs_table::table).execute(c).unwrap();
        })
        .await;
    }
}
