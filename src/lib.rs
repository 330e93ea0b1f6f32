//! releasegate: the gate every public-data release passes — scan, staged
//! secrecy review, publication of the redacted rendition, tamper-evident audit.
//!
//! Pure domain modules (`policy`, `scan`, `extract`, `redact`, `workflow`,
//! `audit`) take and return plain values; `db`, `service` and `http` are the
//! adapters around them. `docs/ARCHITECTURE.md` says where each thing goes.

pub mod app;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod extract;
pub mod http;
pub mod ids;
pub mod inspect;
pub mod jobs;
pub mod notify;
pub mod policy;
pub mod policy_error;
pub mod redact;
pub mod scan;
pub mod service;
pub mod slots;
pub mod store;
mod text_enum;
pub mod workflow;
