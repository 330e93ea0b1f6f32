ALTER TABLE demands DROP COLUMN reminded_at;
DROP TABLE plan_items;
DROP TABLE catalogue_items;
