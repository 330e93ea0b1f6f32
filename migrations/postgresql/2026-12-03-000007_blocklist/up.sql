-- 黑名单: accounts, API keys and address ranges an administrator refuses
-- on the public side. A removal keeps the row (who blocked whom, and
-- when, stays answerable); only rows without `removed_at` refuse.
CREATE TABLE blocklist (
    id TEXT PRIMARY KEY NOT NULL,
    -- account | key | ip
    kind TEXT NOT NULL,
    -- An account id, a key id, or an address or CIDR range.
    value TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    removed_at TIMESTAMP
);
CREATE INDEX blocklist_active ON blocklist(kind, value, removed_at);
