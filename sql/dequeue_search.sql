-- Leave the queue; no row back means the user was not searching.
DELETE FROM search_queue WHERE user_id = $1 RETURNING user_id
