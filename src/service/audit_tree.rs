//! The audit Merkle tree on the database: its stored hashes, signed
//! checkpoints and proofs. Every function reads only the O(log n) hashes it
//! needs (`audit::merkle`), whatever the size of the log.

use std::cell::RefCell;

use diesel::prelude::*;

use crate::audit;
use crate::audit::checkpoint::{self, CheckpointKey};
use crate::audit::merkle::{self, Hash, HashReader};
use crate::db::models::CheckpointRow;
use crate::db::schema::{
    audit_checkpoints, audit_cosignatures, audit_events, audit_head, audit_tree,
};
use crate::db::DbConn;
use crate::error::{AppError, AppResult, ErrorCode};

/// Stored hashes read through a connection. `tlog_tiles` asks through a
/// shared reference and knows only its own errors, so a database error is
/// kept here and handed back by [`Stored::finish`].
struct Stored<'a> {
    conn: RefCell<&'a mut DbConn>,
    failed: RefCell<Option<diesel::result::Error>>,
}

impl<'a> Stored<'a> {
    fn new(conn: &'a mut DbConn) -> Self {
        Self {
            conn: RefCell::new(conn),
            failed: RefCell::new(None),
        }
    }

    /// The result of a tree computation, with the database's error first.
    /// The tree's own errors (a stored hash missing or of the wrong length)
    /// mean the stored rows cannot be read as a tree.
    fn finish<T>(self, result: Result<T, tlog_tiles::Error>) -> QueryResult<T> {
        if let Some(err) = self.failed.into_inner() {
            return Err(err);
        }
        result.map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))
    }
}

impl HashReader for Stored<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        let wanted: Vec<i64> = indexes.iter().map(|&i| i as i64).collect();
        let rows: Vec<(i64, Vec<u8>)> = match audit_tree::table
            .filter(audit_tree::idx.eq_any(&wanted))
            .select((audit_tree::idx, audit_tree::hash))
            .load(&mut **self.conn.borrow_mut())
        {
            Ok(rows) => rows,
            Err(err) => {
                *self.failed.borrow_mut() = Some(err);
                return Err(tlog_tiles::Error::IndexesNotInTree);
            }
        };
        let found: std::collections::HashMap<i64, Vec<u8>> = rows.into_iter().collect();
        wanted
            .iter()
            .map(|i| {
                let bytes = found.get(i).ok_or(tlog_tiles::Error::IndexesNotInTree)?;
                Ok(Hash(
                    bytes
                        .as_slice()
                        .try_into()
                        .map_err(|_| tlog_tiles::Error::MalformedHash)?,
                ))
            })
            .collect()
    }
}

/// Adds leaf `index` (event `index + 1`) to the tree. Runs inside the
/// audited write's transaction, under the chain lock.
pub fn add_leaf(conn: &mut DbConn, index: u64, canonical: &[u8]) -> QueryResult<()> {
    let stored = Stored::new(conn);
    let hashes = merkle::hashes_to_store(index, merkle::leaf_hash(canonical), &stored);
    let hashes = stored.finish(hashes)?;
    // One row at a time: diesel's connection over both backends has no
    // multi-row insert, and there are two rows a leaf on average.
    let first = merkle::stored_index(index) as i64;
    for (idx, hash) in (first..).zip(&hashes) {
        diesel::insert_into(audit_tree::table)
            .values((
                audit_tree::idx.eq(idx),
                audit_tree::hash.eq(hash.0.as_slice()),
            ))
            .execute(conn)?;
    }
    diesel::update(audit_head::table.find(1))
        .set(audit_head::tree_size.eq(index as i64 + 1))
        .execute(conn)?;
    Ok(())
}

