-- The user blocked (TRUE) or unblocked (FALSE) the bot.
UPDATE users SET bot_blocked = $2, updated_at = now() WHERE id = $1 AND bot_blocked <> $2 RETURNING id
