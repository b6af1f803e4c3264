-- A user who has waited a while is told, once per search, which of their own wishes narrows
-- their pool most (roulette/bot/wait_hints.py). The claim is an UPDATE of the user's own queue
-- row, so two processes never both tell them; the row goes when the search ends, and with it
-- the mark, so the next search may hint again.
-- depends: 0007_outbox

-- NULL: not told yet during this search.
ALTER TABLE search_queue ADD COLUMN hinted_at TIMESTAMPTZ;
-- The rows still owed a hint, in waiting order: the sweep reads the due ones from the start of
-- this index and stops after a batch, however many wait (sql/claim_wait_hints.sql). Rows leave
-- it once told, so it holds only those who have waited less than a hint's delay or not been
-- swept yet.
CREATE INDEX search_queue_hint_due ON search_queue (enqueued_at) WHERE hinted_at IS NULL;
