-- Figures for the admins' /stats.
SELECT
    (SELECT count(*) FROM users) AS users,
    (SELECT count(*) FROM chats WHERE ended_at IS NULL) AS active_chats,
    (SELECT count(*) FROM search_queue) AS searching,
    (SELECT count(*) FROM messages WHERE created_at > now() - interval '24 hours') AS messages_24h,
    (SELECT count(*) FROM users WHERE created_at > now() - interval '24 hours') AS new_users_24h,
    (SELECT count(*) FROM reports WHERE resolved_at IS NULL) AS open_reports
