-- Mark a Telegram update as handled, in the same transaction as its effect. No row back: it
-- was handled before, and this transaction must not commit.
INSERT INTO processed_updates (update_id) VALUES ($1) ON CONFLICT (update_id) DO NOTHING RETURNING update_id
