-- aiogram FSM: replace the data, keeping the state.
INSERT INTO fsm_state (bot_id, chat_id, user_id, thread_id, business_connection_id, destiny, data)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (bot_id, chat_id, user_id, thread_id, business_connection_id, destiny)
DO UPDATE SET data = EXCLUDED.data, updated_at = now()
