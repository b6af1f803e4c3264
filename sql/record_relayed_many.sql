-- Remember the ids of the partners' copies of several relayed messages at once (the relays
-- that finished in the same moment share one statement), for replies and edits later.
-- `m.id = ANY ($1)` repeats the join's condition so that the rows are found through the primary
-- key whatever the plan, which is made once per connection (roulette/storage/pool.py): made
-- while the table was small, a plain join read the whole table on every call from then on.
UPDATE messages m SET relayed_message_id = copy.relayed_message_id
FROM unnest($1::bigint[], $2::bigint[]) AS copy (message_id, relayed_message_id)
WHERE m.id = copy.message_id AND m.id = ANY ($1::bigint[])
