//! The audit chain survives restarts and names the first altered event.

use crate::common::*;
use diesel::RunQueryDsl;
use serde_json::json;

async fn some_history(app: &TestApp) -> (Cast, String) {
    let cast = app.cast().await;
    let r = app
        .post_multipart(
            "/api/v1/releases",
            &cast.submitter,
            Some(meta(&[])),
            &[("a.txt", &sample_text())],
        )
        .await
        .json();
    (cast, r["id"].as_str().unwrap().to_string())
}

#[actix_web::test]
async fn the_audit_tables_refuse_update_and_delete() {
    let app = TestApp::new().await;
    let (cast, _) = some_history(&app).await;
    app.post_json(
        "/api/v1/audit/checkpoints",
        Some(&cast.supervisor),
        json!({}),
    )
    .await;
    let refused: Vec<(String, bool)> = app
        .db(|c| {
            let mut statements = vec![
                "UPDATE audit_events SET actor = 'mallory' WHERE seq = 4",
                "DELETE FROM audit_events WHERE seq = 6",
                "UPDATE audit_checkpoints SET root = 'x'",
                "DELETE FROM audit_checkpoints",
                "UPDATE audit_tree SET hash = hash WHERE idx = 0",
                "DELETE FROM audit_tree WHERE idx = 1",
            ];
            if matches!(c, releasegate::db::DbConn::Postgres(_)) {
                statements.push("TRUNCATE audit_events");
                statements.push("TRUNCATE audit_checkpoints");
                statements.push("TRUNCATE audit_tree");
                statements.push("TRUNCATE audit_cosignatures");
            }
            statements
                .into_iter()
                .map(|sql| {
                    let err = diesel::sql_query(sql).execute(c).err();
                    let named = err.is_some_and(|e| e.to_string().contains("append-only"));
                    (sql.to_string(), named)
                })
                .collect()
        })
        .await;
    for (sql, named) in refused {
        assert!(named, "{sql} was not refused as append-only");
    }
    let report = app
        .get("/api/v1/audit/verify", Some(&cast.supervisor))
        .await
        .json();
    assert_eq!(report["ok"], true, "{report}");
}

#[actix_web::test]
async fn tampering_with_any_event_is_named() {
    let app = TestApp::new().await;
    let (cast, _) = some_history(&app).await;
    app.db(owner_drops_the_guards).await;
    let ok = app
        .get("/api/v1/audit/verify", Some(&cast.supervisor))
        .await
        .json();
    assert_eq!(ok["ok"], true, "{ok}");
    let total = ok["events"].as_i64().unwrap();
    assert!(total >= 10);

    app.db(|c| {
        diesel::sql_query("UPDATE audit_events SET actor = 'mallory' WHERE seq = 4")
            .execute(c)
            .unwrap()
    })
    .await;
    let bad = app
        .get("/api/v1/audit/verify", Some(&cast.supervisor))
        .await
        .json();
    assert_eq!(
        (bad["ok"].as_bool(), bad["first_bad_seq"].as_i64()),
        (Some(false), Some(4)),
        "{bad}"
    );
    app.db(|c| {
        diesel::sql_query("UPDATE audit_events SET actor = 'cli' WHERE seq = 4")
            .execute(c)
            .unwrap()
    })
    .await;
    assert_eq!(
        app.get("/api/v1/audit/verify", Some(&cast.supervisor))
            .await
            .json()["ok"],
        true
    );

    app.db(|c| {
        diesel::sql_query("UPDATE audit_events SET details = '{\"code\":\"XXX\"}' WHERE seq = 2")
            .execute(c)
            .unwrap()
    })
    .await;
    assert_eq!(
        app.get("/api/v1/audit/verify", Some(&cast.supervisor))
            .await
            .json()["first_bad_seq"],
        2
    );
}

