-- The notes table of the genbot-notes plugin.
-- depends: 0001_seed_schema
--
-- Two habits every genbot migration follows:
-- * file names carry the plugin's name: yoyo identifies a migration by its file name
--   across every folder, so a plugin's ids must not collide with anyone else's;
-- * statements converge (IF NOT EXISTS; a foreign key added by name when missing), so
--   `python run.py migrate` can re-assert them to repair a table dropped by hand.

CREATE TABLE IF NOT EXISTS notes (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL,
    text TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX IF NOT EXISTS idx_notes_user_id ON notes (user_id, created_at DESC);

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'notes_user_id_fkey'
                   AND conrelid = 'public.notes'::regclass) THEN
        INSERT INTO users (user_id) SELECT DISTINCT user_id FROM notes
        ON CONFLICT (user_id) DO NOTHING;
        ALTER TABLE notes ADD CONSTRAINT notes_user_id_fkey
            FOREIGN KEY (user_id) REFERENCES users(user_id);
    END IF;
END
$$;
