-- Never pair these two again: the blocker and the other side of a chat the blocker was in.
-- A partner who deleted their data (NULL in the chat) leaves nothing to block.
-- member: the blocker was in the chat; blocked_id NULL: the partner deleted their data.
WITH chat AS (
    SELECT id, CASE WHEN user_a = $2 THEN user_b ELSE user_a END AS blocked_id
    FROM chats WHERE id = $1 AND $2 IN (user_a, user_b)
), inserted AS (
    INSERT INTO blocks (blocker_id, blocked_id, chat_id)
    SELECT $2, blocked_id, id FROM chat WHERE blocked_id IS NOT NULL
    ON CONFLICT (blocker_id, blocked_id) DO NOTHING
    RETURNING blocked_id
)
SELECT EXISTS (SELECT 1 FROM chat) AS member,
       (SELECT blocked_id FROM chat) AS blocked_id,
       EXISTS (SELECT 1 FROM inserted) AS inserted
