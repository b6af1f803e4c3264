-- Notices ("partner found", "partner left") and pending album flushes, written in the same
-- transaction as the change they follow. The bot delivers them after the commit and deletes
-- them once sent; a row a dead process left behind is delivered by any process once its lease
-- has passed: at least once, since a duplicate notice is harmless and a missing one leaves
-- someone talking to nobody.
-- Edits, one row per edit, so that they count against the flood guard like messages do.
-- depends: 0003_start_search_function

CREATE TABLE outbox (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('partner_found', 'partner_left', 'you_left', 'album')),
    recipient_id    BIGINT NOT NULL,
    -- the chat the notice or album belongs to; an album goes to this chat or nowhere
    chat_id         BIGINT NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    -- partner_found: what the notice shows about the partner (reputation, shared interests)
    details         JSONB NOT NULL DEFAULT '{}',
    -- album: whose album; its items are the sender's messages of this group in this chat
    sender_id       BIGINT,
    media_group_id  TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- album: counts the items added, so that a flush that started before one came knows to run again
    version         INTEGER NOT NULL DEFAULT 1,
    -- a process is delivering the row until then; NULL: nobody has started
    claimed_until   TIMESTAMPTZ,
    CHECK ((kind = 'album') = (sender_id IS NOT NULL AND media_group_id IS NOT NULL))
);
-- one pending flush per album
CREATE UNIQUE INDEX outbox_album ON outbox (chat_id, sender_id, media_group_id) WHERE kind = 'album';
-- a recipient's notices in the order they were written
CREATE INDEX outbox_notices ON outbox (recipient_id, id) WHERE kind <> 'album';

CREATE TABLE message_edits (
    sender_id  BIGINT NOT NULL,
    edited_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX message_edits_sender_recent ON message_edits (sender_id, edited_at);
