ALTER TABLE demands DROP COLUMN public_description;
ALTER TABLE demands DROP COLUMN public_title;
ALTER TABLE demands DROP COLUMN reminded_at;
DROP TABLE plan_items;
DROP TABLE catalogue_items;
