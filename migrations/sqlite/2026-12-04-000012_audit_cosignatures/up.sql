-- Signatures a second party (e.g. the secrecy office) adds to a checkpoint,
-- each a C2SP signed-note signature line over the checkpoint's text. No
-- foreign key: audit_checkpoints is append-only, and a key would make
-- TRUNCATE there fail for another reason than its own trigger.
CREATE TABLE audit_cosignatures (
    size BIGINT NOT NULL,
    key_name TEXT NOT NULL,
    signature TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    PRIMARY KEY (size, key_name)
);
CREATE TRIGGER audit_cosignatures_no_update BEFORE UPDATE ON audit_cosignatures
BEGIN SELECT RAISE(ABORT, 'audit_cosignatures is append-only'); END;
CREATE TRIGGER audit_cosignatures_no_delete BEFORE DELETE ON audit_cosignatures
BEGIN SELECT RAISE(ABORT, 'audit_cosignatures is append-only'); END;
