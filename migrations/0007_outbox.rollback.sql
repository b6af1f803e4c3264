DROP TABLE message_edits;
DROP TABLE outbox;
