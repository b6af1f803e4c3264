-- Close an open report with the admin's decision; no row back if it was closed before (two
-- admins deciding at once: the first one wins).
UPDATE reports SET resolved_at = now(), resolution = $2, resolved_by = $3
WHERE token = $1 AND resolved_at IS NULL
RETURNING id, reported_id
