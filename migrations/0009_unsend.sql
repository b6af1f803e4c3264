-- A message its sender unsent: the partner's copy was deleted. The row stays, marked, for as long
-- as any message of its chat (a report made afterwards still shows what the partner saw).
-- depends: 0007_outbox

ALTER TABLE messages ADD COLUMN deleted_at TIMESTAMPTZ;
