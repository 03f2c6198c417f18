-- Generation: jobs in a queue every serve process shares, and the free daily quota.
-- depends: 0003_conversations
--
-- Convergent like every genbot migration (see 0001).

CREATE TABLE IF NOT EXISTS generation_jobs (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL,
    chat_id BIGINT NOT NULL,
    model_id TEXT NOT NULL,
    category TEXT,
    provider TEXT NOT NULL,
    inputs JSONB NOT NULL,
    price_rub NUMERIC(10, 2) NOT NULL DEFAULT 0,
    is_free BOOLEAN NOT NULL DEFAULT FALSE,
    reservation_id BIGINT,
    draft_key TEXT UNIQUE,
    status TEXT NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'timeout', 'cancelled')),
    timeout_s INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    locked_by TEXT,
    heartbeat_at TIMESTAMPTZ,
    started_at TIMESTAMPTZ,
    deadline_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    task_id TEXT,
    result JSONB,
    error_code TEXT,
    error_message TEXT,
    progress_message_id BIGINT,
    notified BOOLEAN NOT NULL DEFAULT FALSE,
    request_id TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX IF NOT EXISTS idx_generation_jobs_queued ON generation_jobs (id) WHERE status = 'queued';
CREATE INDEX IF NOT EXISTS idx_generation_jobs_running ON generation_jobs (heartbeat_at)
    WHERE status = 'running';
CREATE INDEX IF NOT EXISTS idx_generation_jobs_unnotified ON generation_jobs (finished_at)
    WHERE NOT notified AND status IN ('succeeded', 'failed', 'timeout');
CREATE INDEX IF NOT EXISTS idx_generation_jobs_task_id ON generation_jobs (task_id);
CREATE INDEX IF NOT EXISTS idx_generation_jobs_user_id ON generation_jobs (user_id, created_at DESC);

-- Free generations used per user and day (UTC); the quota is a setting.
CREATE TABLE IF NOT EXISTS free_usage (
    user_id BIGINT NOT NULL,
    day DATE NOT NULL,
    used INTEGER NOT NULL DEFAULT 0 CHECK (used >= 0),
    PRIMARY KEY (user_id, day)
);

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'generation_jobs_user_id_fkey'
                   AND conrelid = 'public.generation_jobs'::regclass) THEN
        INSERT INTO users (user_id) SELECT DISTINCT user_id FROM generation_jobs
        ON CONFLICT (user_id) DO NOTHING;
        ALTER TABLE generation_jobs ADD CONSTRAINT generation_jobs_user_id_fkey
            FOREIGN KEY (user_id) REFERENCES users(user_id);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'generation_jobs_reservation_id_fkey'
                   AND conrelid = 'public.generation_jobs'::regclass) THEN
        UPDATE generation_jobs j SET reservation_id = NULL WHERE reservation_id IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM balance_reservations r WHERE r.id = j.reservation_id);
        ALTER TABLE generation_jobs ADD CONSTRAINT generation_jobs_reservation_id_fkey
            FOREIGN KEY (reservation_id) REFERENCES balance_reservations(id);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'free_usage_user_id_fkey'
                   AND conrelid = 'public.free_usage'::regclass) THEN
        INSERT INTO users (user_id) SELECT DISTINCT user_id FROM free_usage
        ON CONFLICT (user_id) DO NOTHING;
        ALTER TABLE free_usage ADD CONSTRAINT free_usage_user_id_fkey
            FOREIGN KEY (user_id) REFERENCES users(user_id);
    END IF;
END
$$;
