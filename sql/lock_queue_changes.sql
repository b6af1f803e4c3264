-- The pairing lock (taken by the start_search function, sql/functions/start_search.sql), for
-- changes that take someone out of the queue for good (ban, blocking the bot, deleting the
-- account): taken first, a search running at the same moment either commits before them, so
-- they remove its queue entry, or starts after them and sees the change. These commits stay
-- durable.
SELECT pg_advisory_xact_lock(7301986)
