-- File a report about the other side of a chat the reporter was in; at most one per chat.
WITH chat AS (
    SELECT id, CASE WHEN user_a = $2 THEN user_b ELSE user_a END AS reported_id
    FROM chats WHERE id = $1 AND $2 IN (user_a, user_b)
), inserted AS (
    INSERT INTO reports (chat_id, reporter_id, reported_id, reason)
    SELECT id, $2, reported_id, $3 FROM chat
    ON CONFLICT (chat_id, reporter_id) DO NOTHING
    RETURNING id
)
SELECT (SELECT reported_id FROM chat) AS reported_id, (SELECT id FROM inserted) AS report_id
