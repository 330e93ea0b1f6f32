-- The audit log becomes an RFC 6962 Merkle tree over the events' canonical
-- bytes. audit_tree keeps every complete subtree's hash at its dense index
-- (golang.org/x/mod/sumdb/tlog's layout), so roots and proofs read O(log n)
-- rows. Checkpoints now sign the tree head as a C2SP signed note; the
-- chain-head signatures they replace are dropped (the service signs a new
-- checkpoint at start) — the hash chain itself is unchanged.
ALTER TABLE audit_head ADD COLUMN tree_size BIGINT NOT NULL DEFAULT 0;

CREATE TABLE audit_tree (
    idx BIGINT PRIMARY KEY NOT NULL,
    hash BLOB NOT NULL
);

DROP TABLE audit_checkpoints;
CREATE TABLE audit_checkpoints (
    size BIGINT PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    root TEXT NOT NULL,
    note TEXT NOT NULL
);

CREATE TRIGGER audit_tree_no_update BEFORE UPDATE ON audit_tree
BEGIN SELECT RAISE(ABORT, 'audit_tree is append-only'); END;
CREATE TRIGGER audit_tree_no_delete BEFORE DELETE ON audit_tree
BEGIN SELECT RAISE(ABORT, 'audit_tree is append-only'); END;
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
