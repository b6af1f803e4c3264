-- Is the user in the queue?
SELECT EXISTS (SELECT 1 FROM search_queue WHERE user_id = $1)
