-- End the user's active chat for both sides; no row back means there was none.
-- Locking the chat row first makes two sides that leave at once queue up on one row (the
-- second then finds the chat ended) instead of deadlocking on each other's participant rows.
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
    RETURNING c.id, c.user_a, c.user_b
), sides AS (
    UPDATE chat_participants p SET active = FALSE FROM ended WHERE p.chat_id = ended.id
)
SELECT id, CASE WHEN user_a = $1 THEN user_b ELSE user_a END AS partner_id FROM ended
