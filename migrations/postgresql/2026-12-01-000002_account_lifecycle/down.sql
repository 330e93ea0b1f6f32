ALTER TABLE users ADD COLUMN locked_until TIMESTAMP;
ALTER TABLE users DROP COLUMN sessions_valid_after;
