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
CREATE TRIGGER audit_cosignatures_append_only BEFORE UPDATE OR DELETE ON audit_cosignatures
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_cosignatures_no_truncate BEFORE TRUNCATE ON audit_cosignatures
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
