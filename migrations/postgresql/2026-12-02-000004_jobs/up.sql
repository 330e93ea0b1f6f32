-- Background work that must survive a restart and run once across several
-- instances: inspection of uploaded files first. A worker claims a due job
-- by setting `locked_by` and a lease (`locked_until`) that it renews while
-- it works; a job whose lease ran out (its worker died) is claimed again.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    -- The release the job works on, so its page can show the job's progress.
    subject TEXT,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    run_at TIMESTAMP NOT NULL,
    locked_by TEXT,
    locked_until TIMESTAMP,
    progress TEXT,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX jobs_due ON jobs(state, run_at);
CREATE INDEX jobs_subject ON jobs(subject);
