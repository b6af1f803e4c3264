-- $2 asks the other side ($3) of chat $1 to talk again, until $4. The invitation reaches the
-- invitee through the outbox, written in the same statement so that a crash cannot lose it; its
-- buttons carry the token and nothing else. No row back: $2 had asked after this chat before.
WITH invitation AS (
    INSERT INTO reconnect_invitations (chat_id, asker_id, invitee_id, expires_at)
    VALUES ($1, $2, $3, $4)
    ON CONFLICT (chat_id, asker_id) DO NOTHING
    RETURNING token, chat_id, invitee_id
), notice AS (
    INSERT INTO outbox (kind, recipient_id, chat_id, details)
    SELECT 'reconnect_invite', invitee_id, chat_id, jsonb_build_object('token', token) FROM invitation
)
SELECT token FROM invitation
