-- Talking again by mutual consent: after a chat ends, either side may ask the other to talk again,
-- for RECONNECT_WINDOW (24 h) after the end, or until either starts another chat.
-- depends: 0007_outbox

-- One invitation per chat and asker: asking twice finds it (whatever became of it) and is refused,
-- so a declined asker cannot ask again and again. The invitee's Accept and Decline buttons carry
-- only the token: random, so a button names nobody and cannot be guessed; it works once (status).
-- Rows go with their chat, with either user (/deleteme) and, once expired, in the retention purge.
CREATE TABLE reconnect_invitations (
    token      UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    chat_id    BIGINT NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    asker_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    invitee_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status     TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'declined')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL,
    UNIQUE (chat_id, asker_id),
    CHECK (asker_id <> invitee_id)
);
-- the purge reads only the rows that are due, however many are kept
CREATE INDEX reconnect_invitations_expiry ON reconnect_invitations (expires_at);
-- a block withdraws the pair's pending invitations, and deleting a user removes theirs: by key,
-- one lookup per direction
CREATE INDEX reconnect_invitations_asker ON reconnect_invitations (asker_id, invitee_id);
CREATE INDEX reconnect_invitations_invitee ON reconnect_invitations (invitee_id, asker_id);

-- "Has either side started a chat after this one?" reads a user's latest chat by key instead of
-- all of their chats; it replaces the index on user_id alone, which it covers.
CREATE INDEX chat_participants_user_chat ON chat_participants (user_id, chat_id);
DROP INDEX chat_participants_user;

-- The invitation itself, and "not now" to an asker whose invitation was declined, go through the
-- outbox like every notice that follows a change.
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check
    CHECK (kind IN ('partner_found', 'partner_left', 'you_left', 'album', 'reconnect_invite', 'reconnect_declined'));
