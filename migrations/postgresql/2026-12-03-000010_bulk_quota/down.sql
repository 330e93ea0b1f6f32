ALTER TABLE public_accounts DROP COLUMN requests_per_minute;
