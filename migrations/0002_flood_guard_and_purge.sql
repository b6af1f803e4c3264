-- The flood guard counts a sender's recent messages on every relay; the retention purge
-- deletes by age. Both need these indexes to stay cheap on a large messages table.
-- depends: 0001_initial

CREATE INDEX messages_sender_recent ON messages (sender_id, created_at);
