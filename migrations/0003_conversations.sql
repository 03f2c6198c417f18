-- Where a user is in a multi-step flow (naming a project, entering a prompt, ...),
-- kept in PostgreSQL so that every serve process sees the same step.
-- depends: 0002_core_mechanisms

CREATE TABLE IF NOT EXISTS conversation_state (
    user_id BIGINT PRIMARY KEY,
    flow TEXT NOT NULL,
    data JSONB NOT NULL DEFAULT '{}'::jsonb,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'conversation_state_user_id_fkey'
                   AND conrelid = 'public.conversation_state'::regclass) THEN
        DELETE FROM conversation_state c  -- a half-finished flow of a user who is gone
        WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.user_id = c.user_id);
        ALTER TABLE conversation_state ADD CONSTRAINT conversation_state_user_id_fkey
            FOREIGN KEY (user_id) REFERENCES users(user_id) ON DELETE CASCADE;
    END IF;
END
$$;
