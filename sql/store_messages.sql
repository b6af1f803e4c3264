-- The relay hot path, for every message that reached the bot at the same moment, in one round
-- trip. For each: is the sender answering a question of the bot (an FSM state that expects
-- typed input)? If not: find their active chat and partner, apply the flood guard, map a reply
-- to the partner's copy, and store the message (an album item also marks its album's flush as
-- pending, in the outbox). One statement, one commit, whether it carries one message or fifty.
-- One row per message, in the order given. awaiting_input: the state whose question this
-- message answers (nothing stored). chat_id NULL: not in a chat. flooded: over the limit,
-- nothing stored. A message stored before (the same update delivered again) comes back with its
-- relayed_message_id: NULL means the copy may never have been sent, so it is relayed again.
-- Per message ($1–$8, arrays of equal length): sender, source message id, kind, text, caption,
-- file id, media group id, the message id in the sender's chat it replies to (or NULL).
-- For all: $9 flood limit (messages), $10 flood window (seconds), $11 the bot's id (FSM key),
-- $12 the FSM states that expect typed input.
-- The bot handles one user's updates one at a time, so a batch holds one message per sender;
-- two rows that meet in a unique key below fail the statement, and each is then stored alone
-- (roulette/storage/batches.py).
-- Every lookup is a LATERAL subquery on one message's keys, kept apart from the rest of the plan
-- by OFFSET 0 (a subquery with OFFSET is never merged into the outer query): run once per
-- message with its keys as parameters, each finds its rows through an index, whatever the plan.
-- Plans are made once per connection (roulette/storage/pool.py), possibly while the tables are
-- small: a lookup merged into a join could then settle on scanning a whole table.
WITH input AS (
    SELECT *
    FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                $8::bigint[])
        WITH ORDINALITY AS message (sender_id, source_message_id, kind, text, caption, file_id, media_group_id,
                                    reply_to, position)
), awaiting AS (
    SELECT input.position, fsm.state
    FROM input CROSS JOIN LATERAL (
        SELECT state FROM fsm_state
        WHERE bot_id = $11 AND chat_id = input.sender_id AND user_id = input.sender_id AND thread_id = 0
          AND business_connection_id = '' AND destiny = 'default' AND state = ANY ($12::text[])
        OFFSET 0
    ) AS fsm
), chat AS (
    -- the partner's age and media setting decide how a photo or video reaches them
    SELECT input.position, active.*
    FROM input CROSS JOIN LATERAL (
        SELECT mine.chat_id, other.user_id AS partner_id, partner.partner_media, partner.age AS partner_age
        FROM chat_participants mine
        JOIN chat_participants other ON other.chat_id = mine.chat_id AND other.user_id <> mine.user_id
        JOIN users partner ON partner.id = other.user_id
        WHERE mine.user_id = input.sender_id AND mine.active
        OFFSET 0
    ) AS active
    WHERE NOT EXISTS (SELECT 1 FROM awaiting WHERE awaiting.position = input.position)
), allowed AS (
    -- messages and edits count alike; counting stops at the limit: a flooding sender costs no
    -- more than anyone else
    SELECT chat.position, chat.chat_id
    FROM chat JOIN input USING (position) CROSS JOIN LATERAL (
        SELECT count(*) AS sent FROM (
            (SELECT 1 FROM messages
             WHERE sender_id = input.sender_id AND created_at > now() - make_interval(secs => $10::float8)
             LIMIT $9)
            UNION ALL
            (SELECT 1 FROM message_edits
             WHERE sender_id = input.sender_id AND edited_at > now() - make_interval(secs => $10::float8)
             LIMIT $9)
            LIMIT $9
        ) AS in_window
    ) AS recent
    WHERE recent.sent < $9
), stored AS (
    INSERT INTO messages (chat_id, sender_id, source_message_id, kind, text, caption, file_id, media_group_id)
    SELECT allowed.chat_id, input.sender_id, input.source_message_id, input.kind, input.text, input.caption,
           input.file_id, input.media_group_id
    FROM allowed JOIN input USING (position)
    ORDER BY position  -- ids in arrival order, should a batch ever hold two messages of one sender
    -- a no-op update, so that a repeated delivery returns the existing row
    ON CONFLICT (chat_id, sender_id, source_message_id) DO UPDATE SET kind = messages.kind
    RETURNING id, chat_id, sender_id, source_message_id, relayed_message_id
), album AS (
    -- an album item not yet copied: its album's flush is pending, in this chat (see outbox)
    INSERT INTO outbox (kind, recipient_id, chat_id, sender_id, media_group_id)
    SELECT 'album', chat.partner_id, chat.chat_id, input.sender_id, input.media_group_id
    FROM input
    JOIN chat USING (position)
    JOIN stored ON stored.chat_id = chat.chat_id AND stored.sender_id = input.sender_id
               AND stored.source_message_id = input.source_message_id
    WHERE input.media_group_id IS NOT NULL AND stored.relayed_message_id IS NULL
    ON CONFLICT (chat_id, sender_id, media_group_id) WHERE kind = 'album' DO UPDATE SET version = outbox.version + 1
)
SELECT awaiting.state AS awaiting_input,
       chat.chat_id,
       chat.partner_id,
       chat.partner_media,
       chat.partner_age,
       stored.id AS message_id,
       stored.relayed_message_id,
       chat.chat_id IS NOT NULL AND stored.id IS NULL AS flooded,
       CASE WHEN input.reply_to IS NULL OR chat.chat_id IS NULL THEN NULL ELSE COALESCE(
           -- a reply to one's own message: the partner has its copy
           (SELECT m.relayed_message_id FROM messages m
            WHERE m.chat_id = chat.chat_id AND m.sender_id = input.sender_id AND m.source_message_id = input.reply_to),
           -- a reply to the partner's message, which the sender sees as our copy
           (SELECT m.source_message_id FROM messages m
            WHERE m.chat_id = chat.chat_id AND m.sender_id = chat.partner_id AND m.relayed_message_id = input.reply_to)
       ) END AS reply_to_message_id
FROM input
LEFT JOIN awaiting USING (position)
LEFT JOIN chat USING (position)
LEFT JOIN stored ON stored.chat_id = chat.chat_id AND stored.sender_id = input.sender_id
                AND stored.source_message_id = input.source_message_id
ORDER BY input.position
