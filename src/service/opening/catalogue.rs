//! 开放目录: each resource a department holds, with its openness
//! (无条件 / 有条件 / 不予开放 — the last only with its legal basis), its
//! update frequency and its fields.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::keeping_department;
use crate::auth::CurrentUser;
use crate::db::models::CatalogueItemRow;
use crate::db::schema::catalogue_items;
use crate::db::types::{stored_enum, CodeList};
use crate::db::{write_tx, DbConn};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::service::audit_log;
use crate::service::fields::{optional_text, required_text};
use crate::service::releases::Page;

const MAX_TITLE: usize = 200;
const MAX_TEXT: usize = 4000;
pub const MAX_FIELDS: usize = 500;
const MAX_FIELD_NAME: usize = 100;

/// How open a resource is (开放属性).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Openness {
    /// 无条件开放: anyone may have it.
    Unconditional,
    /// 有条件开放: registered users with an approved purpose.
    Conditional,
    /// 不予开放: not opened; `legal_basis` says why.
    Closed,
}

impl Openness {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unconditional => "unconditional",
            Self::Conditional => "conditional",
            Self::Closed => "closed",
        }
    }
}

/// How often a resource is updated (更新频率).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UpdateFrequency {
    Daily,
    Weekly,
    Monthly,
    Quarterly,
    Semiannual,
    Annual,
    Irregular,
    /// Published once, never updated.
    Once,
}

impl UpdateFrequency {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Daily => "daily",
            Self::Weekly => "weekly",
            Self::Monthly => "monthly",
            Self::Quarterly => "quarterly",
            Self::Semiannual => "semiannual",
            Self::Annual => "annual",
            Self::Irregular => "irregular",
            Self::Once => "once",
        }
    }

    /// The term of the EU frequency vocabulary that DCAT's
    /// `dct:accrualPeriodicity` expects.
    pub fn dcat_iri(self) -> &'static str {
        match self {
            Self::Daily => "http://publications.europa.eu/resource/authority/frequency/DAILY",
            Self::Weekly => "http://publications.europa.eu/resource/authority/frequency/WEEKLY",
            Self::Monthly => "http://publications.europa.eu/resource/authority/frequency/MONTHLY",
            Self::Quarterly => {
                "http://publications.europa.eu/resource/authority/frequency/QUARTERLY"
            }
            Self::Semiannual => {
                "http://publications.europa.eu/resource/authority/frequency/ANNUAL_2"
            }
            Self::Annual => "http://publications.europa.eu/resource/authority/frequency/ANNUAL",
            Self::Irregular => "http://publications.europa.eu/resource/authority/frequency/IRREG",
            Self::Once => "http://publications.europa.eu/resource/authority/frequency/NEVER",
        }
    }
}

