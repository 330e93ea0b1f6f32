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
                "UPDATE audit_checkpoints SET hash = 'x'",
                "DELETE FROM audit_checkpoints",
            ];
            if matches!(c, releasegate::db::DbConn::Postgres(_)) {
                statements.push("TRUNCATE audit_events");
                statements.push("TRUNCATE audit_checkpoints");
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
    for line in ndjson.text().lines() {
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

/// What someone with write access to the database could do: change one
/// event and recompute every later hash and the head, so the chain is
/// consistent again.
fn rewrite_chain(conn: &mut releasegate::db::DbConn, seq: i64) {
    use diesel::prelude::*;
    use releasegate::audit::{canonical_bytes, chain_hash, GENESIS_HASH};
    use releasegate::db::schema::{audit_events, audit_head};
    use releasegate::service::audit_log::{page, Filter};
    let events = page(conn, &Filter::default(), 0, 100_000).unwrap();
    let mut prev = GENESIS_HASH.to_string();
    for mut e in events {
        if e.seq == seq {
            e.actor = "mallory".into();
        }
        let canonical = canonical_bytes(
            e.seq,
            &e.at,
            &e.actor,
            &e.action,
            e.release_id.as_deref(),
            e.version,
            &e.details,
        );
        let hash = chain_hash(&prev, &canonical);
        diesel::update(audit_events::table.find(e.seq))
            .set((
                audit_events::actor.eq(&e.actor),
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
    let res = app
        .post_json(
            "/api/v1/audit/checkpoints",
            Some(&cast.supervisor),
            json!({}),
        )
        .await;
    let signed = res.json()["checkpoint_seq"].as_i64().expect("a checkpoint");
    let again = app
        .post_json(
            "/api/v1/audit/checkpoints",
            Some(&cast.supervisor),
            json!({}),
        )
        .await
        .json();
    assert_eq!(
        again["checkpoint_seq"],
        serde_json::Value::Null,
        "an unchanged head is not signed twice"
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

    app.db(|c| rewrite_chain(c, 3)).await;
    let report = app
        .get("/api/v1/audit/verify", Some(&cast.supervisor))
        .await
        .json();
    assert_eq!(
        (report["ok"].as_bool(), report["first_bad_seq"].as_i64()),
        (Some(false), Some(signed)),
        "{report}"
    );

    // Nor can the rewriter sign a checkpoint of their own.
    let forged = releasegate::audit::checkpoint::CheckpointKey::from_seed([9; 32]);
    app.db(move |c| {
        use diesel::prelude::*;
        use releasegate::db::schema::audit_checkpoints;
        diesel::delete(audit_checkpoints::table).execute(c).unwrap();
        let (seq, hash): (i64, String) = releasegate::db::schema::audit_head::table
            .select((
                releasegate::db::schema::audit_head::seq,
                releasegate::db::schema::audit_head::hash,
            ))
            .first(c)
            .unwrap();
        diesel::insert_into(audit_checkpoints::table)
            .values(releasegate::db::models::CheckpointRow {
                seq,
                at: releasegate::audit::now(),
                signature: forged.sign(seq, &hash),
                public_key: forged.public_hex(),
                hash,
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
