-- Claim, for $2 seconds, the oldest undelivered notice of each of the users $1, to send it now.
-- One at a time per user, so that a user's notices arrive in the order they were written; a
-- notice another process is still delivering holds that user's later ones back. SKIP LOCKED: two
-- processes claiming at once take different rows instead of waiting for each other.
WITH oldest AS (
    SELECT DISTINCT ON (recipient_id) id
    FROM outbox
    WHERE kind <> 'album' AND recipient_id = ANY ($1::bigint[])
    ORDER BY recipient_id, id
), claimable AS (
    SELECT o.id
    FROM outbox o
    JOIN oldest USING (id)
    WHERE o.claimed_until IS NULL OR o.claimed_until < now()
    FOR UPDATE OF o SKIP LOCKED
)
UPDATE outbox o SET claimed_until = now() + make_interval(secs => $2::float8)
FROM claimable
WHERE o.id = claimable.id
RETURNING o.id, o.kind, o.recipient_id, o.chat_id, o.details, o.sender_id, o.media_group_id, o.version
