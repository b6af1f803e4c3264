-- For an edit: apply the flood guard (edits count like messages), record the new content, and
-- find the partner's copy of the sender's message in their active chat. The version the edit
-- replaces is kept in message_versions first: an abuser who edits an insult into "have a nice
-- day" leaves both in the evidence. Locking the row (FOR UPDATE) before reading the old version
-- makes two edits of one message at the same instant each save the version the other replaced.
-- Always one row. partner_id NULL: not in a chat. flooded: over the limit, nothing recorded.
-- message_id NULL otherwise: no such message in the active chat.
-- $1 sender, $2 source message id, $3 text, $4 caption, $5 flood limit, $6 flood window (seconds).
WITH chat AS (
    SELECT mine.chat_id, other.user_id AS partner_id
    FROM chat_participants mine
    JOIN chat_participants other ON other.chat_id = mine.chat_id AND other.user_id <> mine.user_id
    WHERE mine.user_id = $1 AND mine.active
), recent AS (
    SELECT flood_count($1, $5, $6) AS sent
), previous AS (
    SELECT m.id, m.text, m.caption, COALESCE(m.edited_at, m.created_at) AS written_at
    FROM messages m
    JOIN chat ON m.chat_id = chat.chat_id
    -- an unsent message has no copy left to edit; one unsent while this waited for the lock is
    -- skipped too (the lock re-reads the row)
    WHERE m.sender_id = $1 AND m.source_message_id = $2 AND m.deleted_at IS NULL AND (SELECT sent FROM recent) < $5
    FOR UPDATE OF m
), saved AS (
    INSERT INTO message_versions (message_id, text, caption, written_at)
    SELECT id, text, caption, written_at FROM previous
), edited AS (
    UPDATE messages m
    SET text = COALESCE($3, m.text), caption = CASE WHEN m.kind = 'text' THEN NULL ELSE $4 END, edited_at = now()
    FROM previous
    WHERE m.id = previous.id
    RETURNING m.id, m.kind, m.relayed_message_id
), counted AS (
    INSERT INTO message_edits (sender_id) SELECT $1 FROM edited
)
SELECT chat.partner_id,
       chat.chat_id IS NOT NULL AND (SELECT sent FROM recent) >= $5 AS flooded,
       edited.id AS message_id,
       edited.kind,
       edited.relayed_message_id,
       partner.partner_media,
       partner.age AS partner_age
FROM (SELECT 1) AS one
LEFT JOIN chat ON TRUE
LEFT JOIN edited ON TRUE
LEFT JOIN users partner ON partner.id = chat.partner_id
