-- A finding whose place no rendition rewrites (a workbook's sheet name,
-- defined name or validation list): dispositioned `redact`, it needs a
-- version without it, like a finding in a PDF.
ALTER TABLE findings ADD COLUMN rewritable BOOLEAN NOT NULL DEFAULT TRUE;
