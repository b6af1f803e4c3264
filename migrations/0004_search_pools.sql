-- The queue carries each waiting user's matching keys, so that a search reads only the waiting
-- users who could be paired with the searcher (see sql/functions/start_search.sql), and the
-- partner-language wish those keys need.
-- depends: 0003_start_search_function

-- "same": only a partner whose bot language is the user's own; "any": whoever.
ALTER TABLE users ADD COLUMN partner_language TEXT NOT NULL DEFAULT 'same'
    CHECK (partner_language IN ('same', 'any'));

-- Copies of the users' columns that decide who may meet whom. sql/functions/search_queue_keys.sql
-- keeps them equal to the profile (a trigger), and sql/check_invariants.sql checks it.
ALTER TABLE search_queue
    ADD COLUMN gender TEXT,
    ADD COLUMN age SMALLINT,
    ADD COLUMN interests TEXT[],
    ADD COLUMN language TEXT,
    ADD COLUMN partner_gender TEXT,
    ADD COLUMN partner_age_min SMALLINT,
    ADD COLUMN partner_age_max SMALLINT,
    ADD COLUMN interests_mode TEXT,
    ADD COLUMN partner_language TEXT;
UPDATE search_queue q
SET gender = u.gender, age = u.age, interests = u.interests, language = u.language,
    partner_gender = u.partner_gender, partner_age_min = u.partner_age_min,
    partner_age_max = u.partner_age_max, interests_mode = u.interests_mode, partner_language = u.partner_language
FROM users u WHERE u.id = q.user_id;
-- Nobody with an incomplete profile may wait.
DELETE FROM search_queue WHERE gender IS NULL OR age IS NULL;
ALTER TABLE search_queue
    ALTER COLUMN gender SET NOT NULL,
    ALTER COLUMN age SET NOT NULL,
    ALTER COLUMN interests SET NOT NULL,
    ALTER COLUMN language SET NOT NULL,
    ALTER COLUMN partner_gender SET NOT NULL,
    ALTER COLUMN partner_age_min SET NOT NULL,
    ALTER COLUMN partner_age_max SET NOT NULL,
    ALTER COLUMN interests_mode SET NOT NULL,
    ALTER COLUMN partner_language SET NOT NULL,
    -- adults and minors are never paired: the first key of every pool
    ADD COLUMN adult BOOLEAN GENERATED ALWAYS AS (age >= 18) STORED,
    -- false for a user who requires a shared interest and has chosen none: no search can pair
    -- them, so they wait outside the indexes below and no search ever reads their row
    ADD COLUMN pairable BOOLEAN GENERATED ALWAYS AS (interests_mode <> 'require' OR interests <> '{}') STORED;

-- A search walks, in order of waiting time, only the slices of the queue where a partner can be:
-- its own class and language, a gender it accepts, and a wish that accepts its gender.
CREATE INDEX search_queue_pool
    ON search_queue (adult, language, partner_language, gender, partner_gender, enqueued_at) WHERE pairable;
-- A searcher who accepts any language also meets the users of every language who accept any.
CREATE INDEX search_queue_any_language
    ON search_queue (adult, gender, partner_gender, enqueued_at) WHERE pairable AND partner_language = 'any';
-- Every search is served by the two above; a third index would only slow down each queue change.
DROP INDEX search_queue_enqueued_at;
