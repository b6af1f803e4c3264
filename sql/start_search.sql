-- The whole pairing step for one searcher ($1), asked by Telegram update $2 (NULL: none), in one round trip: the function
-- start_search (sql/functions/start_search.sql) takes the pairing lock, then checks,
-- pairs or queues. Run it outside an explicit transaction, so the lock is held only while it runs.
-- Rows: the searcher ('me', with what was done), and the new partner if paired; or one
-- 'duplicate' row when update $2 was handled before.
-- A pairing writes each side's "partner found" notice to the outbox in the same statement, so
-- that a crash right after the pairing cannot lose it.
WITH result AS MATERIALIZED (
    SELECT * FROM start_search($1, $2)
), notices AS (
    INSERT INTO outbox (kind, recipient_id, chat_id, details)
    SELECT 'partner_found', side.recipient_id, me.chat_id, jsonb_build_object(
        'likes', side.likes,
        'dislikes', side.dislikes,
        'shared', to_jsonb(ARRAY(SELECT unnest(me.interests) INTERSECT SELECT unnest(partner.interests)))
    )
    FROM result me
    JOIN result partner ON partner.role = 'partner'
    CROSS JOIN LATERAL (
        VALUES (1, me.id, partner.likes, partner.dislikes), (2, partner.id, me.likes, me.dislikes)
    ) AS side (n, recipient_id, likes, dislikes)
    WHERE me.role = 'me' AND me.chat_id IS NOT NULL
    ORDER BY side.n
)
SELECT * FROM result