#[actix_web::test]
async fn deleting_events_breaks_the_chain() {
    let app = TestApp::new().await;
    let (cast, _) = some_history(&app).await;
    app.db(owner_drops_the_guards).await;
    app.db(|c| {
        diesel::sql_query("DELETE FROM audit_events WHERE seq = 6")
            .execute(c)
            .unwrap()
    })
    .await;
    assert_eq!(
        app.get("/api/v1/audit/verify", Some(&cast.supervisor))
            .await
            .json()["first_bad_seq"],
        6
    );

    let app = TestApp::new().await;
    let (cast, _) = some_history(&app).await;
    app.db(owner_drops_the_guards).await;
    app.db(|c| {
        diesel::sql_query(
            "DELETE FROM audit_events WHERE seq = (SELECT MAX(seq) FROM audit_events)",
        )
        .execute(c)
        .unwrap()
    })
    .await;
    let report = app
        .get("/api/v1/audit/verify", Some(&cast.supervisor))
        .await
        .json();
    assert_eq!(
        report["ok"], false,
        "the head records the deleted newest event: {report}"
    );
}

#[actix_web::test]
async fn exports_filter_and_verify() {
    let app = TestApp::new().await;
    let (cast, id) = some_history(&app).await;
    let ndjson = app
        .get("/api/v1/audit?format=ndjson", Some(&cast.supervisor))
        .await;
    assert_eq!(
        ndjson.headers.get("content-type").unwrap(),
        "application/x-ndjson"
    );
    let mut verifier = releasegate::audit::Verifier::new();
    let text = ndjson.text();
    let (events, last) = text.trim_end().rsplit_once('\n').unwrap();
    assert!(last.starts_with("{\"checkpoint\":"), "{last}");
    for line in events.lines() {
        verifier.push(&serde_json::from_str(line).unwrap(), None);
    }
    let report = verifier.finish();
    assert!(report.ok && report.events >= 10, "{report:?}");

    let csv = app
        .get(
            &format!("/api/v1/audit?format=csv&release={id}"),
            Some(&cast.supervisor),
        )
        .await
        .text();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("seq,at,actor,action,release_id,version,details,prev_hash,hash")
    );
    assert_eq!(
        lines.count(),
        2,
        "two events for that release (filed, scanned): {csv}"
    );

    let page = app
        .get(
            "/api/v1/audit?action=user.added&limit=3",
            Some(&cast.supervisor),
        )
        .await
        .json();
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
    let next = page["next_cursor"].as_str().unwrap();
    let rest = app
        .get(
            &format!("/api/v1/audit?action=user.added&limit=3&cursor={next}"),
            Some(&cast.supervisor),
        )
        .await
        .json();
    assert!(rest["items"][0]["seq"].as_i64() > page["items"][2]["seq"].as_i64());
    assert!(rest["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["action"] == "user.added"));
    let future = app
        .get(
            "/api/v1/audit?from=2999-01-01T00:00:00Z",
            Some(&cast.supervisor),
        )
        .await
        .json();
    assert_eq!(future["items"], json!([]));
}

#[actix_web::test]
async fn a_restart_keeps_everything() {
    let app = TestApp::new().await;
    let (cast, id) = some_history(&app).await;
    let TestApp { state, db, .. } = app;
    drop(state);
    let app = TestApp::builder().db(db).build().await;
    let r = app
        .get(&format!("/api/v1/releases/{id}"), Some(&cast.submitter))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["state"], "blocked");
    assert_eq!(
        app.get("/api/v1/audit/verify", Some(&cast.supervisor))
            .await
            .json()["ok"],
        true
    );
    // The stored file is still there and intact.
    let sha = r.json()["versions"][0]["files"][0]["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(app.state.store.get(&sha).unwrap(), sample_text());
}

/// What someone with write access to the database could do: change
/// events and recompute every hash, the head and the Merkle tree, so the
/// log is consistent again.
pub fn rewrite_chain(
    conn: &mut releasegate::db::DbConn,
    edit: impl Fn(&mut releasegate::audit::Event),
) {
    use diesel::prelude::*;
    use releasegate::audit::{chain_hash, GENESIS_HASH};
    use releasegate::db::schema::{audit_events, audit_head};
    use releasegate::service::audit_log::{page, Filter};
    let events = page(conn, &Filter::default(), 0, 100_000).unwrap();
    let mut prev = GENESIS_HASH.to_string();
    for mut e in events {
        edit(&mut e);
        let canonical = e.canonical();
        let hash = chain_hash(&prev, &canonical);
        diesel::update(audit_events::table.find(e.seq))
            .set((
                audit_events::actor.eq(&e.actor),
                audit_events::at.eq(e.at),
                audit_events::prev_hash.eq(&prev),
                audit_events::hash.eq(&hash),
                audit_events::canonical.eq(&canonical),
            ))
            .execute(conn)
            .unwrap();
        diesel::update(audit_head::table.find(1))
            .set((audit_head::seq.eq(e.seq), audit_head::hash.eq(&hash)))
            .execute(conn)
            .unwrap();
        prev = hash;
    }
    rebuild_tree(conn);
}

/// Recomputes the stored Merkle tree from the events as they now are.
fn rebuild_tree(conn: &mut releasegate::db::DbConn) {
    diesel::sql_query("DELETE FROM audit_tree")
        .execute(conn)
        .unwrap();
    diesel::sql_query("UPDATE audit_head SET tree_size = 0")
        .execute(conn)
        .unwrap();
    releasegate::service::audit_tree::catch_up(conn).unwrap();
}

/// Cuts the log after event `keep` and makes the head and tree agree.
fn cut_tail(conn: &mut releasegate::db::DbConn, keep: i64) {
    use diesel::prelude::*;
    use releasegate::db::schema::{audit_events, audit_head};
    diesel::delete(audit_events::table.filter(audit_events::seq.gt(keep)))
        .execute(conn)
        .unwrap();
    let hash: String = audit_events::table
        .find(keep)
        .select(audit_events::hash)
        .first(conn)
        .unwrap();
    diesel::update(audit_head::table.find(1))
        .set((audit_head::seq.eq(keep), audit_head::hash.eq(&hash)))
        .execute(conn)
        .unwrap();
    rebuild_tree(conn);
}

fn delete_checkpoints(conn: &mut releasegate::db::DbConn) {
    diesel::sql_query("DELETE FROM audit_checkpoints")
        .execute(conn)
        .unwrap();
}

#[actix_web::test]
async fn a_consistent_rewrite_is_caught_by_the_signed_checkpoint() {
    let app = TestApp::new().await;
    let (cast, _) = some_history(&app).await;
    app.db(owner_drops_the_guards).await;
    let res = app
        .post_json(
            "/api/v1/audit/checkpoints",
            Some(&cast.submitter),
            json!({}),
        )
        .await;
    res.assert_error(403, "forbidden");
    let first = app
        .post_json(
            "/api/v1/audit/checkpoints",
            Some(&cast.supervisor),
            json!({}),
        )
        .await
        .json();
    assert_eq!(first["signed"], true, "{first}");
    let size = first["tree_size"].as_i64().expect("a checkpoint");
    let again = app
        .post_json(
            "/api/v1/audit/checkpoints",
            Some(&cast.supervisor),
            json!({}),
        )
        .await
        .json();
    assert_eq!(
        (&again["signed"], &again["checkpoint"]),
        (&json!(false), &first["checkpoint"]),
        "an unchanged tree is not signed twice"
    );
    let report = app
        .get("/api/v1/audit/verify", Some(&cast.supervisor))
        .await
        .json();
    assert_eq!(
        (report["ok"].as_bool(), report["checkpoints"].as_i64()),
        (Some(true), Some(1)),
        "{report}"
    );

    app.db(|c| {
        rewrite_chain(c, |e| {
            if e.seq == 3 {
                e.actor = "mallory".into()
            }
        })
    })
    .await;
    let report = app
        .get("/api/v1/audit/verify", Some(&cast.supervisor))
        .await
        .json();
    assert_eq!(
        (report["ok"].as_bool(), report["first_bad_seq"].as_i64()),
        (Some(false), Some(size)),
        "{report}"
    );
    assert!(
        report["problem"]
            .as_str()
            .unwrap()
            .contains("differs from the signed checkpoint"),
        "{report}"
    );

    // Nor can the rewriter sign a checkpoint of their own, under the log's name.
    let origin = app.state.checkpoint_key.origin().to_string();
    let forged =
        releasegate::audit::checkpoint::CheckpointKey::from_seed([9; 32], Some(&origin)).unwrap();
    app.db(move |c| {
        use diesel::prelude::*;
        use releasegate::audit::merkle;
        use releasegate::db::schema::audit_checkpoints;
        delete_checkpoints(c);
        let root = releasegate::service::audit_tree::root(c, size as u64).unwrap();
        diesel::insert_into(audit_checkpoints::table)
            .values(releasegate::db::models::CheckpointRow {
                size,
                at: releasegate::audit::now(),
                root: merkle::to_hex(&root),
                note: forged.sign(size as u64, root).unwrap(),
            })
            .execute(c)
            .unwrap();
    })
    .await;
    let report = app
        .get("/api/v1/audit/verify", Some(&cast.supervisor))
        .await
        .json();
    assert_eq!(report["ok"], false, "{report}");
    assert!(
        report["problem"]
            .as_str()
            .unwrap()
            .contains("not signed by this deployment"),
        "{report}"
    );
}

/// Hex strings from a proof answer.
fn hashes(proof: &serde_json::Value) -> Vec<releasegate::audit::merkle::Hash> {
    proof["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| releasegate::audit::merkle::from_hex(h.as_str().unwrap()).unwrap())
        .collect()
}

/// The checkpoint anyone can fetch opens with the key anyone can fetch,
/// and the proofs a supervisor gets check against it.
#[actix_web::test]
async fn the_public_checkpoint_and_key_prove_every_event_and_every_extension() {
    use releasegate::audit::{checkpoint, merkle, Event};
    let app = TestApp::new().await;
    let (cast, _) = some_history(&app).await;
    app.get("/public/audit/checkpoint", None)
        .await
        .assert_error(404, "not_found");
    let signed = app
        .post_json(
            "/api/v1/audit/checkpoints",
            Some(&cast.supervisor),
            json!({}),
        )
        .await
        .json();
    let note = app.get("/public/audit/checkpoint", None).await.text();
    assert_eq!(json!(note), signed["checkpoint"]);
    let key = app.get("/public/audit/key", None).await.text();
    let origin = key.split('+').next().unwrap().to_string();
    let trusted = checkpoint::verifier(key.lines().next().unwrap()).unwrap();
    let first = checkpoint::open(note.as_bytes(), &origin, std::slice::from_ref(&trusted)).unwrap();
    assert!(first.size >= 10, "{first:?}");

    let items = app
        .get("/api/v1/audit?limit=100", Some(&cast.supervisor))
        .await
        .json()["items"]
        .clone();
    let events: Vec<Event> = serde_json::from_value(items).unwrap();
    let leaf = |e: &Event| merkle::leaf_hash(&e.canonical());
    for e in events.iter().filter(|e| e.seq as u64 <= first.size) {
        let proof = app
            .get(
                &format!("/api/v1/audit/proofs/inclusion?seq={}", e.seq),
                Some(&cast.supervisor),
            )
            .await
            .json();
        assert_eq!(proof["tree_size"], first.size, "{proof}");
        let index = e.seq as u64 - 1;
        assert!(
            merkle::check_inclusion(&hashes(&proof), index, first.size, leaf(e), first.root),
            "event {} is not proven by {proof}",
            e.seq
        );
        // The same path proves no other event.
        let other = &events[(e.seq as usize) % events.len()];
        assert!(!merkle::check_inclusion(
            &hashes(&proof),
            index,
            first.size,
            leaf(other),
            first.root
        ));
    }

    // The log grows; the new checkpoint provably extends the old one.
    app.post_multipart(
        "/api/v1/releases",
        &cast.submitter,
        Some(meta(&[])),
        &[("b.txt", &sample_text())],
    )
    .await;
    let newer = app
        .post_json(
            "/api/v1/audit/checkpoints",
            Some(&cast.supervisor),
            json!({}),
        )
        .await
        .json();
    let newer = newer["checkpoint"].as_str().unwrap().to_string();
    let second = checkpoint::open(newer.as_bytes(), &origin, &[trusted]).unwrap();
    assert!(second.size > first.size);
    let proof = app
        .get(
            &format!("/api/v1/audit/proofs/consistency?from={}", first.size),
            Some(&cast.supervisor),
        )
        .await
        .json();
    assert_eq!(proof["to"], second.size, "{proof}");
    assert!(merkle::check_consistency(
        &hashes(&proof),
        first.size,
        first.root,
        second.size,
        second.root
    ));
    assert!(!merkle::check_consistency(
        &hashes(&proof),
        first.size,
        second.root,
        second.size,
        first.root
    ));

    for path in [
        "/api/v1/audit/proofs/inclusion?seq=0".to_string(),
        format!("/api/v1/audit/proofs/inclusion?seq={}", second.size + 1),
        format!(
            "/api/v1/audit/proofs/consistency?from=2&to={}",
            second.size + 5
        ),
        "/api/v1/audit/proofs/consistency?from=9&to=3".to_string(),
    ] {
        app.get(&path, Some(&cast.supervisor))
            .await
            .assert_error(422, "outside_log");
    }
    app.get(
        "/api/v1/audit/proofs/inclusion?seq=1",
        Some(&cast.submitter),
    )
    .await
    .assert_error(403, "forbidden");
}

/// Someone who owns the database rewrites history, or cuts its tail, then
/// deletes every checkpoint: a checkpoint an auditor saved earlier still
/// catches both, and an old stretch of log with no checkpoint fails alone.
#[actix_web::test]
async fn a_saved_checkpoint_catches_a_rewrite_and_a_cut_tail_after_the_checkpoints_are_deleted() {
    let app = TestApp::new().await;
    let (cast, _) = some_history(&app).await;
    let saved = app.db.dir().join("saved.checkpoint");
    let saved_arg = saved.to_str().unwrap().to_string();
    let out = run_cli(&app.db, &["audit", "checkpoint", "--out", &saved_arg], None);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let size: i64 = std::fs::read_to_string(&saved)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let verify = |app: &TestApp| {
        run_cli(
            &app.db,
            &["audit", "verify", "--checkpoint", &saved_arg],
            None,
        )
    };
    assert_eq!(verify(&app).status.code(), Some(0), "{:?}", verify(&app));

    // More history, then the owner rewrites an early event consistently.
    app.post_multipart(
        "/api/v1/releases",
        &cast.submitter,
        Some(meta(&[])),
        &[("b.txt", &sample_text())],
    )
    .await;
    app.db(|c| {
        owner_drops_the_guards(c);
        rewrite_chain(c, |e| {
            if e.seq == 2 {
                e.actor = "mallory".into()
            }
        });
        delete_checkpoints(c);
    })
    .await;
    let out = verify(&app);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("differs from checkpoint {saved_arg}")),
        "{stderr}"
    );

    // Cut the log back behind the saved checkpoint.
    app.db(move |c| cut_tail(c, size - 3)).await;
    let out = verify(&app);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "checkpoint {saved_arg} records {size} events, but the log ends at {}",
            size - 3
        )),
        "{stderr}"
    );

    // An hour-old log that no checkpoint covers fails without any saved one.
    app.db(|c| rewrite_chain(c, |e| e.at -= chrono::Duration::hours(1)))
        .await;
    let out = run_cli(&app.db, &["audit", "verify"], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("no signed checkpoint covers seq 1..{}", size - 3)),
        "{stderr}"
    );
}

