-- Waiting users who fit the searcher ($1) and whom the searcher fits, best first:
-- more shared interests, then the longest wait. domain.can_pair re-checks each candidate.
-- $2 gender, $3 age, $4 interests, $5 partner_gender, $6 partner_age_min, $7 partner_age_max,
-- $8 interests_mode of the searcher; $9 how many to return.
SELECT * FROM (
SELECT u.*, q.enqueued_at,
       cardinality(ARRAY(SELECT unnest(u.interests) INTERSECT SELECT unnest($4::text[]))) AS shared
FROM search_queue q
JOIN users u ON u.id = q.user_id
WHERE q.user_id <> $1
  AND NOT u.bot_blocked
  AND (u.banned_until IS NULL OR u.banned_until <= now())
  AND u.gender IS NOT NULL AND u.age IS NOT NULL
  -- adults and minors are never paired
  AND (u.age >= 18) = ($3 >= 18)
  -- the searcher's wishes
  AND ($5 = 'any' OR u.gender = $5)
  AND u.age BETWEEN $6 AND $7
  -- the candidate's wishes
  AND (u.partner_gender = 'any' OR u.partner_gender = $2)
  AND $3 BETWEEN u.partner_age_min AND u.partner_age_max
  AND (($8 <> 'require' AND u.interests_mode <> 'require') OR u.interests && $4::text[])
  AND NOT EXISTS (
      SELECT 1 FROM blocks b
      WHERE (b.blocker_id = $1 AND b.blocked_id = u.id) OR (b.blocker_id = u.id AND b.blocked_id = $1)
  )
) AS candidate
ORDER BY CASE WHEN $8 = 'ignore' THEN 0 ELSE shared END DESC, enqueued_at, id
LIMIT $9
