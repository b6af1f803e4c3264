-- Serialise the pairing step across all connections and processes until the transaction ends.
-- FOR UPDATE SKIP LOCKED alone is not enough: two compatible users who search at the same
-- instant each skip the other's locked queue row and both stay waiting.
-- The lock is held until COMMIT returns, so the commit does not wait for the WAL flush:
-- a server crash may forget the last few milliseconds of pairings (the users just search
-- again), and in exchange the lock is not held across a disk flush.
-- Two statements without parameters: sent in one round trip.
SET LOCAL synchronous_commit = off;
SELECT pg_advisory_xact_lock(7301986);
