-- Anochat's schema. Every rule the database can hold is a constraint here; the code checks
-- the same rules first only to give a friendly message.
-- depends:

CREATE TABLE users (
    id              BIGINT PRIMARY KEY,                       -- the Telegram user id
    gender          TEXT CHECK (gender IN ('male', 'female')),
    age             SMALLINT CHECK (age BETWEEN 13 AND 99),
    interests       TEXT[] NOT NULL DEFAULT '{}' CHECK (cardinality(interests) <= 32),
    language        TEXT NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'ru')),
    likes           INTEGER NOT NULL DEFAULT 0 CHECK (likes >= 0),
    dislikes        INTEGER NOT NULL DEFAULT 0 CHECK (dislikes >= 0),
    partner_gender  TEXT NOT NULL DEFAULT 'any' CHECK (partner_gender IN ('any', 'male', 'female')),
    partner_age_min SMALLINT NOT NULL DEFAULT 13 CHECK (partner_age_min BETWEEN 13 AND 99),
    partner_age_max SMALLINT NOT NULL DEFAULT 99 CHECK (partner_age_max BETWEEN 13 AND 99),
    interests_mode  TEXT NOT NULL DEFAULT 'prefer' CHECK (interests_mode IN ('ignore', 'prefer', 'require')),
    banned_until    TIMESTAMPTZ,
    -- true while the user has blocked the bot: nothing can be delivered, so matching skips them
    bot_blocked     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (partner_age_min <= partner_age_max)
);

-- Users waiting for a partner. The pairing step is serialised with an advisory lock
-- (see sql/functions/start_search.sql), so this table needs no row locks of its own.
CREATE TABLE search_queue (
    user_id     BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    enqueued_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX search_queue_enqueued_at ON search_queue (enqueued_at);

CREATE TABLE chats (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_a     BIGINT NOT NULL,
    user_b     BIGINT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    ended_at   TIMESTAMPTZ,
    ended_by   BIGINT,
    end_reason TEXT CHECK (end_reason IN ('stop', 'next', 'deleted', 'bot_blocked', 'banned')),
    CHECK (user_a <> user_b),
    CHECK ((ended_at IS NULL) = (end_reason IS NULL))
);

-- One row per side of a chat. The partial unique index below is THE guarantee that a user
-- is in at most one active chat: two indexes on chats.user_a / chats.user_b would not hold
-- it, since a user could be user_a of one chat and user_b of another.
CREATE TABLE chat_participants (
    chat_id BIGINT NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL,
    active  BOOLEAN NOT NULL DEFAULT TRUE,
    PRIMARY KEY (chat_id, user_id)
);
CREATE UNIQUE INDEX one_active_chat_per_user ON chat_participants (user_id) WHERE active;
CREATE INDEX chat_participants_user ON chat_participants (user_id);

CREATE TABLE messages (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    chat_id             BIGINT NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    sender_id           BIGINT NOT NULL,
    kind                TEXT NOT NULL CHECK (kind IN ('text', 'photo', 'video', 'animation', 'voice', 'video_note',
                                                      'audio', 'document', 'sticker', 'dice', 'poll')),
    text                TEXT CHECK (char_length(text) BETWEEN 1 AND 4096),
    caption             TEXT CHECK (char_length(caption) <= 1024),
    file_id             TEXT,
    media_group_id      TEXT,
    -- the message id in the sender's private chat with the bot
    source_message_id   BIGINT NOT NULL,
    -- the id of the copy in the partner's chat, once relayed
    relayed_message_id  BIGINT,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    edited_at           TIMESTAMPTZ,
    CHECK ((kind = 'text') = (text IS NOT NULL)),
    CHECK (kind = 'text' OR kind IN ('dice', 'poll') OR file_id IS NOT NULL),
    UNIQUE (chat_id, sender_id, source_message_id)
);
-- reply mapping from the partner's side: which original does this copy stand for
CREATE INDEX messages_relayed ON messages (chat_id, relayed_message_id) WHERE relayed_message_id IS NOT NULL;
CREATE INDEX messages_created_at ON messages (created_at);

CREATE TABLE ratings (
    chat_id    BIGINT NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    rater_id   BIGINT NOT NULL,
    ratee_id   BIGINT NOT NULL,
    value      SMALLINT NOT NULL CHECK (value IN (-1, 1)),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (chat_id, rater_id),
    CHECK (rater_id <> ratee_id)
);

CREATE TABLE reports (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    chat_id     BIGINT NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    reporter_id BIGINT NOT NULL,
    reported_id BIGINT NOT NULL,
    reason      TEXT NOT NULL CHECK (reason IN ('spam', 'abuse', 'minor', 'other')),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    resolved_at TIMESTAMPTZ,
    UNIQUE (chat_id, reporter_id),
    CHECK (reporter_id <> reported_id)
);
CREATE INDEX reports_reported ON reports (reported_id, created_at);

-- Pairs never to be matched again, in either direction.
CREATE TABLE blocks (
    blocker_id BIGINT NOT NULL,
    blocked_id BIGINT NOT NULL,
    chat_id    BIGINT REFERENCES chats (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (blocker_id, blocked_id),
    CHECK (blocker_id <> blocked_id)
);
CREATE INDEX blocks_blocked ON blocks (blocked_id, blocker_id);

-- aiogram FSM state (roulette/fsm_storage.py), one row per storage key.
CREATE TABLE fsm_state (
    bot_id                 BIGINT NOT NULL,
    chat_id                BIGINT NOT NULL,
    user_id                BIGINT NOT NULL,
    thread_id              BIGINT NOT NULL DEFAULT 0,
    business_connection_id TEXT NOT NULL DEFAULT '',
    destiny                TEXT NOT NULL DEFAULT 'default',
    state                  TEXT,
    data                   JSONB NOT NULL DEFAULT '{}'::jsonb,
    updated_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (bot_id, chat_id, user_id, thread_id, business_connection_id, destiny)
);

-- Telegram update ids whose effects are committed: an update delivered twice does nothing twice.
CREATE TABLE processed_updates (
    update_id    BIGINT PRIMARY KEY,
    processed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX processed_updates_at ON processed_updates (processed_at);
