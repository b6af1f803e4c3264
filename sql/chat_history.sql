-- A chat's messages in the order they were sent, for moderation.
SELECT * FROM messages WHERE chat_id = $1 ORDER BY id
