-- Claim, for $4 seconds, the pending flush of the album $3 that user $2 sent in chat $1; no row
-- back: flushed already, or being flushed by someone else.
UPDATE outbox SET claimed_until = now() + make_interval(secs => $4::float8)
WHERE kind = 'album' AND chat_id = $1 AND sender_id = $2 AND media_group_id = $3
  AND (claimed_until IS NULL OR claimed_until < now())
RETURNING id, kind, recipient_id, chat_id, details, sender_id, media_group_id, version
