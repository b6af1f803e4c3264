-- Where the two sides of chat $1 stand, for $2 (one of them) asking to talk again or accepting.
-- No row: the chat is gone, or $2 was not in it. partner_* are NULL when the partner deleted
-- their data. Read after the pairing lock (lock_queue_changes) was taken, so no search, ban, bot
-- block or deletion changes any of it before the caller's transaction ends.
WITH chat AS (
    SELECT id, ended_at, CASE WHEN user_a = $2 THEN user_b ELSE user_a END AS partner_id
    FROM chats WHERE id = $1 AND $2 IN (user_a, user_b)
), sides AS (
    SELECT u.id,
           u.gender IS NOT NULL AND u.age IS NOT NULL AS complete,
           u.age >= 18 AS adult,
           u.banned_until IS NOT NULL AND u.banned_until > now() AS banned,
           u.bot_blocked,
           EXISTS (SELECT 1 FROM chat_participants p WHERE p.user_id = u.id AND p.active) AS in_chat,
           EXISTS (SELECT 1 FROM search_queue q WHERE q.user_id = u.id) AS searching,
           -- a chat started after this one ends the offer to talk again (chat ids only grow)
           EXISTS (SELECT 1 FROM chat_participants p WHERE p.user_id = u.id AND p.chat_id > $1) AS moved_on
    FROM users u
    WHERE u.id IN ($2, (SELECT partner_id FROM chat))
)
SELECT chat.ended_at, chat.partner_id,
       me.complete AS my_complete, me.adult AS my_adult, me.banned AS my_banned, me.bot_blocked AS my_bot_blocked,
       me.in_chat AS my_in_chat, me.searching AS my_searching, me.moved_on AS my_moved_on,
       partner.id IS NOT NULL AS partner_present,
       partner.complete AS partner_complete, partner.adult AS partner_adult, partner.banned AS partner_banned,
       partner.bot_blocked AS partner_bot_blocked, partner.in_chat AS partner_in_chat,
       partner.searching AS partner_searching, partner.moved_on AS partner_moved_on,
       -- both directions, each by its own index of blocks
       EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = $2 AND b.blocked_id = chat.partner_id)
           OR EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = chat.partner_id AND b.blocked_id = $2) AS blocked,
       EXISTS (SELECT 1 FROM reconnect_invitations i WHERE i.chat_id = $1 AND i.asker_id = $2) AS asked_before,
       (SELECT i.token FROM reconnect_invitations i
        WHERE i.chat_id = $1 AND i.asker_id = chat.partner_id AND i.status = 'pending' AND i.expires_at > now())
           AS partner_token
FROM chat
JOIN sides me ON me.id = $2
LEFT JOIN sides partner ON partner.id = chat.partner_id
