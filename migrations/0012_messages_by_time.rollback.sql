DROP INDEX messages_created_brin;
CREATE INDEX messages_created_at ON messages (created_at);
