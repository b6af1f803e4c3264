-- The reported chat's messages in the order they were sent, each with the side that sent it
-- (the reported user or not), whether it is the report's evidence, and when its sender unsent it.
-- $1 report id.
SELECT m.id, m.sender_id = r.reported_id AS by_reported, m.kind, m.text, m.caption, m.created_at, m.edited_at,
       m.deleted_at,
       m.id IS NOT DISTINCT FROM r.message_id AS evidence
FROM reports r
JOIN messages m ON m.chat_id = r.chat_id
WHERE r.id = $1
ORDER BY m.id