/// Brings the tree up to the chain head: events written before the tree
/// existed are added in seq order. Returns how many were added.
pub fn catch_up(conn: &mut DbConn) -> QueryResult<u64> {
    crate::db::write_tx(conn, |conn| {
        let mut added = 0;
        loop {
            let size: i64 = audit_head::table
                .find(1)
                .select(audit_head::tree_size)
                .first(conn)?;
            let batch: Vec<(i64, Vec<u8>)> = audit_events::table
                .filter(audit_events::seq.gt(size))
                .order(audit_events::seq.asc())
                .limit(1000)
                .select((audit_events::seq, audit_events::canonical))
                .load(conn)?;
            if batch.is_empty() {
                return Ok(added);
            }
            for (seq, canonical) in batch {
                add_leaf(conn, seq as u64 - 1, &canonical)?;
                added += 1;
            }
        }
    })
}

/// The root of the stored tree of `size` leaves.
pub fn root(conn: &mut DbConn, size: u64) -> QueryResult<Hash> {
    let stored = Stored::new(conn);
    let root = merkle::root(size, &stored);
    stored.finish(root)
}

/// How many events the tree holds.
pub fn size(conn: &mut DbConn) -> QueryResult<u64> {
    let size: i64 = audit_head::table
        .find(1)
        .select(audit_head::tree_size)
        .first(conn)?;
    Ok(size as u64)
}

/// Signs the current tree head unless it is signed already; returns the
/// newest checkpoint either way (None while the log is empty) and whether
/// it was signed now. Runs under the chain lock so the head cannot move.
pub fn checkpoint(
    conn: &mut DbConn,
    key: &CheckpointKey,
) -> AppResult<Option<(CheckpointRow, bool)>> {
    crate::db::write_tx(conn, |conn| {
        let size = size(conn)?;
        let last = latest(conn)?;
        if size == 0 || last.as_ref().is_some_and(|c| c.size as u64 == size) {
            return Ok(last.map(|c| (c, false)));
        }
        let root = root(conn, size)?;
        let row = CheckpointRow {
            size: size as i64,
            at: audit::now(),
            root: merkle::to_hex(&root),
            note: key
                .sign(size, root)
                .map_err(|e| AppError::internal(anyhow::anyhow!(e)))?,
        };
        diesel::insert_into(audit_checkpoints::table)
            .values(&row)
            .execute(conn)?;
        Ok(Some((row, true)))
    })
}

/// The newest signed checkpoint.
pub fn latest(conn: &mut DbConn) -> QueryResult<Option<CheckpointRow>> {
    audit_checkpoints::table
        .order(audit_checkpoints::size.desc())
        .select(CheckpointRow::as_select())
        .first(conn)
        .optional()
}

/// Stored checkpoints for tree sizes in `(after, upto]`, smallest first.
pub fn checkpoints_between(
    conn: &mut DbConn,
    after: i64,
    upto: i64,
) -> QueryResult<Vec<CheckpointRow>> {
    audit_checkpoints::table
        .filter(audit_checkpoints::size.gt(after))
        .filter(audit_checkpoints::size.le(upto))
        .order(audit_checkpoints::size.asc())
        .select(CheckpointRow::as_select())
        .load(conn)
}

/// The tree size a proof is for: the one asked for, once checked against
/// the log; by default the newest signed checkpoint's, which is what a
/// client holds (the whole tree while none is signed).
fn tree_size(conn: &mut DbConn, name: &str, asked: Option<u64>) -> AppResult<u64> {
    let Some(value) = asked else {
        return match latest(conn)? {
            Some(c) => Ok(c.size as u64),
            None => Ok(size(conn)?),
        };
    };
    let size = size(conn)?;
    if value == 0 || value > size {
        return Err(AppError::Rule {
            code: ErrorCode::OutsideLog,
            message: format!("{name}: {value} is outside the log, which holds events 1..{size}"),
        });
    }
    Ok(value)
}

/// The audit path of event `seq` in the tree of `size` events (default:
/// the newest checkpoint's), with that size.
pub fn inclusion_proof(
    conn: &mut DbConn,
    seq: u64,
    size: Option<u64>,
) -> AppResult<(u64, Vec<Hash>)> {
    let size = tree_size(conn, "size", size)?;
    if seq == 0 || seq > size {
        return Err(AppError::Rule {
            code: ErrorCode::OutsideLog,
            message: format!("seq: {seq} is not an event of the tree of {size}"),
        });
    }
    let stored = Stored::new(conn);
    let proof = merkle::inclusion_proof(seq - 1, size, &stored);
    Ok((size, stored.finish(proof)?))
}

