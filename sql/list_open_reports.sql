-- The admins' queue: open reports, oldest first. No user ids: an admin opens one by its token.
SELECT r.token, r.reason, r.created_at, r.message_id IS NOT NULL AS has_evidence
FROM reports r
WHERE r.resolved_at IS NULL
ORDER BY r.created_at, r.id
LIMIT $1
