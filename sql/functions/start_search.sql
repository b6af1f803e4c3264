-- The pairing step as one function, so that a search is one round trip. Applied after the
-- numbered migrations by roulette/storage/migrations.py on every `migrate`: this file is the
-- definition in force, and it must stay safe to apply again and again.
--
-- Pools. Users the hard rules keep apart never need to see each other's queue entries: adults
-- and minors, and (unless both accept any language) users of different bot languages. Each
-- pool has its own advisory lock, so searches in different pools pair in parallel. Who takes
-- which lock (search_pool_locks below):
--   a searcher who wants a partner of their own language: 'adult:en' (their class and language);
--   a searcher who accepts any language: 'adult:*' and then 'adult:en'.
-- Two users who may be paired always share one of these locks (same language: their language's;
-- both accepting any language: '*'), so two compatible users who search at the same instant are
-- serialised and the second finds the first. The order ('*', then the language) is fixed and
-- nobody holding a language's lock waits for another lock, so two searches never deadlock; and
-- a search waiting for '*' holds no language's lock, so it never holds up those who want their
-- own language.
-- Every search also takes the global key 7301986 in SHARED mode; sql/lock_queue_changes.sql
-- takes it exclusively, so a ban, a bot block or a deletion still waits for the searches under
-- way and every search after it sees the change, while searches never wait for each other.
--
-- The lock has to be taken before the query that reads the queue starts: a statement sees the
-- database as of its own start, and the query must see every search committed before the lock
-- was granted. Inside a VOLATILE function each statement takes a fresh snapshot, so the lock
-- and the query can travel together; called outside an explicit transaction, the locks are
-- held exactly as long as the function runs.
-- The commit does not wait for the WAL flush: a server crash may forget the last few
-- milliseconds of pairings (the users search again), and no lock is held across a disk flush.

-- The pool locks a user's search takes, in the order it takes them.
CREATE OR REPLACE FUNCTION search_pool_locks(age SMALLINT, language TEXT, partner_language TEXT)
RETURNS TEXT[] LANGUAGE sql IMMUTABLE AS $function$
    SELECT CASE WHEN partner_language = 'any' THEN ARRAY[pool || ':*', pool || ':' || language]
                ELSE ARRAY[pool || ':' || language] END
    FROM (SELECT CASE WHEN age >= 18 THEN 'adult' ELSE 'minor' END AS pool) AS class
$function$;

