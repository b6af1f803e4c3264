-- Retention, one bounded batch: delete up to $2 messages of chats that ended more than $1 hours
-- ago and have no open report, and mark the chats that had none left. The caller repeats it
-- until nothing is left, each batch its own short transaction, so the purge never holds many
-- row locks or a long snapshot, however large the table.
-- The chats come from a partial index of ended, not yet purged chats (oldest first). SKIP LOCKED:
-- a chat being reported right now (its report's insert holds a key-share lock on the chat row) is
-- left for the next run instead of losing its evidence under the reporter's feet.
WITH due AS (
    SELECT c.id FROM chats c
    WHERE c.ended_at IS NOT NULL AND NOT c.messages_purged AND c.ended_at < now() - make_interval(hours => $1::int)
      AND NOT EXISTS (SELECT 1 FROM reports r WHERE r.chat_id = c.id AND r.resolved_at IS NULL)
    ORDER BY c.ended_at
    LIMIT 100
    FOR UPDATE SKIP LOCKED
), doomed AS (
    -- message by message through the chat_id index (a join could scan the whole table)
    SELECT batch.id FROM due
    CROSS JOIN LATERAL (SELECT m.id FROM messages m WHERE m.chat_id = due.id LIMIT $2) AS batch
    LIMIT $2
), deleted AS (
    DELETE FROM messages WHERE id = ANY (ARRAY(SELECT id FROM doomed)) RETURNING chat_id
), finished AS (
    -- a chat with no message left is done; one emptied by this very batch (the statement still
    -- sees its rows) is marked by the next batch, which the caller runs anyway
    UPDATE chats c SET messages_purged = TRUE
    FROM due
    WHERE c.id = due.id AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.chat_id = due.id)
    RETURNING c.id
)
SELECT (SELECT count(*) FROM deleted) AS messages, (SELECT count(*) FROM finished) AS chats
