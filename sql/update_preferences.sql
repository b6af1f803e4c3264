-- Replace the search preferences.
UPDATE users
SET partner_gender = $2, partner_age_min = $3, partner_age_max = $4, interests_mode = $5, partner_language = $6,
    updated_at = now()
WHERE id = $1
RETURNING *
