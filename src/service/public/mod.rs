//! The public side of opening data: registered members of the public and
//! their API keys, registered bulk users' quotas, applications for conditionally open data (有条件开放),
//! and the trace of every public download (行为追溯).
//!
//! Members of the public are not staff: they live in their own table, sign
//! in with their e-mail address, and their tokens carry an audience that
//! `/api/v1` never accepts.

mod access_log;
mod accounts;
mod applications;
mod blocklist;
mod bulk_users;
mod demands;
mod downloads;
mod ratings;

pub use access_log::{for_each_access, list_access, prune_access_log};
pub use access_log::{AccessFilter, AccessRecord, ACCESS_CSV_HEADER};
pub use accounts::{
    authenticate_key, authenticate_token, create_key, list_keys, register, revoke_key, sign_in,
    sign_out, verify_email, AccountView, KeyView, NewKey, PublicCaller, Registration,
};
pub use applications::{
    apply, decide, list_for_staff, list_mine, ApplicationDecision, ApplicationView,
};
pub use blocklist::{
    add_block, check_address, list_blocks, remove_block, BlockKind, BlockView, BlockedRanges,
};
pub use bulk_users::{
    list_accounts, remove_quota, set_quota, AccountAdminView, AccountFilter,
    MAX_REQUESTS_PER_MINUTE,
};
pub use demands::{
    answer as answer_demand, get_public as get_demand, list_for_staff as list_demands_for_staff,
    list_public as list_demands, remind_due as remind_due_demands, submit as submit_demand, Answer,
    DemandStatus, DemandView, NewDemand, StaffDemandView, REMIND_WORKING_DAYS_BEFORE,
};
pub use downloads::{
    download, record_conditional_download, Body as DownloadBody, Download, Requester,
};
pub use ratings::{
    rate, rating_summaries, ratings_per_department, NewRating, RatingSummary, RatingView,
};

pub use crate::workflow::ApplicationState;

/// The audit actor of a member of the public: never a staff username
/// (those cannot contain ':').
pub fn audit_actor(account_id: &str) -> String {
    format!("public:{account_id}")
}
