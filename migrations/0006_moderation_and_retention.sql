-- Moderation that can be trusted, and no more data than it needs, for no longer than it needs.
-- depends: 0003_start_search_function

-- Every earlier version of an edited message: an edit never erases what the partner saw first.
-- The messages row holds the latest version; each edit first copies the one it replaces here.
CREATE TABLE message_versions (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    text       TEXT,
    caption    TEXT,
    -- when this version was sent (or written by an earlier edit)
    written_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX message_versions_message ON message_versions (message_id, id);

-- Retention. A chat's messages go MESSAGE_RETENTION_HOURS after it ended (unless it has an open
-- report); the chat itself, with who talked with whom, CHAT_RETENTION_DAYS after it ended.
-- The partial indexes let each purge batch start from the rows that are due, whatever the size
-- of the tables.
ALTER TABLE chats ADD COLUMN messages_purged BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX chats_messages_to_purge ON chats (ended_at) WHERE ended_at IS NOT NULL AND NOT messages_purged;
CREATE INDEX chats_ended ON chats (ended_at) WHERE ended_at IS NOT NULL;

-- /deleteme anonymises the chats, ratings and reports a user took part in: NULL stands for
-- "a user who deleted their data".
ALTER TABLE chats ALTER COLUMN user_a DROP NOT NULL, ALTER COLUMN user_b DROP NOT NULL;
ALTER TABLE ratings DROP CONSTRAINT ratings_pkey;
ALTER TABLE ratings ALTER COLUMN rater_id DROP NOT NULL, ALTER COLUMN ratee_id DROP NOT NULL;
ALTER TABLE ratings ADD CONSTRAINT ratings_once_per_chat UNIQUE (chat_id, rater_id);
ALTER TABLE reports ALTER COLUMN reporter_id DROP NOT NULL;

-- Reports: the message that is the evidence, an unguessable token admins open it by (chat and
-- report ids are sequential), and how it was closed.
ALTER TABLE reports
    ADD COLUMN message_id  BIGINT REFERENCES messages (id) ON DELETE SET NULL,
    ADD COLUMN token       UUID NOT NULL DEFAULT gen_random_uuid(),
    ADD COLUMN resolution  TEXT CHECK (resolution IN ('ban_kept', 'ban_lifted')),
    ADD COLUMN resolved_by BIGINT;
UPDATE reports SET resolution = 'ban_kept' WHERE resolved_at IS NOT NULL;
ALTER TABLE reports
    ADD CONSTRAINT reports_token UNIQUE (token),
    ADD CONSTRAINT reports_resolved CHECK ((resolved_at IS NULL) = (resolution IS NULL));
-- the queue of open reports, oldest first; and "is this chat under review?" for the purge
CREATE INDEX reports_open ON reports (created_at) WHERE resolved_at IS NULL;
CREATE INDEX reports_open_chat ON reports (chat_id) WHERE resolved_at IS NULL;
-- Deleting a message or a chat looks up what refers to it (ON DELETE SET NULL): by index, or each
-- purged row would scan these tables.
CREATE INDEX reports_message ON reports (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX blocks_chat ON blocks (chat_id) WHERE chat_id IS NOT NULL;

-- How partners' photos and videos reach a user: NULL is the default for their age (blurred
-- under 18, shown otherwise).
ALTER TABLE users ADD COLUMN partner_media TEXT CHECK (partner_media IN ('shown', 'blurred', 'text'));

-- Every admin view and action, with the admin who did it. It names a user only when an admin
-- revealed, banned or unbanned one.
CREATE TABLE admin_audit (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    admin_id       BIGINT NOT NULL,
    action         TEXT NOT NULL CHECK (action IN ('stats', 'list_reports', 'open_report', 'reveal', 'ban', 'unban',
                                                   'close_report')),
    -- no foreign key: the log outlives the report
    report_id      BIGINT,
    target_user_id BIGINT,
    at             TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX admin_audit_at ON admin_audit (at);
