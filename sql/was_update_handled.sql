-- Was this Telegram update's effect committed before? A use case that ends without committing
-- (nothing to change, only an answer to give) asks, so that a redelivered update stays silent.
SELECT EXISTS (SELECT 1 FROM processed_updates WHERE update_id = $1)
