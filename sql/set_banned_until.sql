-- Ban until a time (NULL lifts the ban).
UPDATE users SET banned_until = $2, updated_at = now() WHERE id = $1 RETURNING *
