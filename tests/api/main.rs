//! The service tested through its front doors — the JSON API, the pages,
//! the CLI, a real socket, a real browser and a real mail server — on a
//! fresh database per test: SQLite by default, PostgreSQL when
//! RELEASEGATE_TEST_DATABASE_URL is set. One binary, one module per area.

mod common;
#[path = "../support/legacy.rs"]
mod legacy;
#[path = "../support/odf.rs"]
mod odf;
#[path = "../support/ofd.rs"]
mod ofd;
#[path = "../support/pdf.rs"]
mod pdf;

mod access;
mod accounts;
mod audit_chain;
mod authz_matrix;
mod cli;
mod contract;
mod crash;
mod dashboard;
mod documents;
mod e2e_browser;
mod harvest;
mod jobs;
mod lifecycle;
mod mail;
mod metadata;
mod opening_plan;
mod public_access;
mod queue_render_time;
mod release_render_time;
mod review_holes;
mod snapshots;
mod socket;
mod time_and_people;
