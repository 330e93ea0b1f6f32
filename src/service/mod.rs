//! Application services: the domain operations on the database, each one a
//! transaction that ends in an audit event. The JSON API, the dashboard and
//! the CLI all call these; none of them touches tables directly.

pub mod accounts;
pub mod audit_log;
pub mod audit_tree;
pub mod delegations;
pub mod fields;
pub mod job_queue;
pub mod metrics;
pub mod opening;
pub mod overview;
pub mod public;
pub mod receipts;
pub mod releases;
pub mod reminders;
pub mod reports;
pub mod seed;
