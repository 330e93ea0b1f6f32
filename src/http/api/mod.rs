//! The JSON API under /api/v1, one module per area.

mod accounts;
mod applications;
mod audit;
mod blocklist;
mod bulk_users;
mod delegations;
mod demands;
mod jobs;
mod opening;
mod receipts;
mod releases;
mod reports;
mod review;
mod stewardship;

use utoipa_actix_web::service_config::ServiceConfig;

pub use audit::parse_time;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(accounts::login)
        .service(accounts::logout)
        .service(accounts::me)
        .service(accounts::list_users)
        .service(accounts::add_user)
        .service(accounts::update_user)
        .service(jobs::list_jobs)
        .service(jobs::retry_job)
        .service(releases::submit_release)
        .service(releases::list_releases)
        .service(releases::get_release)
        .service(releases::list_findings)
        .service(releases::add_version)
        .service(review::dispose_finding)
        .service(review::reveal_finding)
        .service(review::decide_stage)
        .service(releases::withdraw_release)
        .service(releases::retract_release)
        .service(stewardship::change_clock)
        .service(stewardship::extend_deadline)
        .service(stewardship::recuse)
        .service(stewardship::hold_release)
        .service(stewardship::lift_hold)
        .service(delegations::add_delegation)
        .service(delegations::list_delegations)
        .service(delegations::revoke_delegation)
        .service(review::get_queue)
        .service(audit::search_audit)
        .service(audit::verify_audit)
        .service(audit::sign_checkpoint)
        .service(audit::add_cosignature)
        .service(audit::inclusion_proof)
        .service(audit::consistency_proof)
        .service(receipts::list_receipts)
        .service(receipts::download_receipt)
        .service(applications::list_applications)
        .service(applications::decide_application)
        .service(applications::access_log)
        .service(blocklist::add_block)
        .service(blocklist::list_blocks)
        .service(blocklist::remove_block)
        .service(bulk_users::list_public_accounts)
        .service(bulk_users::set_quota)
        .service(bulk_users::remove_quota)
        .service(demands::list_demands)
        .service(demands::answer_demand)
        .service(opening::list_catalogue)
        .service(opening::add_catalogue_item)
        .service(opening::get_plan)
        .service(opening::add_plan_item)
        .service(opening::fulfil_plan_item)
        .service(reports::departments_report);
}
