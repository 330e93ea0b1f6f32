-- Time and the people around a release.

-- A stage's clock: stopped (with a reason code) while the department waits
-- for the submitter (补正), a third party, the secrecy administration or a
-- consultation; the deadline moves by the working days stopped and by
-- extensions. Carried from row to row as the stage is re-evaluated.
ALTER TABLE release_stages ADD COLUMN clock_stopped_at TIMESTAMP;
ALTER TABLE release_stages ADD COLUMN clock_reason TEXT;
ALTER TABLE release_stages ADD COLUMN stopped_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE release_stages ADD COLUMN extended_days INTEGER NOT NULL DEFAULT 0;
-- The deadline runs through a year without a calendar file.
ALTER TABLE release_stages ADD COLUMN provisional BOOLEAN NOT NULL DEFAULT FALSE;

-- Retraction (410 Gone with the date and reason) and a hold before an
-- approved or embargoed release goes out.
ALTER TABLE releases ADD COLUMN retracted_at TIMESTAMP;
ALTER TABLE releases ADD COLUMN retraction_reason TEXT;
ALTER TABLE releases ADD COLUMN held_at TIMESTAMP;
ALTER TABLE releases ADD COLUMN held_by TEXT REFERENCES users(id);
ALTER TABLE releases ADD COLUMN hold_reason TEXT;

-- A reviewer who recused themselves (conflict of interest) decides nothing
-- of the release again.
CREATE TABLE recusals (
    id TEXT PRIMARY KEY NOT NULL,
    release_id TEXT NOT NULL REFERENCES releases(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    stage TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (release_id, user_id)
);

-- A reviewer on leave hands their work to a colleague of the same role and
-- department for a period; revoked early by deleting it.
CREATE TABLE delegations (
    id TEXT PRIMARY KEY NOT NULL,
    from_user TEXT NOT NULL REFERENCES users(id),
    to_user TEXT NOT NULL REFERENCES users(id),
    starts_at TIMESTAMP NOT NULL,
    until TIMESTAMP NOT NULL,
    note TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX delegations_from ON delegations(from_user, until);
CREATE INDEX delegations_to ON delegations(to_user, until);

-- Reminders and escalations already sent: one per stage, kind and deadline,
-- so a sweep never sends the same one twice and a moved deadline re-arms them.
CREATE TABLE reminders_sent (
    release_id TEXT NOT NULL REFERENCES releases(id),
    stage TEXT NOT NULL,
    kind TEXT NOT NULL,
    deadline TIMESTAMP NOT NULL,
    sent_at TIMESTAMP NOT NULL,
    PRIMARY KEY (release_id, stage, kind, deadline)
);

-- 会签 by silence (only where the policy allows it for a co-department
-- stage): a co-department that did not answer in time is taken to consent
-- to this version. Counted like a signature; a new version needs new ones.
CREATE TABLE silent_consents (
    release_id TEXT NOT NULL REFERENCES releases(id),
    stage TEXT NOT NULL,
    version INTEGER NOT NULL,
    department TEXT NOT NULL REFERENCES departments(code),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (release_id, stage, version, department)
);
