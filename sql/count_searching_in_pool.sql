-- How many are searching in the pool of user $1 (their class and language, themselves
-- included), counted up to $2: the number a user who just started waiting is shown. Read from
-- the search_queue_pool index alone (its first two keys), and stopped after $2 entries, so that
-- it costs the same with 50,000 waiting as with a thousand. No row: the user is not waiting.
SELECT (
    SELECT count(*)::int
    FROM (
        SELECT 1
        FROM search_queue q
        WHERE q.pairable AND q.adult = me.adult AND q.language = me.language
        LIMIT $2
    ) AS pool
) AS searching
FROM search_queue me
WHERE me.user_id = $1
