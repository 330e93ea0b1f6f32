ALTER TABLE files DROP COLUMN public_name;
ALTER TABLE releases DROP COLUMN public_description;
ALTER TABLE releases DROP COLUMN public_title;
DELETE FROM findings WHERE file_id IS NULL;
ALTER TABLE findings DROP COLUMN field;
ALTER TABLE findings ALTER COLUMN file_id SET NOT NULL;
