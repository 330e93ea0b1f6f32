-- The public side: registered members of the public (not staff: they
-- never appear in `users` and their tokens are never valid on /api/v1),
-- their API keys, their applications for conditionally open data
-- (有条件开放), and a trace of every public download (行为追溯). The
-- access log is not part of the audit chain: it is high-volume and kept
-- for a configurable time; downloads of conditional data are audit events too.
CREATE TABLE public_accounts (
    id TEXT PRIMARY KEY NOT NULL,
    -- Lower-cased at registration: one account per address.
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    organisation TEXT,
    password_hash TEXT NOT NULL,
    -- SHA-256 of the mailed verification token while it is outstanding.
    verify_digest TEXT UNIQUE,
    verify_expires_at TIMESTAMP,
    verified_at TIMESTAMP,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE TABLE public_keys (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES public_accounts(id),
    -- SHA-256 of the key: the table holds nothing that could be replayed.
    key_digest TEXT NOT NULL UNIQUE,
    -- The key's first characters, so its owner can tell keys apart.
    prefix TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX public_keys_account ON public_keys(account_id, id);
CREATE TABLE access_applications (
    id TEXT PRIMARY KEY NOT NULL,
    release_id TEXT NOT NULL REFERENCES releases(id),
    account_id TEXT NOT NULL REFERENCES public_accounts(id),
    purpose TEXT NOT NULL,
    intended_use TEXT NOT NULL,
    -- pending | approved | refused | revoked
    state TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    decided_by TEXT REFERENCES users(id),
    decided_at TIMESTAMP,
    reason TEXT
);
CREATE INDEX access_applications_grant ON access_applications(release_id, account_id, state);
CREATE INDEX access_applications_state ON access_applications(state, id);
CREATE INDEX access_applications_account ON access_applications(account_id, id);
CREATE TABLE access_log (
    -- A ULID: ordered by time, so it is the keyset cursor too.
    id TEXT PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    release_id TEXT NOT NULL,
    file_name TEXT NOT NULL,
    account_id TEXT,
    key_id TEXT,
    address TEXT NOT NULL,
    user_agent TEXT,
    -- The HTTP status answered: refusals are traced as well as downloads.
    status INTEGER NOT NULL,
    bytes BIGINT NOT NULL
);
CREATE INDEX access_log_release ON access_log(release_id, id);
CREATE INDEX access_log_account ON access_log(account_id, id);
CREATE INDEX access_log_at ON access_log(at);
