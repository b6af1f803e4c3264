-- Retention of invitations to talk again, one bounded batch: delete up to $1 that expired, whatever
-- became of them. The caller repeats it until nothing is left.
WITH doomed AS (
    SELECT token FROM reconnect_invitations
    WHERE expires_at < now()
    ORDER BY expires_at
    LIMIT $1
    FOR UPDATE SKIP LOCKED
)
DELETE FROM reconnect_invitations i USING doomed WHERE i.token = doomed.token RETURNING i.token
