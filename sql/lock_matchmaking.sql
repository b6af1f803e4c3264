-- Serialise the pairing step across all connections and processes until the transaction ends.
-- FOR UPDATE SKIP LOCKED alone is not enough: two compatible users who search at the same
-- instant each skip the other's locked queue row and both stay waiting. Pairing is a short
-- transaction, so one global lock still allows well over a thousand pairings a second.
SELECT pg_advisory_xact_lock(7301986)
