-- Erase a user's own data: profile, reputation (the ratings they received), search settings,
-- the messages they sent, the blocks they made, their FSM state. What others filed about them
-- (reports, blocks against them) stays: that is the others' data, and it keeps a blocked
-- person from meeting the blocker again under a new profile.
WITH sent AS (DELETE FROM messages WHERE sender_id = $1),
     received AS (DELETE FROM ratings WHERE ratee_id = $1),
     made_blocks AS (DELETE FROM blocks WHERE blocker_id = $1),
     fsm AS (DELETE FROM fsm_state WHERE user_id = $1)
DELETE FROM users WHERE id = $1 RETURNING id
