//! Server-side render time of the release page when both versions carry
//! 100,000 findings each, all matching (the worst case for the version diff,
//! which must look every one of them up). The release is filed and revised
//! through the service; the findings are then copied by multi-row inserts.
//!
//! `cargo test --release --test release_render_time -- --nocapture` prints the figure.

use std::time::{Duration, Instant};

use crate::common::*;
use actix_web::test::TestRequest;
use diesel::prelude::*;
use releasegate::db::models::Finding;
use releasegate::db::schema::findings;

const FINDINGS: usize = 100_000;

/// Adds `copies` findings to each version of `release`, cloned from its
/// mobile-number finding with a distinct line and masked value each, the
/// same in both versions (so the diff finds no change).
fn seed(conn: &mut releasegate::db::DbConn, release: &str, copies: usize) -> QueryResult<()> {
    let templates: Vec<Finding> = findings::table
        .filter(findings::release_id.eq(release))
        .filter(findings::entity.eq("CN_MOBILE"))
        .select(Finding::as_select())
        .load(conn)?;
    assert_eq!(templates.len(), 2, "one mobile finding per version");
    conn.transaction(|conn| {
        for template in &templates {
            let rows: Vec<Finding> = (0..copies)
                .map(|i| Finding {
                    id: ulid::Ulid::new().into(),
                    location: serde_json::json!({"file": "a.txt", "line": i + 10, "column": 3})
                        .into(),
                    masked_value: format!("138****{i:06}"),
                    ..template.clone()
                })
                .collect();
            releasegate::insert_batch!(conn, findings::table, rows);
        }
        Ok(())
    })
}

#[actix_web::test]
async fn the_release_page_renders_quickly_with_a_hundred_thousand_findings_per_version() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let id = app
        .file_release(&cast.submitter, meta(&[]), "a.txt", &sample_text())
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let res = app
        .post_multipart(
            &format!("/api/v1/releases/{id}/versions"),
            &cast.submitter,
            None,
            &[("a.txt", &sample_text())],
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());

    let seeding = Instant::now();
    let release = id.clone();
    app.db(move |conn| seed(conn, &release, FINDINGS))
        .await
        .unwrap();
    eprintln!("seeded 2 × {FINDINGS} findings in {:?}", seeding.elapsed());

    let get = || {
        TestRequest::get()
            .uri(&format!("/releases/{id}"))
            .insert_header(("Cookie", format!("rg_session={}", cast.privacy)))
    };
    let first = app.call(get()).await;
    assert_eq!(first.status, 200);
    let html = first.text();
    assert!(html.contains("rel=\"next\""), "one page, then a more link");
    assert!(
        html.contains("id=\"diff-none\""),
        "identical versions: no change"
    );
    let label = format!("/releases/{{id}} with 2 × {FINDINGS} findings");
    let median = median_time(&app, 5, &label, get).await;
    // Generous (debug builds, shared cores): the point is that the page
    // does not load the findings whole.
    assert!(median < Duration::from_secs(3), "median {median:?}");
}
