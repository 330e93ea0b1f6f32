DROP TRIGGER audit_events_no_update;
DROP TRIGGER audit_events_no_delete;
DROP TRIGGER audit_checkpoints_no_update;
DROP TRIGGER audit_checkpoints_no_delete;
