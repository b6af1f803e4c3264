-- Change the interface language.
UPDATE users SET language = $2, updated_at = now() WHERE id = $1 RETURNING *
