-- 开放目录: the data resources a department holds and how open each is.
-- A closed resource (不予开放) names the law or rule that keeps it closed.
CREATE TABLE catalogue_items (
    id TEXT PRIMARY KEY NOT NULL,
    department TEXT NOT NULL REFERENCES departments(code),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    -- unconditional (无条件开放) | conditional (有条件开放) | closed (不予开放)
    openness TEXT NOT NULL,
    legal_basis TEXT,
    -- daily | weekly | monthly | quarterly | semiannual | annual | irregular | once
    update_frequency TEXT NOT NULL,
    -- JSON list of the resource's field names
    fields TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (department, title)
);
CREATE INDEX catalogue_items_department ON catalogue_items(department, id);

-- 年度开放计划: what a department will open by when, one catalogue item at
-- most once a year. A published release of the department fulfils it.
CREATE TABLE plan_items (
    id TEXT PRIMARY KEY NOT NULL,
    year INTEGER NOT NULL,
    department TEXT NOT NULL REFERENCES departments(code),
    catalogue_item_id TEXT NOT NULL REFERENCES catalogue_items(id),
    due_on DATE NOT NULL,
    release_id TEXT REFERENCES releases(id),
    -- the local (deployment time zone) day it was fulfilled
    fulfilled_on DATE,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (year, catalogue_item_id)
);
CREATE INDEX plan_items_year ON plan_items(year, department, id);
CREATE INDEX plan_items_release ON plan_items(release_id);

-- When the department was reminded that a data request falls due (once).
ALTER TABLE demands ADD COLUMN reminded_at TIMESTAMP;
-- What the public is shown of a request's title and description when the
-- scanner found personal data or credentials in them (masked); NULL: as sent.
ALTER TABLE demands ADD COLUMN public_title TEXT;
ALTER TABLE demands ADD COLUMN public_description TEXT;
