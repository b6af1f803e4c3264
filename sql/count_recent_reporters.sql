-- Distinct users who reported this user since a moment, unresolved reports only.
SELECT count(DISTINCT reporter_id) FROM reports
WHERE reported_id = $1 AND created_at >= $2 AND resolved_at IS NULL
