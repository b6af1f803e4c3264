-- aiogram FSM: set (or clear, with NULL) the state, keeping the data.
INSERT INTO fsm_state (bot_id, chat_id, user_id, thread_id, business_connection_id, destiny, state)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (bot_id, chat_id, user_id, thread_id, business_connection_id, destiny)
DO UPDATE SET state = EXCLUDED.state, updated_at = now()
