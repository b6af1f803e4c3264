-- One chat with its state.
SELECT id, user_a, user_b, ended_at IS NULL AS active FROM chats WHERE id = $1
