-- Unsend: mark the sender's message deleted, so that its copy in the partner's chat is deleted
-- after the commit. Only a message of the chat going on, copied to the partner, not unsent
-- before, and younger than the time Telegram lets a bot delete a message. The row stays (see
-- migrations/0009_unsend.sql).
-- The sender's participant row is locked FOR SHARE: a chat ending at the same moment
-- (sql/end_active_chat.sql updates that row) either waits for the unsend, or has ended it first
-- and the unsend finds no chat. The message row is locked like an edit locks it
-- (sql/find_relayed_copy.sql), and an edit skips a message unsent meanwhile.
-- Always one row. chat_id NULL: not in a chat. message_id NULL: no such message of the sender in
-- the chat going on. unsent: marked by this statement; otherwise the other columns say why not.
-- $1 sender, $2 the message id in the sender's chat (NULL: their last message in the chat),
-- $3 how old (seconds) a message Telegram still lets a bot delete may be.
WITH chat AS (
    SELECT mine.chat_id, other.user_id AS partner_id
    FROM chat_participants mine
    JOIN chat_participants other ON other.chat_id = mine.chat_id AND other.user_id <> mine.user_id
    WHERE mine.user_id = $1 AND mine.active
    FOR SHARE OF mine
), target AS (
    SELECT m.id, m.source_message_id, m.relayed_message_id, m.deleted_at,
           m.created_at <= now() - make_interval(secs => $3::float8) AS too_old
    FROM messages m
    JOIN chat ON m.chat_id = chat.chat_id
    WHERE m.sender_id = $1 AND ($2::bigint IS NULL OR m.source_message_id = $2)
    ORDER BY m.id DESC
    LIMIT 1
    FOR UPDATE OF m
), unsent AS (
    UPDATE messages m SET deleted_at = now()
    FROM target
    WHERE m.id = target.id AND target.deleted_at IS NULL AND target.relayed_message_id IS NOT NULL
      AND NOT target.too_old
    RETURNING m.id
)
SELECT chat.chat_id,
       chat.partner_id,
       target.id AS message_id,
       target.source_message_id,
       target.relayed_message_id,
       target.deleted_at IS NOT NULL AS already_unsent,
       target.too_old,
       EXISTS (SELECT 1 FROM unsent) AS unsent
FROM (SELECT 1) AS one
LEFT JOIN chat ON TRUE
LEFT JOIN target ON TRUE