/// Every decision and the publication of a release has a receipt that
/// checks offline with nothing but the published key; a changed receipt
/// does not.
#[actix_web::test]
async fn every_decision_and_the_publication_have_receipts_that_verify_offline() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let id = clean_release(&app, &cast).await;
    let release = app.approve_all(&id, &cast, |_| "redact").await;
    assert_eq!(release["state"], "published", "{release}");

    let receipts = app
        .get(
            &format!("/api/v1/releases/{id}/receipts"),
            Some(&cast.submitter),
        )
        .await
        .json();
    let receipts = receipts.as_array().unwrap().clone();
    let actions: Vec<&str> = receipts
        .iter()
        .map(|r| r["event"]["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.iter().filter(|a| **a == "stage.decided").count() >= 3,
        "{actions:?}"
    );
    assert_eq!(actions.last(), Some(&"release.published"), "{actions:?}");
    // Someone who may not read the release gets none.
    app.get(
        &format!("/api/v1/releases/{id}/receipts"),
        Some(&cast.approver_tjj),
    )
    .await
    .assert_error(404, "not_found");

    let key = app.db.dir().join("audit.key");
    std::fs::write(&key, app.get("/public/audit/key", None).await.text()).unwrap();
    let key = key.to_str().unwrap().to_string();
    let published = receipts.last().unwrap();
    let seq = published["event"]["seq"].as_i64().unwrap();
    let res = app
        .get(
            &format!("/api/v1/releases/{id}/receipts/{seq}"),
            Some(&cast.submitter),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let file = app.db.dir().join("receipt.json");
    std::fs::write(&file, res.text()).unwrap();
    let file_arg = file.to_str().unwrap().to_string();
    let out = run_cli(
        &app.db,
        &["audit", "verify-receipt", &file_arg, "--key", &key],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");

    // The receipt of the publication, made to say it was retracted.
    let forged = res
        .text()
        .replacen("release.published", "release.retracted", 1);
    std::fs::write(&file, forged).unwrap();
    let out = run_cli(
        &app.db,
        &["audit", "verify-receipt", &file_arg, "--key", &key],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    app.get(
        &format!("/api/v1/releases/{id}/receipts/1"),
        Some(&cast.submitter),
    )
    .await
    .assert_error(404, "not_found");

    // A decision answers with a link to its own receipt.
    let other = clean_release(&app, &cast).await;
    let res = decide(&app, &other, &cast.approver, "department_review", "approve").await;
    assert_eq!(res.status, 200, "{}", res.text());
    let link = res
        .headers
        .get("link")
        .expect("a Link to the receipt")
        .to_str()
        .unwrap();
    let url = link.trim_start_matches('<').split('>').next().unwrap();
    assert!(
        url.starts_with(&format!("/api/v1/releases/{other}/receipts/")),
        "{link}"
    );
    assert!(link.ends_with("rel=\"receipt\""), "{link}");
    let receipt = app.get(url, Some(&cast.approver)).await;
    assert_eq!(receipt.status, 200, "{}", receipt.text());
    assert!(receipt.text().contains("stage.decided"));
}

/// Fifty decisions at once: one writer sequences them, so the log has no
/// gap and no fork, and the tree and checkpoints agree with the events.
#[actix_web::test]
async fn fifty_concurrent_decisions_leave_one_gapless_log() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let mut ids = Vec::new();
    for _ in 0..50 {
        ids.push(clean_release(&app, &cast).await);
    }
    let decisions = ids
        .iter()
        .map(|id| decide(&app, id, &cast.approver, "department_review", "approve"));
    let statuses: Vec<u16> = futures_util::future::join_all(decisions)
        .await
        .iter()
        .map(|r| r.status.as_u16())
        .collect();
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let report = app
        .get("/api/v1/audit/verify", Some(&cast.supervisor))
        .await
        .json();
    assert_eq!(report["ok"], true, "{report}");
    // Each decision signed a checkpoint; each matched the tree at its size.
    assert!(report["checkpoints"].as_u64().unwrap() >= 50, "{report}");
    let decided = app
        .get(
            "/api/v1/audit?action=stage.decided&limit=100",
            Some(&cast.supervisor),
        )
        .await
        .json();
    assert_eq!(decided["items"].as_array().unwrap().len(), 50);
}

/// The secrecy office co-signs a checkpoint with its own key; from then on
/// the public checkpoint carries both signatures, and `--require-cosigner`
/// fails once the newest checkpoint lacks the office's.
#[actix_web::test]
async fn a_second_key_co_signs_a_checkpoint_and_verify_can_require_it() {
    use releasegate::audit::checkpoint;
    let dir = tempfile::tempdir().unwrap();
    let office_key = dir.path().join("office.key");
    let office_key_arg = office_key.to_str().unwrap().to_string();
    let db = TestDb::new();
    let out = run_cli(
        &db,
        &[
            "audit",
            "keygen",
            "--name",
            "secrecy.office",
            "--out",
            &office_key_arg,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let office_public = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let allowed = office_public.clone();
    let app = TestApp::builder()
        .db(db)
        .settings(move |s| s.audit_cosigners = vec![allowed])
        .build()
        .await;
    let (cast, _) = some_history(&app).await;
    let signed = app
        .post_json(
            "/api/v1/audit/checkpoints",
            Some(&cast.supervisor),
            json!({}),
        )
        .await
        .json();
    let size = signed["tree_size"].as_i64().unwrap();
    let files = app.db.dir();
    let (cp, log_key) = (files.join("cp"), files.join("log.key"));
    std::fs::write(&cp, signed["checkpoint"].as_str().unwrap()).unwrap();
    std::fs::write(&log_key, app.get("/public/audit/key", None).await.text()).unwrap();
    let (cp_arg, log_key_arg) = (
        cp.to_str().unwrap().to_string(),
        log_key.to_str().unwrap().to_string(),
    );
    let cosign = |cp: &str| {
        run_cli(
            &app.db,
            &[
                "audit",
                "cosign",
                "--checkpoint",
                cp,
                "--key",
                &office_key_arg,
                "--log-key",
                &log_key_arg,
            ],
            None,
        )
    };
    let out = cosign(&cp_arg);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let line = String::from_utf8(out.stdout).unwrap();
    let path = format!("/api/v1/audit/checkpoints/{size}/cosignatures");
    app.post_json(&path, Some(&cast.submitter), json!({"signature": line}))
        .await
        .assert_error(403, "forbidden");
    let res = app
        .post_json(&path, Some(&cast.supervisor), json!({"signature": line}))
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    app.post_json(&path, Some(&cast.supervisor), json!({"signature": line}))
        .await
        .assert_error(409, "exists");

    let served = app.get("/public/audit/checkpoint", None).await.text();
    let origin = app.state.checkpoint_key.origin().to_string();
    let log = checkpoint::verifier(&app.state.checkpoint_key.verifier_key()).unwrap();
    let office = checkpoint::verifier(&office_public).unwrap();
    let opened =
        checkpoint::open(served.as_bytes(), &origin, &[log.clone(), office.clone()]).unwrap();
    assert_eq!(opened.signed_by.len(), 2, "{served}");

    // A key nobody allowed, and the office's signature on another text.
    let (stranger, _) = signed_note::generate_key(&mut rand::rngs::OsRng, "stranger");
    let stranger = signed_note::StandardSigner::new(&stranger).unwrap();
    let theirs = checkpoint::cosign(served.as_bytes(), &log, &stranger).unwrap();
    app.post_json(&path, Some(&cast.supervisor), json!({"signature": theirs}))
        .await
        .assert_error(422, "unknown_cosigner");
    let missing = format!("/api/v1/audit/checkpoints/{}/cosignatures", size + 1000);
    app.post_json(&missing, Some(&cast.supervisor), json!({"signature": line}))
        .await
        .assert_error(404, "not_found");

    let office_file = files.join("office.pub");
    std::fs::write(&office_file, &office_public).unwrap();
    let office_arg = office_file.to_str().unwrap().to_string();
    let verify = |app: &TestApp| {
        run_cli(
            &app.db,
            &["audit", "verify", "--require-cosigner", &office_arg],
            None,
        )
    };
    let out = verify(&app);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    // A newer checkpoint the office has not signed.
    app.post_multipart(
        "/api/v1/releases",
        &cast.submitter,
        Some(meta(&[])),
        &[("b.txt", &sample_text())],
    )
    .await;
    let newer = app
        .post_json(
            "/api/v1/audit/checkpoints",
            Some(&cast.supervisor),
            json!({}),
        )
        .await
        .json();
    let out = verify(&app);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("co-signer secrecy.office"), "{stderr}");
    // The office's signature of the older checkpoint does not sign the newer one.
    let newer = format!(
        "/api/v1/audit/checkpoints/{}/cosignatures",
        newer["tree_size"].as_i64().unwrap()
    );
    app.post_json(&newer, Some(&cast.supervisor), json!({"signature": line}))
        .await
        .assert_error(422, "bad_cosignature");
}

/// An export carries the checkpoint it ends at and, for one release, each
/// event's inclusion proof: it verifies offline with the key alone, without
/// the rest of the log, and a changed or unproven event fails.
#[actix_web::test]
async fn exports_prove_themselves_whole_or_for_one_release() {
    let app = TestApp::new().await;
    let (cast, id) = some_history(&app).await;
    let dir = app.db.dir();
    let key = dir.join("audit.key");
    std::fs::write(&key, app.get("/public/audit/key", None).await.text()).unwrap();
    let key = key.to_str().unwrap().to_string();
    let verify = |file: &std::path::Path, with_key: bool| {
        let file = file.to_str().unwrap().to_string();
        let mut args = vec!["audit".to_string(), "verify".into(), "--file".into(), file];
        if with_key {
            args.extend(["--key".to_string(), key.clone()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_cli(&app.db, &args, None)
    };

    let whole = dir.join("whole.ndjson");
    let text = app
        .get("/api/v1/audit?format=ndjson", Some(&cast.supervisor))
        .await
        .text();
    std::fs::write(&whole, &text).unwrap();
    let out = verify(&whole, true);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["checkpoints"], 1, "{report}");

    let part = dir.join("release.ndjson");
    let text = app
        .get(
            &format!("/api/v1/audit?format=ndjson&release={id}"),
            Some(&cast.supervisor),
        )
        .await
        .text();
    assert!(text.contains("{\"inclusion\":"), "{text}");
    std::fs::write(&part, &text).unwrap();
    let out = verify(&part, false);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a partial export needs the key: {out:?}"
    );
    let out = verify(&part, true);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["events"], 2, "filed and scanned: {report}");

    let tampered = text.replacen("release.submitted", "release.withdrawn", 1);
    std::fs::write(&part, tampered).unwrap();
    assert_eq!(verify(&part, true).status.code(), Some(1));
    let unproven: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("{\"inclusion\":"))
        .collect();
    std::fs::write(&part, unproven.join("\n")).unwrap();
    // Without its proofs it reads as a complete export, which it is not.
    let out = verify(&part, true);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("expected event 1"), "{stderr}");
}
