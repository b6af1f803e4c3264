-- Which chat a partner's message belongs to, named by the id of the copy the reporter received
-- ($2) in their own chat with the bot; only chats the reporter was in, newest first.
SELECT m.chat_id
FROM chat_participants p
JOIN messages m ON m.chat_id = p.chat_id AND m.relayed_message_id = $2
WHERE p.user_id = $1 AND m.sender_id <> $1
ORDER BY m.chat_id DESC
LIMIT 1
