DELETE FROM outbox WHERE kind IN ('reconnect_invite', 'reconnect_declined');
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('partner_found', 'partner_left', 'you_left', 'album'));
CREATE INDEX chat_participants_user ON chat_participants (user_id);
DROP INDEX chat_participants_user_chat;
DROP TABLE reconnect_invitations;