/// The proof that the tree of `from` events is a prefix of the tree of `to`
/// (default: the newest checkpoint's), with that `to`.
pub fn consistency_proof(
    conn: &mut DbConn,
    from: u64,
    to: Option<u64>,
) -> AppResult<(u64, Vec<Hash>)> {
    let to = tree_size(conn, "to", to)?;
    if from > to {
        return Err(AppError::Rule {
            code: ErrorCode::OutsideLog,
            message: format!("from: {from} is larger than to ({to})"),
        });
    }
    let stored = Stored::new(conn);
    let proof = merkle::consistency_proof(from, to, &stored);
    Ok((to, stored.finish(proof)?))
}

/// Adds `line`, a co-signer's signature over the checkpoint of `size`
/// events, after checking it is by one of `cosigners` and holds. Audited.
pub fn add_cosignature(
    conn: &mut DbConn,
    actor: &str,
    size: i64,
    line: &str,
    cosigners: &[signed_note::StandardVerifier],
) -> AppResult<String> {
    crate::db::write_tx(conn, |conn| {
        let note: String = audit_checkpoints::table
            .find(size)
            .select(audit_checkpoints::note)
            .first(conn)
            .optional()?
            .ok_or_else(|| AppError::NotFound(format!("no checkpoint of {size} events")))?;
        let line = line.trim_end_matches('\n');
        let signature =
            signed_note::Signature::from_bytes(line.as_bytes()).map_err(|_| AppError::Rule {
                code: ErrorCode::BadCosignature,
                message: "signature: not a signed-note signature line (— name base64)".into(),
            })?;
        let cosigner = cosigners
            .iter()
            .find(|k| {
                let k = *k as &dyn signed_note::Verifier;
                k.name() == signature.name() && k.key_id() == signature.id()
            })
            .ok_or_else(|| AppError::Rule {
                code: ErrorCode::UnknownCosigner,
                message: format!(
                    "{}: not a co-signer of this log (RELEASEGATE_AUDIT_COSIGNERS)",
                    signature.name()
                ),
            })?;
        checkpoint::check_cosignature(note.as_bytes(), line, cosigner).map_err(|message| {
            AppError::Rule {
                code: ErrorCode::BadCosignature,
                message,
            }
        })?;
        let name = signature.name().to_string();
        let exists = audit_cosignatures::table
            .find((size, &name))
            .count()
            .get_result::<i64>(conn)?
            > 0;
        if exists {
            return Err(AppError::Rule {
                code: ErrorCode::Exists,
                message: format!("{name} has co-signed this checkpoint already"),
            });
        }
        diesel::insert_into(audit_cosignatures::table)
            .values((
                audit_cosignatures::size.eq(size),
                audit_cosignatures::key_name.eq(&name),
                audit_cosignatures::signature.eq(format!("{line}\n")),
                audit_cosignatures::at.eq(audit::now()),
            ))
            .execute(conn)?;
        super::audit_log::append(
            conn,
            super::audit_log::draft(
                actor,
                audit::Action::CheckpointCosigned,
                None,
                serde_json::json!({"size": size, "cosigner": name}),
            ),
        )?;
        Ok(name)
    })
}

/// The checkpoint as served: the log's note with every co-signature after
/// its own signature line.
pub fn with_cosignatures(conn: &mut DbConn, row: &CheckpointRow) -> QueryResult<String> {
    let lines: Vec<String> = audit_cosignatures::table
        .filter(audit_cosignatures::size.eq(row.size))
        .order(audit_cosignatures::at.asc())
        .select(audit_cosignatures::signature)
        .load(conn)?;
    Ok(lines
        .iter()
        .fold(row.note.clone(), |note, line| note + line))
}
