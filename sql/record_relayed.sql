-- Remember the id of the partner's copy, for replies and edits later.
UPDATE messages SET relayed_message_id = $2 WHERE id = $1
