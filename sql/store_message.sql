-- The relay hot path in one round trip: is the sender answering a question of the bot (an
-- FSM state that expects typed input)? If not: find their active chat and partner, apply the
-- flood guard, map a reply to the partner's copy, and store the message (an album item also
-- marks its album's flush as pending, in the outbox).
-- Always one row. awaiting_input: the state whose question this message answers (nothing
-- stored). chat_id NULL: not in a chat. flooded: over the limit, nothing stored.
-- A message stored before (the same update delivered again) comes back with its
-- relayed_message_id: NULL means the copy may never have been sent, so it is relayed again.
-- $1 sender, $2 source message id, $3 kind, $4 text, $5 caption, $6 file id,
-- $7 media group id, $8 the message id in the sender's chat it replies to (or NULL),
-- $9 flood limit (messages), $10 flood window (seconds), $11 the bot's id (FSM key),
-- $12 the FSM states that expect typed input.
WITH awaiting AS (
    SELECT state FROM fsm_state
    WHERE bot_id = $11 AND chat_id = $1 AND user_id = $1 AND thread_id = 0
      AND business_connection_id = '' AND destiny = 'default' AND state = ANY ($12::text[])
), chat AS (
    -- the partner's age and media setting decide how a photo or video reaches them
    SELECT mine.chat_id, other.user_id AS partner_id, partner.partner_media, partner.age AS partner_age
    FROM chat_participants mine
    JOIN chat_participants other ON other.chat_id = mine.chat_id AND other.user_id <> mine.user_id
    JOIN users partner ON partner.id = other.user_id
    WHERE mine.user_id = $1 AND mine.active AND NOT EXISTS (SELECT 1 FROM awaiting)
), recent AS (
    -- messages and edits count alike; counting stops at the limit: a flooding sender costs no
    -- more than anyone else
    SELECT count(*) AS sent FROM (
        (SELECT 1 FROM messages
         WHERE sender_id = $1 AND created_at > now() - make_interval(secs => $10::float8)
         LIMIT $9)
        UNION ALL
        (SELECT 1 FROM message_edits
         WHERE sender_id = $1 AND edited_at > now() - make_interval(secs => $10::float8)
         LIMIT $9)
        LIMIT $9
    ) AS in_window
), stored AS (
    INSERT INTO messages (chat_id, sender_id, source_message_id, kind, text, caption, file_id, media_group_id)
    SELECT chat_id, $1, $2, $3, $4, $5, $6, $7 FROM chat, recent WHERE recent.sent < $9
    -- a no-op update, so that a repeated delivery returns the existing row
    ON CONFLICT (chat_id, sender_id, source_message_id) DO UPDATE SET kind = messages.kind
    RETURNING id, relayed_message_id
), album AS (
    -- an album item not yet copied: its album's flush is pending, in this chat (see outbox)
    INSERT INTO outbox (kind, recipient_id, chat_id, sender_id, media_group_id)
    SELECT 'album', chat.partner_id, chat.chat_id, $1, $7
    FROM chat, stored
    WHERE $7::text IS NOT NULL AND stored.relayed_message_id IS NULL
    ON CONFLICT (chat_id, sender_id, media_group_id) WHERE kind = 'album' DO UPDATE SET version = outbox.version + 1
)
SELECT (SELECT state FROM awaiting) AS awaiting_input,
       chat.chat_id,
       chat.partner_id,
       chat.partner_media,
       chat.partner_age,
       stored.id AS message_id,
       stored.relayed_message_id,
       chat.chat_id IS NOT NULL AND stored.id IS NULL AS flooded,
       CASE WHEN $8::bigint IS NULL OR chat.chat_id IS NULL THEN NULL ELSE COALESCE(
           -- a reply to one's own message: the partner has its copy
           (SELECT m.relayed_message_id FROM messages m
            WHERE m.chat_id = chat.chat_id AND m.sender_id = $1 AND m.source_message_id = $8),
           -- a reply to the partner's message, which the sender sees as our copy
           (SELECT m.source_message_id FROM messages m
            WHERE m.chat_id = chat.chat_id AND m.sender_id = chat.partner_id AND m.relayed_message_id = $8)
       ) END AS reply_to_message_id
FROM (SELECT 1) AS one
LEFT JOIN chat ON TRUE
LEFT JOIN stored ON TRUE
