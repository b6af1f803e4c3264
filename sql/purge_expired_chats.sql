-- Retention of who talked with whom, one bounded batch: delete up to $2 chats that ended more than
-- $1 days ago and have no open report. Their sides, ratings, closed reports and any message left
-- go with them (ON DELETE CASCADE); blocks stay, without the chat. The caller repeats it until
-- nothing is left.
WITH doomed AS (
    SELECT c.id FROM chats c
    WHERE c.ended_at IS NOT NULL AND c.ended_at < now() - make_interval(days => $1::int)
      AND NOT EXISTS (SELECT 1 FROM reports r WHERE r.chat_id = c.id AND r.resolved_at IS NULL)
    ORDER BY c.ended_at
    LIMIT $2
    FOR UPDATE SKIP LOCKED
)
DELETE FROM chats c USING doomed WHERE c.id = doomed.id RETURNING c.id
