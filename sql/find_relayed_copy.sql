-- For an edit: the partner's copy of the sender's message in their active chat, and record the new content.
WITH chat AS (
    SELECT mine.chat_id, other.user_id AS partner_id
    FROM chat_participants mine
    JOIN chat_participants other ON other.chat_id = mine.chat_id AND other.user_id <> mine.user_id
    WHERE mine.user_id = $1 AND mine.active
)
UPDATE messages m
SET text = COALESCE($3, m.text), caption = CASE WHEN m.kind = 'text' THEN NULL ELSE $4 END, edited_at = now()
FROM chat
WHERE m.chat_id = chat.chat_id AND m.sender_id = $1 AND m.source_message_id = $2
RETURNING m.id, chat.partner_id, m.kind, m.relayed_message_id
