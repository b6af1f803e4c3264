-- Claim up to $2 waiting users who have waited $1 seconds or more and have not been told during
-- this search which of their wishes narrows their pool most; return their matching keys.
-- The claim is the UPDATE of their own queue row: two processes sweeping at once never both
-- claim one (SKIP LOCKED: they share the due rows, and a row a search is taking out of the queue
-- this instant is left to it). Read from search_queue_hint_due in waiting order: only due rows.
WITH due AS (
    SELECT q.user_id
    FROM search_queue q
    WHERE q.hinted_at IS NULL AND q.enqueued_at <= now() - make_interval(secs => $1::float8)
    ORDER BY q.enqueued_at
    LIMIT $2
    FOR UPDATE SKIP LOCKED
)
UPDATE search_queue q SET hinted_at = now()
FROM due
WHERE q.user_id = due.user_id AND q.hinted_at IS NULL
RETURNING q.user_id, q.adult, q.pairable, q.gender, q.age, q.interests, q.language, q.partner_gender,
          q.partner_age_min, q.partner_age_max, q.interests_mode, q.partner_language
