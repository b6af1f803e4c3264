-- One user by Telegram id.
SELECT * FROM users WHERE id = $1
