DELETE FROM admin_audit WHERE action = 'set_age';
ALTER TABLE admin_audit DROP CONSTRAINT admin_audit_action_check;
ALTER TABLE admin_audit ADD CONSTRAINT admin_audit_action_check
    CHECK (action IN ('stats', 'list_reports', 'open_report', 'reveal', 'ban', 'unban', 'close_report'));
UPDATE chats SET end_reason = 'stop' WHERE end_reason = 'no_longer_compatible';
ALTER TABLE chats DROP CONSTRAINT chats_end_reason_check;
ALTER TABLE chats ADD CONSTRAINT chats_end_reason_check
    CHECK (end_reason IN ('stop', 'next', 'deleted', 'bot_blocked', 'banned'));
DROP TRIGGER fix_age_class ON users;
DROP FUNCTION fix_age_class();
ALTER TABLE users DROP CONSTRAINT users_age_in_class;
ALTER TABLE users DROP COLUMN age_class;
