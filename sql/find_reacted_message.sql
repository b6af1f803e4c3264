-- For a reaction: which original does the reacted message stand for? Only a copy of the
-- partner's message in the reactor's active chat qualifies (a reaction on a bot notice, on one's
-- own message or on a message of an ended chat goes nowhere). A reaction counts against the flood
-- guard like a message or an edit: toggling reactions is no way around it. It leaves a mark in
-- message_edits, the flood guard's table of actions that are not messages.
-- Always one row. partner_id NULL: no copy of the partner's in the user's chat going on.
-- flooded: over the limit, nothing counted.
-- $1 the user who reacted, $2 the reacted message id in their chat, $3 flood limit, $4 flood
-- window (seconds).
WITH original AS (
    -- in a chat of two, a message not sent by the user is the partner's
    SELECT m.sender_id AS partner_id, m.source_message_id
    FROM chat_participants mine
    JOIN messages m ON m.chat_id = mine.chat_id AND m.relayed_message_id = $2 AND m.sender_id <> mine.user_id
    WHERE mine.user_id = $1 AND mine.active
), recent AS (
    SELECT flood_count($1, $3, $4) AS sent
), counted AS (
    INSERT INTO message_edits (sender_id)
    SELECT $1 FROM original WHERE (SELECT sent FROM recent) < $3
)
SELECT original.partner_id,
       (SELECT sent FROM recent) >= $3 AS flooded,
       original.source_message_id AS message_id
FROM (SELECT 1) AS one
LEFT JOIN original ON TRUE