/// A resource as a department lists it.
pub struct NewCatalogueItem<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub openness: Openness,
    /// Required for `closed`: the law or rule that keeps it closed.
    pub legal_basis: Option<&'a str>,
    pub update_frequency: UpdateFrequency,
    pub fields: &'a [String],
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CatalogueItemView {
    pub id: String,
    pub department: String,
    pub title: String,
    pub description: String,
    pub openness: Openness,
    pub legal_basis: Option<String>,
    pub update_frequency: UpdateFrequency,
    pub fields: Vec<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl TryFrom<CatalogueItemRow> for CatalogueItemView {
    type Error = AppError;
    fn try_from(row: CatalogueItemRow) -> AppResult<Self> {
        Ok(Self {
            openness: stored_enum("openness", &row.openness)?,
            update_frequency: stored_enum("update frequency", &row.update_frequency)?,
            id: row.id,
            department: row.department,
            title: row.title,
            description: row.description,
            legal_basis: row.legal_basis,
            fields: row.fields.0,
            created_at: crate::audit::format_time(&row.created_at),
        })
    }
}

/// Field names: at least one, each named once, taken as given (a name is
/// the column a user will see; it is not trimmed or folded).
fn field_names(fields: &[String]) -> AppResult<Vec<String>> {
    if fields.is_empty() || fields.len() > MAX_FIELDS {
        return Err(AppError::BadRequest(format!(
            "fields must list 1 to {MAX_FIELDS} field names"
        )));
    }
    for (i, name) in fields.iter().enumerate() {
        let len = name.chars().count();
        if len == 0 || len > MAX_FIELD_NAME {
            return Err(AppError::BadRequest(format!(
                "fields[{i}] must be 1 to {MAX_FIELD_NAME} characters"
            )));
        }
        if fields[..i].contains(name) {
            return Err(AppError::BadRequest(format!(
                "fields lists {name:?} more than once"
            )));
        }
    }
    Ok(fields.to_vec())
}

/// Lists a resource in the caller's department's catalogue. Audited.
pub fn add(
    conn: &mut DbConn,
    user: &CurrentUser,
    new: &NewCatalogueItem<'_>,
) -> AppResult<CatalogueItemView> {
    let dept = keeping_department(user)?;
    let title = required_text("title", new.title, MAX_TITLE)?;
    let description = required_text("description", new.description, MAX_TEXT)?;
    let legal_basis = optional_text("legal_basis", new.legal_basis, MAX_TEXT)?;
    let fields = field_names(new.fields)?;
    if new.openness == Openness::Closed && legal_basis.is_none() {
        return Err(AppError::Rule {
            code: ErrorCode::NoteRequired,
            message: "a resource that is not opened (closed) needs its legal_basis".into(),
        });
    }
    write_tx(conn, |conn| {
        let taken: i64 = catalogue_items::table
            .filter(catalogue_items::department.eq(dept))
            .filter(catalogue_items::title.eq(&title))
            .count()
            .get_result(conn)?;
        if taken > 0 {
            return Err(AppError::Rule {
                code: ErrorCode::Exists,
                message: format!("the catalogue of {dept} already lists {title:?}"),
            });
        }
        let row = CatalogueItemRow {
            id: ulid::Ulid::new().to_string(),
            department: dept.to_string(),
            title: title.clone(),
            description: description.clone(),
            openness: new.openness.as_str().into(),
            legal_basis: legal_basis.clone(),
            update_frequency: new.update_frequency.as_str().into(),
            fields: CodeList(fields.clone()),
            created_by: user.id.clone(),
            created_at: crate::audit::now(),
        };
        // Owned: the field list is serialised on the way in.
        diesel::insert_into(catalogue_items::table)
            .values(row.clone())
            .execute(conn)?;
        audit_log::append(
            conn,
            audit_log::draft(
                &user.username,
                crate::audit::Action::CatalogueItemAdded,
                None,
                serde_json::json!({
                    "item": row.id,
                    "department": dept,
                    "title": title,
                    "openness": new.openness.as_str(),
                }),
            ),
        )?;
        CatalogueItemView::try_from(row)
    })
}

#[derive(Debug, Default)]
pub struct CatalogueFilter {
    pub department: Option<String>,
    pub openness: Option<Openness>,
}

/// Catalogue items, newest first, keyset-paged on the id.
pub fn list(
    conn: &mut DbConn,
    filter: &CatalogueFilter,
    before: Option<&str>,
    limit: i64,
) -> AppResult<Page<CatalogueItemView>> {
    let mut query = catalogue_items::table
        .order(catalogue_items::id.desc())
        .into_boxed();
    if let Some(dept) = &filter.department {
        query = query.filter(catalogue_items::department.eq(dept.clone()));
    }
    if let Some(openness) = filter.openness {
        query = query.filter(catalogue_items::openness.eq(openness.as_str()));
    }
    if let Some(before) = before {
        query = query.filter(catalogue_items::id.lt(before.to_string()));
    }
    let rows: Vec<CatalogueItemRow> = query
        .limit(limit + 1)
        .select(CatalogueItemRow::as_select())
        .load(conn)?;
    Page::from_rows(rows, limit, |r| r.id.clone(), |r| r).try_map(CatalogueItemView::try_from)
}
