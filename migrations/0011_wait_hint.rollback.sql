DROP INDEX search_queue_hint_due;
ALTER TABLE search_queue DROP COLUMN hinted_at;
