-- Tokens issued before this instant are refused (a password change, a
-- disabled account, a role taken away). Replaces the account lockout,
-- which a stranger could trigger to keep a reviewer out.
ALTER TABLE users ADD COLUMN sessions_valid_after TIMESTAMP;
ALTER TABLE users DROP COLUMN locked_until;
