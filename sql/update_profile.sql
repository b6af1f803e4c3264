-- Replace gender, age and interests.
UPDATE users SET gender = $2, age = $3, interests = $4, updated_at = now()
WHERE id = $1
RETURNING *
