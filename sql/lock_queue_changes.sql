-- The pairing lock, for changes that take someone out of the queue for good (ban, blocking the
-- bot, deleting the account). Every search holds this key in shared mode while it runs
-- (sql/functions/start_search.sql); taken here exclusively, it waits for the searches under way
-- and holds back new ones: a search either commits before the change, which then removes its
-- queue entry, or starts after it and sees the change. Searches never wait for each other on
-- it. These commits stay durable.
SELECT pg_advisory_xact_lock(7301986)
