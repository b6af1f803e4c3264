-- Retention: message history older than $1 days, and update ids older than a day (Telegram
-- stops redelivering an update long before that).
WITH old_messages AS (
    DELETE FROM messages WHERE created_at < now() - make_interval(days => $1::int) RETURNING 1
), old_updates AS (
    DELETE FROM processed_updates WHERE processed_at < now() - interval '1 day' RETURNING 1
), old_edits AS (
    -- edits are kept only for the flood guard, whose window is at most an hour
    DELETE FROM message_edits WHERE edited_at < now() - interval '1 day'
)
SELECT (SELECT count(*) FROM old_messages) AS messages, (SELECT count(*) FROM old_updates) AS updates
