-- File a report about the other side of a chat the reporter was in; at most one per chat.
-- The evidence, when given, is a message of the reported user in that chat, named by the id of
-- the copy the reporter received ($4).
-- The reported user's row stays locked until commit, so reports about one user filed at the
-- same instant are counted one after the other (count_recent_reporters.sql runs next, with a
-- fresh snapshot): two of them cannot each see only themselves and both miss the ban threshold.
-- A partner who deleted their data (NULL in the chat) is reported about nothing: no row.
-- member: the reporter was in the chat; reported_id NULL: the partner deleted their data.
WITH chat AS (
    SELECT id, CASE WHEN user_a = $2 THEN user_b ELSE user_a END AS reported_id
    FROM chats WHERE id = $1 AND $2 IN (user_a, user_b)
), reported AS (
    SELECT id FROM users WHERE id = (SELECT reported_id FROM chat) FOR UPDATE
), evidence AS (
    SELECT m.id FROM messages m JOIN chat ON m.chat_id = chat.id
    WHERE m.sender_id = chat.reported_id AND m.relayed_message_id = $4
), inserted AS (
    INSERT INTO reports (chat_id, reporter_id, reported_id, reason, message_id)
    SELECT id, $2, reported_id, $3, (SELECT id FROM evidence) FROM chat WHERE reported_id IS NOT NULL
    ON CONFLICT (chat_id, reporter_id) DO NOTHING
    RETURNING id, token
)
SELECT EXISTS (SELECT 1 FROM chat) AS member,
       (SELECT reported_id FROM chat) AS reported_id,
       (SELECT id FROM inserted) AS report_id,
       (SELECT token FROM inserted) AS token,
       -- a CTE nobody reads is never run: reading `reported` is what takes the lock
       EXISTS (SELECT 1 FROM reported) AS reported_locked
