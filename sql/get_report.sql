-- One report by its token, with the reported user's ban.
SELECT r.id, r.chat_id, r.reporter_id, r.reported_id, r.reason, r.message_id, r.created_at, r.resolved_at,
       r.resolution, u.banned_until
FROM reports r
LEFT JOIN users u ON u.id = r.reported_id
WHERE r.token = $1
