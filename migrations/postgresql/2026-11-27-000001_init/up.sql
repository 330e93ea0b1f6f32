CREATE TABLE settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE departments (
    code TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    roles TEXT NOT NULL,
    department TEXT REFERENCES departments(code),
    email TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);

-- Sessions ended by signing out, until their token would have expired anyway.
CREATE TABLE revoked_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX revoked_tokens_expiry ON revoked_tokens(expires_at);

CREATE TABLE releases (
    id TEXT PRIMARY KEY NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    department TEXT NOT NULL REFERENCES departments(code),
    co_departments TEXT NOT NULL,
    data_category TEXT NOT NULL,
    open_mode TEXT NOT NULL,
    cross_border BOOLEAN NOT NULL,
    publish_at TIMESTAMP,
    state TEXT NOT NULL,
    version INTEGER NOT NULL,
    submitter_id TEXT NOT NULL REFERENCES users(id),
    policy_digest TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    published_at TIMESTAMP
);
CREATE INDEX releases_state_id ON releases(state, id);
CREATE INDEX releases_department_id ON releases(department, id);
CREATE INDEX releases_submitter_id ON releases(submitter_id, id);

CREATE TABLE release_versions (
    id TEXT PRIMARY KEY NOT NULL,
    release_id TEXT NOT NULL REFERENCES releases(id),
    version INTEGER NOT NULL,
    digest TEXT NOT NULL,
    meta TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (release_id, version)
);

CREATE TABLE files (
    id TEXT PRIMARY KEY NOT NULL,
    release_id TEXT NOT NULL REFERENCES releases(id),
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    kind TEXT NOT NULL,
    encoding TEXT,
    published_sha256 TEXT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (release_id, version, name)
);

CREATE TABLE findings (
    id TEXT PRIMARY KEY NOT NULL,
    release_id TEXT NOT NULL REFERENCES releases(id),
    version INTEGER NOT NULL,
    file_id TEXT NOT NULL REFERENCES files(id),
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
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX findings_release_version_id ON findings(release_id, version, id);
-- The release page's version diff looks findings up by what they found where.
CREATE INDEX findings_diff ON findings(release_id, version, entity, masked_value);

CREATE TABLE release_stages (
    release_id TEXT NOT NULL REFERENCES releases(id),
    stage TEXT NOT NULL,
    position INTEGER NOT NULL,
    status TEXT NOT NULL,
    role TEXT NOT NULL,
    departments TEXT,
    required_approvals INTEGER NOT NULL,
    approvals INTEGER NOT NULL,
    actionable BOOLEAN NOT NULL,
    opened_at TIMESTAMP,
    decided_at TIMESTAMP,
    deadline TIMESTAMP,
    queue_rank TEXT NOT NULL,
    PRIMARY KEY (release_id, stage)
);
CREATE INDEX release_stages_queue ON release_stages(actionable, role, queue_rank, release_id);
-- The supervisor overview: open stages, and the latest decided ones per stage key.
CREATE INDEX release_stages_status ON release_stages(status, stage);
CREATE INDEX release_stages_decided ON release_stages(stage, decided_at);

CREATE TABLE stage_decisions (
    id TEXT PRIMARY KEY NOT NULL,
    release_id TEXT NOT NULL REFERENCES releases(id),
    version INTEGER NOT NULL,
    stage TEXT NOT NULL,
    actor_id TEXT NOT NULL REFERENCES users(id),
    actor_department TEXT,
    decision TEXT NOT NULL,
    comment TEXT NOT NULL,
    digest TEXT NOT NULL,
    dismissed BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX stage_decisions_release ON stage_decisions(release_id, created_at);

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY NOT NULL,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_events (
    seq BIGINT PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    release_id TEXT,
    version INTEGER,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    canonical BYTEA NOT NULL
);
CREATE INDEX audit_events_release ON audit_events(release_id, seq);
CREATE INDEX audit_events_actor ON audit_events(actor, seq);
CREATE INDEX audit_events_action ON audit_events(action, seq);
CREATE INDEX audit_events_at ON audit_events(at, seq);

CREATE TABLE audit_checkpoints (
    seq BIGINT PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    hash TEXT NOT NULL,
    public_key TEXT NOT NULL,
    signature TEXT NOT NULL
);

CREATE TABLE outbox (
    id TEXT PRIMARY KEY NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL,
    sent_at TIMESTAMP,
    last_error TEXT
);
CREATE INDEX outbox_due ON outbox(sent_at, next_attempt_at);
