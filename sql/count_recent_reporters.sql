-- Distinct users who reported this user since a moment, unresolved reports only. A reporter who
-- deleted their data since (NULL) still counts once per report.
SELECT count(DISTINCT reporter_id) + count(*) FILTER (WHERE reporter_id IS NULL) FROM reports
WHERE reported_id = $1 AND created_at >= $2 AND resolved_at IS NULL
