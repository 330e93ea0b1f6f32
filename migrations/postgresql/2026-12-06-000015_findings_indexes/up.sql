-- A table of half a million rows has millions of findings; every question
-- the review asks of them must be an index range, not a scan of them all.

-- A file's findings (publication reads the `redact` findings of each file).
CREATE INDEX findings_file ON findings(file_id, disposition, id);

-- What still needs a disposition: empty once a release has been reviewed,
-- so the "undispositioned findings" checks cost nothing then (in id order,
-- as they are listed, and covering what they filter on).
CREATE INDEX findings_undisposed ON findings(release_id, version, id, category, segment, severity_rank, disposition)
    WHERE disposition IS NULL;

-- Which categories a version has (one seek each), its blocking findings,
-- and its counts by severity from the index alone.
CREATE INDEX findings_category_severity ON findings(release_id, version, category, severity, segment, disposition);

-- Redact findings no rendition can honour: a whole part of a file (an
-- image, an embedded object) joins the workbook names among the places no
-- rendition rewrites, so one small partial index finds them all.
UPDATE findings SET rewritable = FALSE WHERE segment = -2;
CREATE INDEX findings_unrewritable ON findings(release_id, version, id) WHERE NOT rewritable;
