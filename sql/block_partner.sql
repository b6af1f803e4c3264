-- Never pair these two again: the blocker and the other side of a chat the blocker was in.
-- A partner who deleted their data (NULL in the chat) leaves nothing to block.
-- member: the blocker was in the chat; blocked_id NULL: the partner deleted their data.
-- The pair's pending invitations to talk again are withdrawn (silently, as if ignored). The caller
-- holds the pairing lock, as an accept does, so an accept under way finishes first: the caller
-- then finds the chat it opened with the partner (and ends it); an accept that comes later finds
-- no pending invitation. Without the lock, the invitation's row would order the two just the same.
WITH chat AS (
    SELECT id, CASE WHEN user_a = $2 THEN user_b ELSE user_a END AS blocked_id
    FROM chats WHERE id = $1 AND $2 IN (user_a, user_b)
), inserted AS (
    INSERT INTO blocks (blocker_id, blocked_id, chat_id)
    SELECT $2, blocked_id, id FROM chat WHERE blocked_id IS NOT NULL
    ON CONFLICT (blocker_id, blocked_id) DO NOTHING
    RETURNING blocked_id
), withdrawn AS (
    UPDATE reconnect_invitations i SET status = 'declined'
    FROM chat
    WHERE i.status = 'pending'
      AND ((i.asker_id = $2 AND i.invitee_id = chat.blocked_id) OR (i.asker_id = chat.blocked_id AND i.invitee_id = $2))
)
SELECT EXISTS (SELECT 1 FROM chat) AS member,
       (SELECT blocked_id FROM chat) AS blocked_id,
       EXISTS (SELECT 1 FROM inserted) AS inserted
