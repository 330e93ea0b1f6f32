-- Release metadata is scanned like a file: a finding in the title, the
-- description or a file name has `field` set; title and description
-- findings belong to no file.
ALTER TABLE findings ALTER COLUMN file_id DROP NOT NULL;
ALTER TABLE findings ADD COLUMN field TEXT;
-- What the public sees: the metadata with its `redact` findings masked,
-- written at publication like the files' renditions.
ALTER TABLE releases ADD COLUMN public_title TEXT;
ALTER TABLE releases ADD COLUMN public_description TEXT;
ALTER TABLE files ADD COLUMN public_name TEXT;
UPDATE releases SET public_title = title, public_description = description
    WHERE published_at IS NOT NULL;
UPDATE files SET public_name = name WHERE published_sha256 IS NOT NULL;
