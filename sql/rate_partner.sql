-- Rate the other side of an ended chat once, and move their reputation in the same statement.
-- member: the rater was in the chat; ended: it is over; inserted: this is the first vote.
-- A partner who deleted their data (NULL in the chat) is rated nothing: no row is written.
WITH chat AS (
    SELECT id, ended_at IS NOT NULL AS ended, CASE WHEN user_a = $2 THEN user_b ELSE user_a END AS ratee_id
    FROM chats WHERE id = $1 AND $2 IN (user_a, user_b)
), inserted AS (
    INSERT INTO ratings (chat_id, rater_id, ratee_id, value)
    SELECT id, $2, ratee_id, $3 FROM chat WHERE ended AND ratee_id IS NOT NULL
    ON CONFLICT (chat_id, rater_id) DO NOTHING
    RETURNING ratee_id, value
), reputation AS (
    UPDATE users u
    SET likes = u.likes + (inserted.value = 1)::int, dislikes = u.dislikes + (inserted.value = -1)::int
    FROM inserted
    WHERE u.id = inserted.ratee_id
)
SELECT EXISTS (SELECT 1 FROM chat) AS member,
       COALESCE((SELECT ended FROM chat), FALSE) AS ended,
       EXISTS (SELECT 1 FROM inserted) AS inserted,
       (SELECT ratee_id FROM chat) IS NULL AS partner_deleted
