-- An album flush is done: forget its row, unless an item arrived since it was claimed (the version
-- moved on); then release the claim instead, so that the new item is flushed too.
WITH done AS (
    DELETE FROM outbox WHERE id = $1 AND version = $2 RETURNING id
)
UPDATE outbox SET claimed_until = NULL
WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM done)
