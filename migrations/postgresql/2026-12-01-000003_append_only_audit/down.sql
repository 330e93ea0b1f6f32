DROP TRIGGER audit_events_append_only ON audit_events;
DROP TRIGGER audit_events_no_truncate ON audit_events;
DROP TRIGGER audit_checkpoints_append_only ON audit_checkpoints;
DROP TRIGGER audit_checkpoints_no_truncate ON audit_checkpoints;
DROP FUNCTION audit_append_only();
