//! The public blocklist (黑名单): an administrator refuses an account, an
//! API key or an address range on every public route, at once. Adding and
//! removing are audited; removed entries stay on record.

use std::net::IpAddr;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::accounts::PublicCaller;
use crate::auth::CurrentUser;
use crate::db::models::BlockRow;
use crate::db::schema::{blocklist, public_accounts, public_keys};
use crate::db::{write_tx, DbConn};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::policy::Role;
use crate::service::audit_log;
use crate::service::fields::required_text;
use crate::service::releases::Page;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    /// A public account, by id.
    Account,
    /// An API key, by id.
    Key,
    /// An address or a CIDR range (`203.0.113.0/24`, `2001:db8::/32`).
    Ip,
}

impl BlockKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::Key => "key",
            Self::Ip => "ip",
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BlockView {
    pub id: String,
    pub kind: String,
    pub value: String,
    pub reason: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub removed_at: Option<String>,
}

impl From<BlockRow> for BlockView {
    fn from(r: BlockRow) -> Self {
        Self {
            id: r.id,
            kind: r.kind,
            value: r.value,
            reason: r.reason,
            created_at: crate::audit::format_time(&r.created_at),
            removed_at: r.removed_at.as_ref().map(crate::audit::format_time),
        }
    }
}

fn require_admin(user: &CurrentUser) -> AppResult<()> {
    user.require(Role::Admin)
}

/// The stored form of an address entry: a network in canonical form (a
/// bare address is its /32 or /128).
fn network(value: &str) -> AppResult<IpNet> {
    let value = value.trim();
    value
        .parse::<IpNet>()
        .map(|n| n.trunc())
        .or_else(|_| value.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| AppError::Rule {
            code: ErrorCode::InvalidAddress,
            message: format!("value {value:?} is not an address or a CIDR range"),
        })
}

pub fn add_block(
    conn: &mut DbConn,
    user: &CurrentUser,
    kind: BlockKind,
    value: &str,
    reason: &str,
) -> AppResult<BlockView> {
    require_admin(user)?;
    let reason = required_text("reason", reason, 2000)?;
    let value = match kind {
        BlockKind::Ip => network(value)?.to_string(),
        _ => value.trim().to_string(),
    };
    write_tx(conn, |conn| {
        let known: i64 = match kind {
            BlockKind::Account => public_accounts::table
                .find(&value)
                .count()
                .get_result(conn)?,
            BlockKind::Key => public_keys::table.find(&value).count().get_result(conn)?,
            BlockKind::Ip => 1,
        };
        if known == 0 {
            return Err(AppError::NotFound(format!("no {} {value}", kind.as_str())));
        }
        let active: i64 = blocklist::table
            .filter(blocklist::kind.eq(kind.as_str()))
            .filter(blocklist::value.eq(&value))
            .filter(blocklist::removed_at.is_null())
            .count()
            .get_result(conn)?;
        if active > 0 {
            return Err(AppError::Rule {
                code: ErrorCode::Exists,
                message: format!("{} {value} is blocked already", kind.as_str()),
            });
        }
        let row = BlockRow {
            id: ulid::Ulid::new().to_string(),
            kind: kind.as_str().into(),
            value,
            reason,
            created_by: user.id.clone(),
            created_at: crate::audit::now(),
            removed_at: None,
        };
        diesel::insert_into(blocklist::table)
            .values(&row)
            .execute(conn)?;
        audit_log::append(
            conn,
            audit_log::draft(
                &user.username,
                crate::audit::Action::BlockAdded,
                None,
                serde_json::json!({"block": row.id, "kind": row.kind, "value": row.value, "reason": row.reason}),
            ),
        )?;
        Ok(BlockView::from(row))
    })
}

pub fn remove_block(conn: &mut DbConn, user: &CurrentUser, id: &str) -> AppResult<()> {
    require_admin(user)?;
    write_tx(conn, |conn| {
        let changed = diesel::update(
            blocklist::table
                .find(id)
                .filter(blocklist::removed_at.is_null()),
        )
        .set(blocklist::removed_at.eq(crate::audit::now()))
        .execute(conn)?;
        if changed == 0 {
            return Err(AppError::NotFound(format!("no active block {id}")));
        }
        audit_log::append(
            conn,
            audit_log::draft(
                &user.username,
                crate::audit::Action::BlockRemoved,
                None,
                serde_json::json!({"block": id}),
            ),
        )?;
        Ok(())
    })
}

