-- The pairing step in one statement, run right after lock_matchmaking.sql (whose lock must be
-- taken in a statement of its own: a statement's snapshot is taken when it starts, and this
-- one has to see every search committed before the lock was granted).
-- It checks the searcher, picks the best compatible waiting user (more shared interests, then
-- the longest wait), takes them out of the queue and opens the chat — or queues the searcher.
-- Every rule of domain.can_pair is applied here; the use case re-checks the chosen partner.
-- $1 the searcher.
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
        WHERE mine.user_id = $1 AND mine.active
    ) AS active ON TRUE
    WHERE u.id = $1
), eligible AS (
    SELECT * FROM me WHERE complete AND NOT banned AND active_chat_id IS NULL AND NOT searching
), unblocked AS (
    -- A user who searches is talking to the bot, so they no longer block it.
    UPDATE users SET bot_blocked = FALSE WHERE id = (SELECT id FROM eligible) AND bot_blocked RETURNING id
), candidate AS (
    SELECT u.id,
           cardinality(ARRAY(SELECT unnest(u.interests) INTERSECT SELECT unnest(e.interests))) AS shared,
           e.interests_mode AS my_mode,
           q.enqueued_at
    FROM eligible e
    JOIN search_queue q ON q.user_id <> e.id
    JOIN users u ON u.id = q.user_id
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
    INSERT INTO chats (user_a, user_b) SELECT taken.user_id, $1 FROM taken RETURNING id, user_a
), sides AS (
    INSERT INTO chat_participants (chat_id, user_id)
    SELECT chat.id, side FROM chat, unnest(ARRAY[chat.user_a, $1::bigint]) AS side
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
SELECT 'me' AS role, me.*, (SELECT id FROM chat) AS chat_id, EXISTS (SELECT 1 FROM queued) AS queued
FROM me
UNION ALL
SELECT 'partner', u.*, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM users u JOIN taken ON u.id = taken.user_id
