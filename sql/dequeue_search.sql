-- Leave the queue; no row back means the user was not searching. The place it had (when the
-- search began, whether a hint was given) comes back for a search that starts again at once.
DELETE FROM search_queue WHERE user_id = $1 RETURNING enqueued_at, hinted_at
