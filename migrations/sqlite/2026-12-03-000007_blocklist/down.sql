DROP TABLE blocklist;
