//! Server-side render time of the reviewer's /queue page with 10,000
//! releases in the database. One release is filed through the service (scan,
//! stages, findings); `dev seed` then copies it 9,999 times (four in ten stay
//! in review, due over the coming weeks) by bulk inserts, in seconds, not hours.
//!
//! `cargo test --release --test queue_render_time -- --nocapture` prints the figure.

use std::time::{Duration, Instant};

use crate::common::*;
use actix_web::test::TestRequest;

const RELEASES: usize = 10_000;

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
    let seeded = app
        .db(move |conn| {
            let now = releasegate::audit::now();
            releasegate::service::seed::seed(conn, Some(&template), RELEASES as u64 - 1, now)
        })
        .await
        .unwrap();
    eprintln!(
        "seeded {} releases in {:?}",
        seeded.releases + 1,
        seeding.elapsed()
    );
    // Six copies in ten are published; each batch of copies is an audit
    // event, and the log still verifies.
    let public = app.get("/public/releases?limit=100", None).await.json();
    assert_eq!(public["items"].as_array().unwrap().len(), 100, "{public}");
    let verify = app
        .get("/api/v1/audit/verify", Some(&cast.supervisor))
        .await
        .json();
    assert_eq!(verify["ok"], true, "{verify}");
    assert!(verify["events"].as_u64().unwrap() >= 10, "{verify}");

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
