DROP TABLE access_log;
DROP TABLE access_applications;
DROP TABLE public_keys;
DROP TABLE public_accounts;
