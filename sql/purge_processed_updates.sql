-- Update ids older than a day, up to $1 of them (Telegram stops redelivering an update long
-- before that); and edit marks older than a day (kept only for the flood guard, whose window is
-- at most an hour). The caller repeats it until nothing is left.
WITH old_edits AS (
    DELETE FROM message_edits WHERE ctid IN (
        SELECT ctid FROM message_edits WHERE edited_at < now() - interval '1 day' LIMIT $1
    )
)
DELETE FROM processed_updates
WHERE update_id IN (
    SELECT update_id FROM processed_updates WHERE processed_at < now() - interval '1 day' ORDER BY processed_at LIMIT $1
)
RETURNING update_id
