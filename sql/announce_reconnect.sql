-- Both sides of chat $1, opened again by mutual consent, are told so through the outbox; they know
-- each other already, so the notice shows no reputation or interests.
INSERT INTO outbox (kind, recipient_id, chat_id, details)
SELECT 'partner_found', p.user_id, p.chat_id, jsonb_build_object('again', true)
FROM chat_participants p
WHERE p.chat_id = $1
ORDER BY p.user_id
