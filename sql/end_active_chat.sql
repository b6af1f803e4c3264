-- End the user's active chat for both sides; no row back means there was none.
-- Locking the chat row first makes two sides that leave at once queue up on one row (the
-- second then finds the chat ended) instead of deadlocking on each other's participant rows.
-- The partner's "partner left" notice (and, when $3, the leaver's own "you left") goes to the
-- outbox in the same statement, so that a crash right after cannot lose it.
WITH target AS (
    SELECT c.id
    FROM chats c
    JOIN chat_participants p ON p.chat_id = c.id
    WHERE p.user_id = $1 AND p.active AND c.ended_at IS NULL
    FOR UPDATE OF c
), ended AS (
    UPDATE chats c SET ended_at = now(), ended_by = $1, end_reason = $2
    FROM target
    WHERE c.id = target.id AND c.ended_at IS NULL
    RETURNING c.id, CASE WHEN c.user_a = $1 THEN c.user_b ELSE c.user_a END AS partner_id
), sides AS (
    UPDATE chat_participants p SET active = FALSE FROM ended WHERE p.chat_id = ended.id
), notices AS (
    INSERT INTO outbox (kind, recipient_id, chat_id)
    SELECT 'partner_left', partner_id, id FROM ended
    UNION ALL
    SELECT 'you_left', $1, id FROM ended WHERE $3::boolean
)
SELECT id, partner_id FROM ended