/// Every entry, active and removed, newest first.
pub fn list_blocks(
    conn: &mut DbConn,
    user: &CurrentUser,
    before: Option<&str>,
    limit: i64,
) -> AppResult<Page<BlockView>> {
    require_admin(user)?;
    let mut query = blocklist::table.order(blocklist::id.desc()).into_boxed();
    if let Some(before) = before {
        query = query.filter(blocklist::id.lt(before.to_string()));
    }
    let rows: Vec<BlockRow> = query
        .limit(limit + 1)
        .select(BlockRow::as_select())
        .load(conn)?;
    Ok(Page::from_rows(
        rows,
        limit,
        |r| r.id.clone(),
        BlockView::from,
    ))
}

fn blocked(reason: &str) -> AppError {
    AppError::Blocked(format!("access refused by an administrator: {reason}"))
}

/// How long this instance trusts the address ranges it read: another
/// instance's change is seen within this; one made here at once.
const RANGES_FOR: Duration = Duration::from_secs(2);

/// The active blocked address ranges with their reasons, as last read.
/// Every public request is checked against them, so they are read from
/// the database at most every [`RANGES_FOR`], not per request.
#[derive(Default)]
pub struct BlockedRanges {
    read: RwLock<Option<(Instant, Ranges)>>,
}

/// Blocked networks with the reason given for each.
type Ranges = Arc<Vec<(IpNet, String)>>;

impl BlockedRanges {
    /// The verdict for `address` from ranges read recently; `None` when
    /// they must be read again ([`check_address`]).
    pub fn cached(&self, address: IpAddr) -> Option<AppResult<()>> {
        let read = self.read.read().unwrap_or_else(|e| e.into_inner());
        let (at, ranges) = read.as_ref()?;
        (at.elapsed() < RANGES_FOR).then(|| verdict(ranges, address))
    }

    /// Forgets the ranges, after a change on this instance.
    pub fn invalidate(&self) {
        *self.read.write().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// Reads the active ranges again and refuses `address` when one holds it.
/// Ranges are few; they are read whole and matched here (no SQL for CIDR
/// on SQLite).
pub fn check_address(ranges: &BlockedRanges, conn: &mut DbConn, address: IpAddr) -> AppResult<()> {
    let rows: Vec<(String, String)> = blocklist::table
        .filter(blocklist::kind.eq(BlockKind::Ip.as_str()))
        .filter(blocklist::removed_at.is_null())
        .select((blocklist::value, blocklist::reason))
        .load(conn)?;
    let fresh: Ranges = Arc::new(
        rows.into_iter()
            .filter_map(|(net, reason)| Some((net.parse().ok()?, reason)))
            .collect(),
    );
    *ranges.read.write().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), fresh.clone()));
    verdict(&fresh, address)
}

fn verdict(ranges: &[(IpNet, String)], address: IpAddr) -> AppResult<()> {
    match ranges.iter().find(|(net, _)| net.contains(&address)) {
        Some((net, reason)) => {
            tracing::warn!(%address, range = %net, "public request refused: blocked address");
            Err(blocked(reason))
        }
        None => Ok(()),
    }
}

/// Refuses a caller whose account or key is blocked.
pub fn check_caller(conn: &mut DbConn, caller: &PublicCaller) -> AppResult<()> {
    let mut query = blocklist::table
        .filter(blocklist::removed_at.is_null())
        .filter(
            blocklist::kind
                .eq(BlockKind::Account.as_str())
                .and(blocklist::value.eq(caller.account_id.clone())),
        )
        .into_boxed();
    if let Some(key) = &caller.key_id {
        query = query.or_filter(
            blocklist::removed_at.is_null().and(
                blocklist::kind
                    .eq(BlockKind::Key.as_str())
                    .and(blocklist::value.eq(key.clone())),
            ),
        );
    }
    let reason: Option<String> = query.select(blocklist::reason).first(conn).optional()?;
    match reason {
        Some(reason) => {
            tracing::warn!(account = %caller.account_id, key = ?caller.key_id, "public request refused: blocked account or key");
            Err(blocked(&reason))
        }
        None => Ok(()),
    }
}
