//! Server-side render time of the reviewer's /queue page with 10,000
//! releases in the database. One release is filed through the service (scan,
//! stages, findings); its rows are then copied 9,999 times by direct inserts
//! with spread deadlines, which is what makes seeding take seconds, not hours.
//!
//! `cargo test --release --test queue_render_time -- --nocapture` prints the figure.

use std::time::{Duration, Instant};

use crate::common::*;
use actix_web::test::TestRequest;
use diesel::prelude::*;
use releasegate::db::models::{Finding, Release, ReleaseStage, ReleaseVersion, StoredFile};
use releasegate::db::schema::{files, findings, release_stages, release_versions, releases};

const RELEASES: usize = 10_000;

fn fresh() -> String {
    ulid::Ulid::new().to_string()
}

fn copy_release(conn: &mut releasegate::db::DbConn, template: &str, copies: usize) {
    let release: Release = releases::table
        .find(template)
        .select(Release::as_select())
        .first(conn)
        .unwrap();
    let version: ReleaseVersion = release_versions::table
        .filter(release_versions::release_id.eq(template))
        .select(ReleaseVersion::as_select())
        .first(conn)
        .unwrap();
    let file_rows: Vec<StoredFile> = files::table
        .filter(files::release_id.eq(template))
        .select(StoredFile::as_select())
        .load(conn)
        .unwrap();
    let finding_rows: Vec<Finding> = findings::table
        .filter(findings::release_id.eq(template))
        .select(Finding::as_select())
        .load(conn)
        .unwrap();
    let stage_rows: Vec<ReleaseStage> = release_stages::table
        .filter(release_stages::release_id.eq(template))
        .select(ReleaseStage::as_select())
        .load(conn)
        .unwrap();
    let now = chrono::Utc::now().naive_utc();
    conn.transaction::<_, diesel::result::Error, _>(|conn| {
        for i in 0..copies {
            let id = fresh();
            let mut r = release.clone();
            r.id = id.clone();
            r.title = format!("{} #{i}", release.title);
            diesel::insert_into(releases::table)
                .values(r)
                .execute(conn)?;
            let mut v = version.clone();
            v.id = fresh();
            v.release_id = id.clone();
            diesel::insert_into(release_versions::table)
                .values(&v)
                .execute(conn)?;
            for f in &file_rows {
                let mut f2 = f.clone();
                f2.id = fresh();
                f2.release_id = id.clone();
                diesel::insert_into(files::table)
                    .values(&f2)
                    .execute(conn)?;
                for g in finding_rows
                    .iter()
                    .filter(|g| g.file_id.as_ref() == Some(&f.id))
                {
                    let mut g2 = g.clone();
                    g2.id = fresh();
                    g2.release_id = id.clone();
                    g2.file_id = Some(f2.id.clone());
                    diesel::insert_into(findings::table)
                        .values(&g2)
                        .execute(conn)?;
                }
            }
            for s in &stage_rows {
                let mut s2 = s.clone();
                s2.release_id = id.clone();
                if s2.actionable {
                    // Deadlines from 10 days ago to 20 days ahead: some overdue.
                    let deadline = now + chrono::Duration::hours((i % 720) as i64 - 240);
                    s2.deadline = Some(deadline);
                    s2.queue_rank = deadline.format("%Y-%m-%dT%H:%M:%S%.6f").to_string();
                }
                diesel::insert_into(release_stages::table)
                    .values(&s2)
                    .execute(conn)?;
            }
        }
        Ok(())
    })
    .unwrap();
}

#[actix_web::test]
async fn the_queue_renders_quickly_with_ten_thousand_releases() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let template = app
        .file_release(&cast.submitter, meta(&[]), "subsidy.txt", &sample_text())
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();

    let seeding = Instant::now();
    app.db(move |conn| copy_release(conn, &template, RELEASES - 1))
        .await;
    eprintln!("seeded {RELEASES} releases in {:?}", seeding.elapsed());

    let get = || {
        TestRequest::get()
            .uri("/queue")
            .insert_header(("Cookie", format!("rg_session={}", cast.secrecy)))
    };
    let first = app.call(get()).await;
    assert_eq!(first.status, 200);
    assert!(first.text().contains("rel=\"next\""), "a full first page");
    let label = format!("/queue with {RELEASES} releases, a 50-row page");
    let median = median_time(&app, 20, &label, get).await;
    // Generous: the point is that the page does not grow with the table.
    assert!(median < Duration::from_secs(2), "median {median:?}");
}
