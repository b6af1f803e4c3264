-- The invitee $2 takes up invitation $1: it works once, and only until it expires. No row back:
-- unknown, someone else's, used, declined or expired. The row stays locked until the caller's
-- transaction ends, so a block of the pair made meanwhile (sql/block_partner.sql withdraws the
-- pair's pending invitations) waits for it, and then finds the chat it opened.
UPDATE reconnect_invitations
SET status = 'accepted'
WHERE token = $1 AND invitee_id = $2 AND status = 'pending' AND expires_at > now()
RETURNING token, chat_id, asker_id, invitee_id
