-- Claim, for $1 seconds, up to $2 outbox rows that nobody delivered in time: a claim that expired
-- (the process delivering it died) or a row nobody claimed within $1 seconds of being written (the
-- process that wrote it died before delivering it). A user's notices still go one at a time, oldest
-- first; albums need no order among themselves. SKIP LOCKED: processes sweeping at once share.
WITH overdue AS (
    SELECT o.id
    FROM outbox o
    WHERE COALESCE(o.claimed_until, o.created_at + make_interval(secs => $1::float8)) < now()
      AND (o.kind = 'album' OR NOT EXISTS (
          SELECT 1 FROM outbox earlier
          WHERE earlier.kind <> 'album' AND earlier.recipient_id = o.recipient_id AND earlier.id < o.id
      ))
    ORDER BY o.id
    LIMIT $2
    FOR UPDATE OF o SKIP LOCKED
)
UPDATE outbox o SET claimed_until = now() + make_interval(secs => $1::float8)
FROM overdue
WHERE o.id = overdue.id
RETURNING o.id, o.kind, o.recipient_id, o.chat_id, o.details, o.sender_id, o.media_group_id, o.version
