-- A search started again at once (new wishes) keeps the place of the one it replaces: the wait
-- already done still counts for "longest waiting first", and a hint given stays given.
-- $1 user, $2 when the replaced search began, $3 when it was hinted (or NULL).
UPDATE search_queue SET enqueued_at = $2, hinted_at = $3 WHERE user_id = $1
