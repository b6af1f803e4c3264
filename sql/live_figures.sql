-- Figures for /metrics, read when Prometheus scrapes (every 15-60 s), never per message.
-- Cheap at any size: active chats are counted on the partial index one_active_chat_per_user
-- (two rows per chat); the search queue holds only the people waiting right now.
-- Pools: adults and minors are never paired, so they are separate pools.
SELECT
    (SELECT count(*) FROM chat_participants WHERE active) / 2 AS active_chats,
    count(*) FILTER (WHERE u.age >= 18) AS searching_adults,
    count(*) FILTER (WHERE u.age < 18) AS searching_minors
FROM search_queue q
JOIN users u ON u.id = q.user_id
