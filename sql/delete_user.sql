-- Erase every row that names the user, or put NULL ("a user who deleted their data") in its
-- place. Gone: the profile, reputation and settings, the ratings they received, the messages
-- they sent (with their earlier versions), the blocks they made, their sides of chats, their FSM
-- state, and whatever the outbox still holds for them or from them (notices to them, albums in
-- their chats; the partner's "partner left" notice is written after this and stays). Anonymised: the chats they were in, the ratings and reports they made (the other side's
-- reputation and a report under review still stand). Kept as they are: the reports and blocks
-- others made about them, which are those people's data and keep a blocked or reported person
-- from starting afresh under a new profile (docs/safety.md).
-- Run after their active chat was ended. Every CTE sees the rows as they were before the
-- statement, so `mine` still lists the chats whose sides `sides` deletes; the chats, ratings and
-- reports are found through it (by index) rather than by scanning for the id.
WITH mine AS (SELECT chat_id FROM chat_participants WHERE user_id = $1),
     sent AS (DELETE FROM messages WHERE sender_id = $1),
     received AS (DELETE FROM ratings WHERE chat_id IN (SELECT chat_id FROM mine) AND ratee_id = $1),
     given AS (UPDATE ratings SET rater_id = NULL WHERE chat_id IN (SELECT chat_id FROM mine) AND rater_id = $1),
     made_reports AS (
         UPDATE reports SET reporter_id = NULL WHERE chat_id IN (SELECT chat_id FROM mine) AND reporter_id = $1
     ),
     made_blocks AS (DELETE FROM blocks WHERE blocker_id = $1),
     sides AS (DELETE FROM chat_participants WHERE user_id = $1),
     chats_in AS (
         -- one UPDATE per row: a statement must not change the same row from two CTEs
         UPDATE chats
         SET user_a = NULLIF(user_a, $1), user_b = NULLIF(user_b, $1), ended_by = NULLIF(ended_by, $1)
         WHERE id IN (SELECT chat_id FROM mine)
     ),
     fsm AS (DELETE FROM fsm_state WHERE user_id = $1),
     -- both arms by index: notices by recipient, albums by chat
     pending AS (
         DELETE FROM outbox
         WHERE (recipient_id = $1 AND kind <> 'album') OR (kind = 'album' AND chat_id IN (SELECT chat_id FROM mine))
     )
DELETE FROM users WHERE id = $1 RETURNING id
