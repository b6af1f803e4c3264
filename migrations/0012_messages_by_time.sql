-- The flood guard counts one sender's recent messages through messages_sender_recent (sender_id,
-- created_at). Beside it stood a btree on created_at alone, and the relay statement's plan (made
-- once per connection for any parameters: roulette/storage/pool.py) took that one: to count one
-- sender's messages it read every user's messages of the window, a cost that grew with the whole
-- bot's traffic. Only /stats' 24-hour count reads messages by time; a BRIN index serves it (the
-- table is written in time order) at next to no cost per message, where the btree took an index
-- entry on every insert and on every update of a copy's id.
-- depends: 0011_wait_hint
DROP INDEX messages_created_at;
CREATE INDEX messages_created_brin ON messages USING brin (created_at);
