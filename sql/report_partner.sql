-- File a report about the other side of a chat the reporter was in; at most one per chat.
-- The reported user's row stays locked until commit, so reports about one user filed at the
-- same instant are counted one after the other (count_recent_reporters.sql runs next, with a
-- fresh snapshot): two of them cannot each see only themselves and both miss the ban threshold.
WITH chat AS (
    SELECT id, CASE WHEN user_a = $2 THEN user_b ELSE user_a END AS reported_id
    FROM chats WHERE id = $1 AND $2 IN (user_a, user_b)
), reported AS (
    SELECT id FROM users WHERE id = (SELECT reported_id FROM chat) FOR UPDATE
), inserted AS (
    INSERT INTO reports (chat_id, reporter_id, reported_id, reason)
    SELECT id, $2, reported_id, $3 FROM chat
    ON CONFLICT (chat_id, reporter_id) DO NOTHING
    RETURNING id
)
SELECT (SELECT reported_id FROM chat) AS reported_id,
       (SELECT id FROM inserted) AS report_id,
       -- a CTE nobody reads is never run: reading `reported` is what takes the lock
       EXISTS (SELECT 1 FROM reported) AS reported_locked
