-- 社会评价: a verified member of the public rates a published release on
-- five dimensions, 1 to 5; one rating per member and release, changeable.
CREATE TABLE ratings (
    id TEXT PRIMARY KEY NOT NULL,
    release_id TEXT NOT NULL REFERENCES releases(id),
    account_id TEXT NOT NULL REFERENCES public_accounts(id),
    availability INTEGER NOT NULL CHECK (availability BETWEEN 1 AND 5),
    completeness INTEGER NOT NULL CHECK (completeness BETWEEN 1 AND 5),
    accuracy INTEGER NOT NULL CHECK (accuracy BETWEEN 1 AND 5),
    timeliness INTEGER NOT NULL CHECK (timeliness BETWEEN 1 AND 5),
    security INTEGER NOT NULL CHECK (security BETWEEN 1 AND 5),
    comment TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (release_id, account_id)
);

-- 需求征集: what the public asks departments to open. `department` is
-- who answers; unassigned requests go to whichever department answers
-- first. The contact is never shown to the public; a request withheld
-- (with its reason) is not listed publicly either.
CREATE TABLE demands (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES public_accounts(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    department TEXT REFERENCES departments(code),
    contact TEXT NOT NULL,
    -- open | accepted | planned | declined
    status TEXT NOT NULL,
    answer TEXT,
    reason TEXT,
    withheld_reason TEXT,
    answered_by TEXT REFERENCES users(id),
    answered_at TIMESTAMP,
    due_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX demands_department ON demands(department, id);
