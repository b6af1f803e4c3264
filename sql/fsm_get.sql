-- aiogram FSM: state and data for one key.
SELECT state, data FROM fsm_state
WHERE bot_id = $1 AND chat_id = $2 AND user_id = $3 AND thread_id = $4 AND business_connection_id = $5 AND destiny = $6