-- Dropped first, so that a change of the columns it returns applies too (CREATE OR REPLACE
-- cannot change them); the step runs in one transaction, so no caller ever finds it missing.
DROP FUNCTION IF EXISTS start_search(BIGINT, BIGINT);
CREATE FUNCTION start_search(searcher BIGINT, handled_update BIGINT)
RETURNS TABLE (
    role TEXT, id BIGINT, gender TEXT, age SMALLINT, interests TEXT[], language TEXT, likes INTEGER,
    dislikes INTEGER, partner_gender TEXT, partner_age_min SMALLINT, partner_age_max SMALLINT,
    interests_mode TEXT, partner_language TEXT, banned_until TIMESTAMPTZ, complete BOOLEAN, banned BOOLEAN,
    active_chat_id BIGINT, active_partner_id BIGINT, searching BOOLEAN, chat_id BIGINT, queued BOOLEAN
)
LANGUAGE plpgsql VOLATILE
-- The planner cannot know how many waiting users pass the age and interest filters of a slice,
-- guesses "almost none", and would then read every row of the slice (or of the whole queue) and
-- sort them. Every read here is by key and a slice has to be read in the order of its index:
-- without bitmap scans, sequential scans and sorts where another plan exists, it walks each
-- slice's index in waiting order and stops after `ranked` rows. (The ranking of those few rows
-- still sorts: no other plan can.)
SET enable_bitmapscan = off
SET enable_seqscan = off
SET enable_sort = off
AS $function$
#variable_conflict use_column
DECLARE
    -- Ranking is bounded: among the compatible waiting users, only this many of the longest
    -- waiting are ranked by shared interests (then by waiting time). Ranking all of them would
    -- make a search cost as much as the number of compatible users waiting; with the bound it
    -- costs a fixed number of index entries whatever the queue's length. docs/scaling.md
    -- explains the choice; tests/test_matchmaking_rules.py tests the bound.
    ranked CONSTANT INTEGER := 16;
    held TEXT[] := '{}';
    needed TEXT[];
    pool_lock TEXT;
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    PERFORM pg_advisory_xact_lock_shared(7301986);
    -- The Telegram update that asked for this search, recorded in the same transaction: a second
    -- delivery of it returns one 'duplicate' row and changes nothing.
    IF handled_update IS NOT NULL THEN
        INSERT INTO processed_updates (update_id) VALUES (handled_update) ON CONFLICT DO NOTHING;
        IF NOT FOUND THEN
            RETURN QUERY SELECT 'duplicate'::text, searcher, NULL::text, NULL::smallint, NULL::text[], NULL::text,
                NULL::integer, NULL::integer, NULL::text, NULL::smallint, NULL::smallint, NULL::text, NULL::text,
                NULL::timestamptz, NULL::boolean, NULL::boolean, NULL::bigint, NULL::bigint, NULL::boolean,
                NULL::bigint, NULL::boolean;
            RETURN;
        END IF;
    END IF;
    -- Lock the searcher's pools. The pools follow from the profile, read before the locks are
    -- held: read it again under them, and take the new pools too in the rare case it changed.
    LOOP
        SELECT search_pool_locks(u.age, u.language, u.partner_language) INTO needed FROM users u WHERE u.id = searcher;
        EXIT WHEN needed IS NULL OR needed <@ held;
        FOREACH pool_lock IN ARRAY needed LOOP
            IF NOT pool_lock = ANY (held) THEN
                PERFORM pg_advisory_xact_lock(7301986, hashtext(pool_lock));
                held := held || pool_lock;
            END IF;
        END LOOP;
    END LOOP;
    -- Check the searcher, pick the best compatible waiting user, take them out of the queue and
    -- open the chat, or queue the searcher. Every rule of domain.can_pair is applied here
    -- (tests/test_matchmaking_rules.py compares).
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
            SELECT me.*, me.age >= 18 AS adult,
                   -- requiring a shared interest with none chosen, nobody can be a partner: the
                   -- searcher reads no slice (and waits outside them, see search_queue.pairable)
                   me.interests_mode <> 'require' OR me.interests <> '{}' AS pairable,
                   -- the genders a partner may have, and the wishes that accept the searcher
                   CASE WHEN me.partner_gender = 'any' THEN ARRAY['male', 'female'] ELSE ARRAY[me.partner_gender] END
                       AS their_genders,
                   ARRAY[me.gender, 'any'] AS their_wishes
            FROM me WHERE complete AND NOT banned AND active_chat_id IS NULL AND NOT searching
        ), slice AS (
            -- The slices of the queue where a partner can be, one (language, language wish,
            -- gender, gender wish) each; every slice is read from its index in waiting order, so
            -- waiting users of other slices, and those nobody can pair, cost nothing. Of each slice, the first `ranked` users
            -- who pass the remaining rules: their age and the searcher's range both ways, a
            -- shared interest if either requires one, no block between them.
            SELECT c.*
            FROM eligible e
            CROSS JOIN unnest(e.their_genders) AS their_gender
            CROSS JOIN unnest(e.their_wishes) AS their_wish
            -- same language: both those who want their own language and those who accept any
            CROSS JOIN unnest(ARRAY['same', 'any']) AS their_language_wish
            CROSS JOIN LATERAL (
                SELECT q.user_id, q.enqueued_at, q.interests
                FROM search_queue q
                WHERE q.pairable AND e.pairable
                  AND q.adult = e.adult AND q.language = e.language AND q.partner_language = their_language_wish
                  AND q.gender = their_gender AND q.partner_gender = their_wish
                  AND q.age BETWEEN e.partner_age_min AND e.partner_age_max
                  AND e.age BETWEEN q.partner_age_min AND q.partner_age_max
                  AND ((e.interests_mode <> 'require' AND q.interests_mode <> 'require') OR q.interests && e.interests)
                  -- two lookups, one per direction, each served by its own index of blocks
                  AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = e.id AND b.blocked_id = q.user_id)
                  AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = q.user_id AND b.blocked_id = e.id)
                ORDER BY q.enqueued_at
                LIMIT ranked
            ) AS c
            UNION
            -- a searcher who accepts any language: also those of every language who accept any
            -- (those of the searcher's own language come twice; UNION keeps them once)
            SELECT c.*
            FROM eligible e
            CROSS JOIN unnest(e.their_genders) AS their_gender
            CROSS JOIN unnest(e.their_wishes) AS their_wish
            CROSS JOIN LATERAL (
                SELECT q.user_id, q.enqueued_at, q.interests
                FROM search_queue q
                WHERE q.pairable AND e.pairable AND e.partner_language = 'any'
                  AND q.adult = e.adult AND q.partner_language = 'any'
                  AND q.gender = their_gender AND q.partner_gender = their_wish
                  AND q.age BETWEEN e.partner_age_min AND e.partner_age_max
                  AND e.age BETWEEN q.partner_age_min AND q.partner_age_max
                  AND ((e.interests_mode <> 'require' AND q.interests_mode <> 'require') OR q.interests && e.interests)
                  -- two lookups, one per direction, each served by its own index of blocks
                  AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = e.id AND b.blocked_id = q.user_id)
                  AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = q.user_id AND b.blocked_id = e.id)
                ORDER BY q.enqueued_at
                LIMIT ranked
            ) AS c
        ), longest_waiting AS (
            -- the `ranked` longest-waiting compatible users of all slices together
            SELECT * FROM slice ORDER BY enqueued_at, user_id LIMIT ranked
        ), candidate AS (
            -- More shared interests first (unless the searcher ignores interests), then the
            -- longest wait. A banned or bot-blocked user is taken out of the queue when that
            -- happens (sql/check_invariants.sql); checked again here all the same.
            SELECT u.id
            FROM eligible e
            CROSS JOIN longest_waiting w
            JOIN users u ON u.id = w.user_id
            WHERE NOT u.bot_blocked AND (u.banned_until IS NULL OR u.banned_until <= now())
            ORDER BY CASE WHEN e.interests_mode = 'ignore' THEN 0
                          ELSE cardinality(ARRAY(SELECT unnest(w.interests) INTERSECT SELECT unnest(e.interests))) END DESC,
                     w.enqueued_at, w.user_id
            LIMIT 1
        ), taken AS (
            -- The candidate may be gone by now: taken by a search in another pool (a user who
            -- accepts any language can be chosen from two pools at once) or out of the queue by
            -- their own cancel, which takes no lock. This DELETE then waits for that change to
            -- commit and takes nobody; the check after this statement starts the search again.
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
            -- The searcher waits with a copy of their matching keys (kept current by
            -- sql/functions/search_queue_keys.sql).
            INSERT INTO search_queue (user_id, gender, age, interests, language, partner_gender, partner_age_min,
                                      partner_age_max, interests_mode, partner_language)
            SELECT e.id, e.gender, e.age, e.interests, e.language, e.partner_gender, e.partner_age_min,
                   e.partner_age_max, e.interests_mode, e.partner_language
            FROM eligible e WHERE NOT EXISTS (SELECT 1 FROM candidate)
            RETURNING user_id
        )
        -- Two rows: the searcher (with what the statement did), and the new partner if paired.
        SELECT 'me'::text, me.id, me.gender, me.age, me.interests, me.language, me.likes, me.dislikes,
               me.partner_gender, me.partner_age_min, me.partner_age_max, me.interests_mode, me.partner_language,
               me.banned_until, me.complete, me.banned, me.active_chat_id, me.active_partner_id, me.searching,
               (SELECT id FROM chat), EXISTS (SELECT 1 FROM queued)
        FROM me
        UNION ALL
        SELECT 'partner'::text, u.id, u.gender, u.age, u.interests, u.language, u.likes, u.dislikes,
               u.partner_gender, u.partner_age_min, u.partner_age_max, u.interests_mode, u.partner_language,
               u.banned_until, NULL::boolean, NULL::boolean, NULL::bigint, NULL::bigint, NULL::boolean,
               NULL::bigint, NULL::boolean
        FROM users u JOIN taken ON u.id = taken.user_id;
    -- A searcher who could search is now either in a chat or in the queue, unless the partner
    -- chosen was gone (above). Waiting then could leave them apart from another compatible user
    -- who waits: undo everything instead, locks included, and let the caller run the search again
    -- (roulette/storage/repositories.py); its new snapshot sees the change that took the partner.
    IF NOT EXISTS (SELECT 1 FROM search_queue q WHERE q.user_id = searcher)
       AND NOT EXISTS (SELECT 1 FROM chat_participants p WHERE p.user_id = searcher AND p.active)
       AND EXISTS (SELECT 1 FROM users u WHERE u.id = searcher AND u.gender IS NOT NULL AND u.age IS NOT NULL
                   AND (u.banned_until IS NULL OR u.banned_until <= now())) THEN
        RAISE EXCEPTION 'the partner chosen for user % was taken meanwhile', searcher
            USING ERRCODE = 'serialization_failure';
    END IF;
END
$function$;
