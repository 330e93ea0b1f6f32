-- A registered bulk user (注册登记): an organisation's account an
-- administrator gave its own request quota, in requests per minute, in
-- place of RELEASEGATE_PUBLIC_RATE_LIMIT. NULL: the default quota.
ALTER TABLE public_accounts ADD COLUMN requests_per_minute INTEGER;
