-- Remember the ids of the partners' copies of several relayed messages at once (the relays
-- that finished in the same moment share one statement), for replies and edits later.
UPDATE messages m SET relayed_message_id = copy.relayed_message_id
FROM unnest($1::bigint[], $2::bigint[]) AS copy (message_id, relayed_message_id)
WHERE m.id = copy.message_id
