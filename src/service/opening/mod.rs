//! What departments hold and what they promise to open: the opening
//! catalogue (开放目录) and the annual opening plan (年度开放计划). Not the
//! public catalogue of published releases (`releases::catalogue`): these
//! are a department's own lists, which supervisors hold it to.

mod catalogue;
mod plans;

pub use catalogue::{
    add as add_catalogue_item, list as list_catalogue, CatalogueFilter, CatalogueItemView,
    NewCatalogueItem, Openness, UpdateFrequency,
};
pub use plans::{
    add as add_plan_item, check_year, fulfil as fulfil_plan_item, plan, plan_summary,
    update_frequencies, DepartmentPlan, PlanItemStatus, PlanItemView, PlanView,
};

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::policy::Role;

/// The department whose lists `user` keeps: a dept_approver's own.
fn keeping_department(user: &CurrentUser) -> AppResult<&str> {
    match (user.has(Role::DeptApprover), user.department.as_deref()) {
        (true, Some(dept)) => Ok(dept),
        _ => Err(AppError::Forbidden(
            "a department's catalogue and plan are kept by its dept_approver".into(),
        )),
    }
}
