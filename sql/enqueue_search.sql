-- Join the queue; no row back means the user was already searching.
INSERT INTO search_queue (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING RETURNING user_id
