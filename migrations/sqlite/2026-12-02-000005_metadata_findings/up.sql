-- Release metadata is scanned like a file: a finding in the title, the
-- description or a file name has `field` set; title and description
-- findings belong to no file. SQLite cannot drop NOT NULL in place, so the
-- table is rebuilt (nothing references it).
CREATE TABLE findings_new (
    id TEXT PRIMARY KEY NOT NULL,
    release_id TEXT NOT NULL REFERENCES releases(id),
    version INTEGER NOT NULL,
    file_id TEXT REFERENCES files(id),
    entity TEXT NOT NULL,
    detector TEXT NOT NULL,
    category TEXT NOT NULL,
    severity TEXT NOT NULL,
    severity_rank INTEGER NOT NULL,
    confidence DOUBLE PRECISION NOT NULL,
    location TEXT NOT NULL,
    column_ref TEXT,
    segment INTEGER NOT NULL,
    start_byte INTEGER NOT NULL,
    end_byte INTEGER NOT NULL,
    excerpt TEXT NOT NULL,
    masked_value TEXT NOT NULL,
    disposition TEXT,
    disposition_note TEXT,
    disposed_by TEXT REFERENCES users(id),
    disposed_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    field TEXT
);
INSERT INTO findings_new (id, release_id, version, file_id, entity, detector, category,
    severity, severity_rank, confidence, location, column_ref, segment, start_byte, end_byte,
    excerpt, masked_value, disposition, disposition_note, disposed_by, disposed_at, created_at)
SELECT id, release_id, version, file_id, entity, detector, category,
    severity, severity_rank, confidence, location, column_ref, segment, start_byte, end_byte,
    excerpt, masked_value, disposition, disposition_note, disposed_by, disposed_at, created_at
FROM findings;
DROP TABLE findings;
ALTER TABLE findings_new RENAME TO findings;
CREATE INDEX findings_release_version_id ON findings(release_id, version, id);
CREATE INDEX findings_diff ON findings(release_id, version, entity, masked_value);
-- What the public sees: the metadata with its `redact` findings masked,
-- written at publication like the files' renditions.
ALTER TABLE releases ADD COLUMN public_title TEXT;
ALTER TABLE releases ADD COLUMN public_description TEXT;
ALTER TABLE files ADD COLUMN public_name TEXT;
UPDATE releases SET public_title = title, public_description = description
    WHERE published_at IS NOT NULL;
UPDATE files SET public_name = name WHERE published_sha256 IS NOT NULL;
