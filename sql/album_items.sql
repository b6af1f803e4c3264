-- The items of an album not yet copied, in the order sent: none once its chat has ended, since an
-- album goes to the chat it was sent in or nowhere (the receiver may be in another chat by now).
SELECT m.id, m.source_message_id
FROM messages m
JOIN chats c ON c.id = m.chat_id AND c.ended_at IS NULL
WHERE m.chat_id = $1 AND m.sender_id = $2 AND m.media_group_id = $3 AND m.relayed_message_id IS NULL
ORDER BY m.source_message_id
