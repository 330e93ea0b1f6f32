ALTER TABLE findings DROP COLUMN rewritable;
