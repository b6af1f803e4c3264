-- The pairing step as one function, so that a search is one round trip. Applied after the
-- numbered migrations by roulette/storage/migrations.py on every `migrate`: this file is the
-- definition in force, and it must stay safe to apply again and again.
-- The lock has to be taken before the query that reads the queue starts: a statement sees the
-- database as of its own start, and the query must see every search committed before the lock
-- was granted. Inside a VOLATILE function each statement takes a fresh snapshot, so the lock
-- and the query can travel together; called outside an explicit transaction, the lock is held
-- exactly as long as the function runs.
-- The commit does not wait for the WAL flush: a server crash may forget the last few
-- milliseconds of pairings (the users search again), and the pairing lock is never held across
-- a disk flush.

-- Dropped first, so that a change of the columns it returns applies too (CREATE OR REPLACE
-- cannot change them); the step runs in one transaction, so no caller ever finds it missing.
DROP FUNCTION IF EXISTS start_search(BIGINT, BIGINT);
CREATE FUNCTION start_search(searcher BIGINT, handled_update BIGINT)
RETURNS TABLE (
    role TEXT, id BIGINT, gender TEXT, age SMALLINT, interests TEXT[], language TEXT, likes INTEGER,
    dislikes INTEGER, partner_gender TEXT, partner_age_min SMALLINT, partner_age_max SMALLINT,
    interests_mode TEXT, banned_until TIMESTAMPTZ, complete BOOLEAN, banned BOOLEAN,
    active_chat_id BIGINT, active_partner_id BIGINT, searching BOOLEAN, chat_id BIGINT, queued BOOLEAN
)
LANGUAGE plpgsql VOLATILE AS $function$
#variable_conflict use_column
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    -- Serialise pairing across all connections and processes until the transaction ends.
    -- FOR UPDATE SKIP LOCKED alone is not enough: two compatible users who search at the same
    -- instant each skip the other's locked queue row and both stay waiting.
    PERFORM pg_advisory_xact_lock(7301986);
    -- The Telegram update that asked for this search, recorded in the same transaction: a second
    -- delivery of it returns one 'duplicate' row and changes nothing.
    IF handled_update IS NOT NULL THEN
        INSERT INTO processed_updates (update_id) VALUES (handled_update) ON CONFLICT DO NOTHING;
        IF NOT FOUND THEN
            RETURN QUERY SELECT 'duplicate'::text, searcher, NULL::text, NULL::smallint, NULL::text[], NULL::text,
                NULL::integer, NULL::integer, NULL::text, NULL::smallint, NULL::smallint, NULL::text,
                NULL::timestamptz, NULL::boolean, NULL::boolean, NULL::bigint, NULL::bigint, NULL::boolean,
                NULL::bigint, NULL::boolean;
            RETURN;
        END IF;
    END IF;
    -- Check the searcher, pick the best compatible waiting user (more shared interests, then
    -- the longest wait), take them out of the queue and open the chat, or queue the searcher.
    -- Every rule of domain.can_pair is applied here (tests/test_matchmaking_rules.py compares).
    RETURN QUERY
        WITH me AS (
            SELECT u.*,
                   u.gender IS NOT NULL AND u.age IS NOT NULL AS complete,
                   u.banned_until IS NOT NULL AND u.banned_until > now() AS banned,
                   active.chat_id AS active_chat_id,
                   active.partner_id AS active_partner_id,
                   EXISTS (SELECT 1 FROM search_queue q WHERE q.user_id = u.id) AS searching
            FROM users u
            LEFT JOIN (
                SELECT mine.chat_id, other.user_id AS partner_id
                FROM chat_participants mine
                JOIN chat_participants other ON other.chat_id = mine.chat_id AND other.user_id <> mine.user_id
                WHERE mine.user_id = searcher AND mine.active
            ) AS active ON TRUE
            WHERE u.id = searcher
        ), eligible AS (
            SELECT * FROM me WHERE complete AND NOT banned AND active_chat_id IS NULL AND NOT searching
        ), candidate AS (
            SELECT u.id,
                   cardinality(ARRAY(SELECT unnest(u.interests) INTERSECT SELECT unnest(e.interests))) AS shared,
                   e.interests_mode AS my_mode,
                   q.enqueued_at
            FROM eligible e
            JOIN search_queue q ON q.user_id <> e.id
            -- Walk the (short) queue and look each waiting user up by key, whatever the planner
            -- thinks of the tables' sizes: OFFSET 0 keeps it from turning this into a scan of
            -- every user, which would make each search cost more as the user base grows.
            CROSS JOIN LATERAL (SELECT * FROM users WHERE users.id = q.user_id OFFSET 0) AS u
            WHERE NOT u.bot_blocked
              AND (u.banned_until IS NULL OR u.banned_until <= now())
              AND u.gender IS NOT NULL AND u.age IS NOT NULL
              -- adults and minors are never paired
              AND (u.age >= 18) = (e.age >= 18)
              -- the searcher's wishes
              AND (e.partner_gender = 'any' OR u.gender = e.partner_gender)
              AND u.age BETWEEN e.partner_age_min AND e.partner_age_max
              -- the candidate's wishes
              AND (u.partner_gender = 'any' OR u.partner_gender = e.gender)
              AND e.age BETWEEN u.partner_age_min AND u.partner_age_max
              AND ((e.interests_mode <> 'require' AND u.interests_mode <> 'require') OR u.interests && e.interests)
              -- never a blocked pair, in either direction
              AND NOT EXISTS (
                  SELECT 1 FROM blocks b
                  WHERE (b.blocker_id = e.id AND b.blocked_id = u.id) OR (b.blocker_id = u.id AND b.blocked_id = e.id)
              )
            ORDER BY CASE WHEN e.interests_mode = 'ignore' THEN 0
                          ELSE cardinality(ARRAY(SELECT unnest(u.interests) INTERSECT SELECT unnest(e.interests))) END DESC,
                     q.enqueued_at, u.id
            LIMIT 1
        ), taken AS (
            -- Leaving the queue (cancel, ban, delete, blocking the bot) does not take the pairing
            -- lock: a candidate who left after this statement's snapshot is not deleted here, and
            -- then the searcher waits instead.
            DELETE FROM search_queue q USING candidate c WHERE q.user_id = c.id RETURNING q.user_id
        ), chat AS (
            INSERT INTO chats (user_a, user_b) SELECT taken.user_id, searcher FROM taken RETURNING id, user_a
        ), sides AS (
            INSERT INTO chat_participants (chat_id, user_id)
            SELECT chat.id, side FROM chat, unnest(ARRAY[chat.user_a, searcher]) AS side
        ), reachable AS (
            -- Searching proves the user has not blocked the bot, whatever a lost my_chat_member update
            -- or a stray 403 left behind: the mark is cleared, so nobody waiting carries it.
            UPDATE users SET bot_blocked = FALSE, updated_at = now()
            WHERE id = (SELECT id FROM eligible) AND bot_blocked
        ), queued AS (
            INSERT INTO search_queue (user_id)
            SELECT e.id FROM eligible e WHERE NOT EXISTS (SELECT 1 FROM taken)
            RETURNING user_id
        )
        -- Two rows: the searcher (with what the statement did), and the new partner if paired.
        SELECT 'me'::text, me.id, me.gender, me.age, me.interests, me.language, me.likes, me.dislikes,
               me.partner_gender, me.partner_age_min, me.partner_age_max, me.interests_mode, me.banned_until,
               me.complete, me.banned, me.active_chat_id, me.active_partner_id, me.searching,
               (SELECT id FROM chat), EXISTS (SELECT 1 FROM queued)
        FROM me
        UNION ALL
        SELECT 'partner'::text, u.id, u.gender, u.age, u.interests, u.language, u.likes, u.dislikes,
               u.partner_gender, u.partner_age_min, u.partner_age_max, u.interests_mode, u.banned_until,
               NULL::boolean, NULL::boolean, NULL::bigint, NULL::bigint, NULL::boolean, NULL::bigint, NULL::boolean
        FROM users u JOIN taken ON u.id = taken.user_id;
END
$function$;
