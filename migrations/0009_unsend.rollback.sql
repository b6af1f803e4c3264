ALTER TABLE messages DROP COLUMN deleted_at;
