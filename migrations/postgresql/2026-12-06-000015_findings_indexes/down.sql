DROP INDEX findings_unrewritable;
UPDATE findings SET rewritable = TRUE WHERE segment = -2;
DROP INDEX findings_category_severity;
DROP INDEX findings_undisposed;
DROP INDEX findings_file;
