-- The invitee $2 declines invitation $1; the asker hears "not now", through the outbox, and nothing
-- else. No row back: unknown, someone else's, used, declined or expired.
WITH declined AS (
    UPDATE reconnect_invitations
    SET status = 'declined'
    WHERE token = $1 AND invitee_id = $2 AND status = 'pending' AND expires_at > now()
    RETURNING token, chat_id, asker_id, invitee_id
), notice AS (
    INSERT INTO outbox (kind, recipient_id, chat_id) SELECT 'reconnect_declined', asker_id, chat_id FROM declined
)
SELECT * FROM declined
