-- Open a chat and both of its sides. The unique index one_active_chat_per_user makes this
-- fail, rather than double-book, if either user is already in an active chat.
WITH chat AS (
    INSERT INTO chats (user_a, user_b) VALUES ($1, $2) RETURNING id
), sides AS (
    INSERT INTO chat_participants (chat_id, user_id)
    SELECT chat.id, side FROM chat, unnest(ARRAY[$1::bigint, $2::bigint]) AS side
)
SELECT id FROM chat
