-- The seed's seven tables, exactly as DATABASE_BOOTSTRAP.md gives them.
-- depends:
--
-- Written to converge: every statement is safe on a database that already has the
-- object, and foreign keys are added by name on their own, so `run.py migrate`
-- re-asserts this file to bring back a table dropped by hand and the foreign keys
-- that pointed at it.

CREATE TABLE IF NOT EXISTS users (
    user_id BIGINT PRIMARY KEY,
    username TEXT,
    first_name TEXT,
    last_name TEXT,
    created_at TIMESTAMP DEFAULT NOW(),
    updated_at TIMESTAMP DEFAULT NOW()
);

CREATE TABLE IF NOT EXISTS balances (
    user_id BIGINT PRIMARY KEY,
    balance_rub DECIMAL(10, 2) DEFAULT 0,
    updated_at TIMESTAMP DEFAULT NOW()
);

CREATE TABLE IF NOT EXISTS generation_events (
    id SERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL,
    chat_id BIGINT,
    model_id TEXT NOT NULL,
    category TEXT,
    status TEXT NOT NULL,
    is_free_applied BOOLEAN DEFAULT FALSE,
    price_rub DECIMAL(10, 2) DEFAULT 0,
    request_id TEXT,
    task_id TEXT,
    error_code TEXT,
    error_message TEXT,
    duration_ms INTEGER,
    created_at TIMESTAMP DEFAULT NOW()
);

CREATE INDEX IF NOT EXISTS idx_generation_events_user_id ON generation_events(user_id);
CREATE INDEX IF NOT EXISTS idx_generation_events_created_at ON generation_events(created_at DESC);
CREATE INDEX IF NOT EXISTS idx_generation_events_status ON generation_events(status);

CREATE TABLE IF NOT EXISTS projects (
    id SERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    created_at TIMESTAMP DEFAULT NOW(),
    updated_at TIMESTAMP DEFAULT NOW()
);

CREATE TABLE IF NOT EXISTS project_history (
    id SERIAL PRIMARY KEY,
    project_id INTEGER NOT NULL,
    user_id BIGINT NOT NULL,
    model_id TEXT NOT NULL,
    inputs JSONB NOT NULL,
    outputs JSONB,
    status TEXT NOT NULL,
    created_at TIMESTAMP DEFAULT NOW()
);

CREATE TABLE IF NOT EXISTS referrals (
    id SERIAL PRIMARY KEY,
    referrer_id BIGINT NOT NULL,
    referred_id BIGINT NOT NULL,
    reward_rub DECIMAL(10, 2) DEFAULT 0,
    created_at TIMESTAMP DEFAULT NOW(),
    UNIQUE(referrer_id, referred_id)
);

CREATE TABLE IF NOT EXISTS payment_transactions (
    id SERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL,
    amount_rub DECIMAL(10, 2) NOT NULL,
    type TEXT NOT NULL,
    reason TEXT,
    created_at TIMESTAMP DEFAULT NOW()
);

-- The seed's foreign keys, under the names PostgreSQL gives inline REFERENCES.
-- When one is missing because its target table was dropped and recreated empty, the
-- rows that pointed at it are kept, not deleted: a user row (id only; names return on
-- the next message) is written for every user id still referenced — balances are
-- money — and a placeholder project for every project id history still points at.
DO $$
DECLARE
    fk RECORD;
BEGIN
    FOR fk IN SELECT * FROM (VALUES
        ('balances', 'balances_user_id_fkey', 'user_id', 'users(user_id)', ''),
        ('generation_events', 'generation_events_user_id_fkey', 'user_id', 'users(user_id)', ''),
        ('projects', 'projects_user_id_fkey', 'user_id', 'users(user_id)', ''),
        ('project_history', 'project_history_project_id_fkey', 'project_id', 'projects(id)', ' ON DELETE CASCADE'),
        ('project_history', 'project_history_user_id_fkey', 'user_id', 'users(user_id)', ''),
        ('referrals', 'referrals_referrer_id_fkey', 'referrer_id', 'users(user_id)', ''),
        ('referrals', 'referrals_referred_id_fkey', 'referred_id', 'users(user_id)', ''),
        ('payment_transactions', 'payment_transactions_user_id_fkey', 'user_id', 'users(user_id)', '')
    ) AS t(tbl, name, col, target, action)
    LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = fk.name
                       AND conrelid = to_regclass('public.' || fk.tbl)) THEN
            IF fk.target = 'users(user_id)' THEN
                EXECUTE format('INSERT INTO users (user_id) SELECT DISTINCT %I FROM %I '
                               'ON CONFLICT (user_id) DO NOTHING', fk.col, fk.tbl);
            ELSE
                INSERT INTO users (user_id) SELECT DISTINCT user_id FROM project_history
                ON CONFLICT (user_id) DO NOTHING;
                INSERT INTO projects (id, user_id, name, description)
                SELECT project_id, MIN(user_id), 'Восстановленный проект',
                       'Проект был удалён из базы; его история сохранена.'
                FROM project_history h
                WHERE NOT EXISTS (SELECT 1 FROM projects p WHERE p.id = h.project_id)
                GROUP BY project_id;
                PERFORM setval('projects_id_seq', GREATEST(COALESCE(MAX(id), 1), 1)) FROM projects;
            END IF;
            EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I FOREIGN KEY (%I) REFERENCES %s%s',
                           fk.tbl, fk.name, fk.col, fk.target, fk.action);
        END IF;
    END LOOP;
END
$$;
