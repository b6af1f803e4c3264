-- Create the user if new; `created` tells which. An existing user is returned unchanged.
WITH inserted AS (
    INSERT INTO users (id, language) VALUES ($1, $2)
    ON CONFLICT (id) DO NOTHING
    RETURNING *
)
SELECT inserted.*, TRUE AS created FROM inserted
UNION ALL
SELECT users.*, FALSE AS created FROM users WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM inserted)
