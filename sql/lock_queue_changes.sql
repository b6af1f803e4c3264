-- The pairing lock, for changes to who may meet whom (a ban, blocking the bot, deleting the
-- account, a report or a block, a change of profile, wishes or language, an accepted invitation
-- to talk again). Every search holds this key in shared mode while it runs
-- (sql/functions/start_search.sql); taken here exclusively, it waits for the searches under way
-- and holds back new ones: a search either commits before the change, which then removes its
-- queue entry, or starts after it and sees the change. Searches never wait for each other on
-- it. These commits stay durable.
SELECT pg_advisory_xact_lock(7301986)
