-- How many findings of a version still want a disposition, written when
-- its inspection concludes and lowered as findings are dispositioned (a
-- disposition is never withdrawn): the release page counted them over the
-- partial index each time, 0.19 s for a two-million-cell table nobody had
-- reviewed yet.
CREATE TABLE finding_backlogs (
    release_id TEXT NOT NULL REFERENCES releases(id),
    version INTEGER NOT NULL,
    undispositioned BIGINT NOT NULL,
    PRIMARY KEY (release_id, version)
);

-- Every concluded version with findings (they have tallies); column
-- summaries (segment -1) stand for cells already counted.
INSERT INTO finding_backlogs (release_id, version, undispositioned)
SELECT t.release_id, t.version,
       (SELECT COUNT(*) FROM findings f
        WHERE f.release_id = t.release_id AND f.version = t.version
          AND f.segment <> -1 AND f.disposition IS NULL)
FROM (SELECT DISTINCT release_id, version FROM finding_tallies) t;
