-- The whole pairing step for one searcher ($1), asked by Telegram update $2 (NULL: none), in one round trip: the function
-- start_search (sql/functions/start_search.sql) takes the pairing lock, then checks,
-- pairs or queues. Run it outside an explicit transaction, so the lock is held only while it runs.
-- Rows: the searcher ('me', with what was done), and the new partner if paired; or one
-- 'duplicate' row when update $2 was handled before.
SELECT * FROM start_search($1, $2)
