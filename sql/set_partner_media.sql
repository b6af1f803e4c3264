-- How partners' photos and videos reach the user: 'shown', 'blurred', 'text', or NULL (the
-- default for their age).
UPDATE users SET partner_media = $2, updated_at = now() WHERE id = $1 RETURNING *
