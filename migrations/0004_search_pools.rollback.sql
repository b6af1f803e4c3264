DROP TRIGGER IF EXISTS search_queue_keys ON users;
DROP FUNCTION IF EXISTS copy_search_queue_keys();
CREATE INDEX search_queue_enqueued_at ON search_queue (enqueued_at);
DROP INDEX search_queue_any_language;
DROP INDEX search_queue_pool;
ALTER TABLE search_queue
    DROP COLUMN adult,
    DROP COLUMN pairable,
    DROP COLUMN gender,
    DROP COLUMN age,
    DROP COLUMN interests,
    DROP COLUMN language,
    DROP COLUMN partner_gender,
    DROP COLUMN partner_age_min,
    DROP COLUMN partner_age_max,
    DROP COLUMN interests_mode,
    DROP COLUMN partner_language;
ALTER TABLE users DROP COLUMN partner_language;
