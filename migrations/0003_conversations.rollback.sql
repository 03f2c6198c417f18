DROP TABLE IF EXISTS conversation_state;
