-- The functions step created it after the numbered migrations, whether or not this one did.
DROP FUNCTION IF EXISTS start_search(BIGINT, BIGINT);
