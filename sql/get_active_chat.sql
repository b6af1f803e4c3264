-- The user's active chat and partner, if any.
SELECT mine.chat_id, other.user_id AS partner_id
FROM chat_participants mine
JOIN chat_participants other ON other.chat_id = mine.chat_id AND other.user_id <> mine.user_id
WHERE mine.user_id = $1 AND mine.active
