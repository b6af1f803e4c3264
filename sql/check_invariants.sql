-- Every rule the schema cannot express by itself, as (name, number of offending rows).
-- All must be 0; `python anochat.py check` prints them.
SELECT 'user in two active chats' AS invariant, count(*) AS violations FROM (
    SELECT user_id FROM chat_participants WHERE active GROUP BY user_id HAVING count(*) > 1
) AS doubled
UNION ALL
SELECT 'active chat without exactly two active sides', count(*) FROM (
    SELECT c.id FROM chats c LEFT JOIN chat_participants p ON p.chat_id = c.id AND p.active
    WHERE c.ended_at IS NULL GROUP BY c.id HAVING count(p.user_id) <> 2
) AS lopsided
UNION ALL
SELECT 'ended chat with an active side', count(*) FROM chat_participants p
    JOIN chats c ON c.id = p.chat_id WHERE p.active AND c.ended_at IS NOT NULL
UNION ALL
SELECT 'chat sides differ from the chat''s users', count(*) FROM chat_participants p
    JOIN chats c ON c.id = p.chat_id WHERE p.user_id NOT IN (c.user_a, c.user_b)
UNION ALL
SELECT 'user searching while in a chat', count(*) FROM search_queue q
    JOIN chat_participants p ON p.user_id = q.user_id AND p.active
UNION ALL
SELECT 'banned or bot-blocked user in the queue', count(*) FROM search_queue q
    JOIN users u ON u.id = q.user_id WHERE u.bot_blocked OR u.banned_until > now()
UNION ALL
SELECT 'incomplete profile in the queue', count(*) FROM search_queue q
    JOIN users u ON u.id = q.user_id WHERE u.gender IS NULL OR u.age IS NULL
UNION ALL
SELECT 'queue row whose matching keys differ from the profile', count(*) FROM search_queue q
    JOIN users u ON u.id = q.user_id
    WHERE (q.gender, q.age, q.interests, q.language, q.partner_gender, q.partner_age_min, q.partner_age_max,
           q.interests_mode, q.partner_language)
          IS DISTINCT FROM
          (u.gender, u.age, u.interests, u.language, u.partner_gender, u.partner_age_min, u.partner_age_max,
           u.interests_mode, u.partner_language)
UNION ALL
SELECT 'active chat between an adult and a minor', count(*) FROM chats c
    JOIN users a ON a.id = c.user_a JOIN users b ON b.id = c.user_b
    WHERE c.ended_at IS NULL AND (a.age >= 18) <> (b.age >= 18)
UNION ALL
SELECT 'active chat between a blocked pair', count(*) FROM chats c
    JOIN blocks b ON (b.blocker_id = c.user_a AND b.blocked_id = c.user_b)
                  OR (b.blocker_id = c.user_b AND b.blocked_id = c.user_a)
    WHERE c.ended_at IS NULL AND b.created_at < c.started_at
UNION ALL
SELECT 'rating by someone who was not in the chat', count(*) FROM ratings r
    JOIN chats c ON c.id = r.chat_id
    WHERE r.rater_id NOT IN (c.user_a, c.user_b) OR r.ratee_id NOT IN (c.user_a, c.user_b)
UNION ALL
SELECT 'rating of a chat still active', count(*) FROM ratings r
    JOIN chats c ON c.id = r.chat_id WHERE c.ended_at IS NULL
UNION ALL
-- lower, not different: ratings go with their chat after CHAT_RETENTION_DAYS, reputation stays
SELECT 'reputation lower than the ratings received', count(*) FROM users u
    JOIN (SELECT ratee_id, count(*) FILTER (WHERE value = 1) AS likes,
                 count(*) FILTER (WHERE value = -1) AS dislikes
          FROM ratings GROUP BY ratee_id) r ON r.ratee_id = u.id
    WHERE u.likes < r.likes OR u.dislikes < r.dislikes
UNION ALL
SELECT 'message outside its chat''s users', count(*) FROM messages m
    JOIN chats c ON c.id = m.chat_id WHERE m.sender_id NOT IN (c.user_a, c.user_b)
UNION ALL
SELECT 'message left in a purged chat', count(*) FROM messages m
    JOIN chats c ON c.id = m.chat_id WHERE c.messages_purged
