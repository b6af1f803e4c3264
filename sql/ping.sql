-- Readiness: the database takes a connection and answers a query.
SELECT 1
