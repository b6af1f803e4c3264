-- The earlier versions of the reported chat's edited messages, oldest first. $1 report id.
SELECT v.message_id, v.text, v.caption, v.written_at
FROM reports r
JOIN messages m ON m.chat_id = r.chat_id
JOIN message_versions v ON v.message_id = m.id
WHERE r.id = $1
ORDER BY v.message_id, v.id
