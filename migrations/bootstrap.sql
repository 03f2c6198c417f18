-- genbot's full schema for psql, for operators who do not run `genbot migrate`:
--
--     psql "$DATABASE_URL" < migrations/bootstrap.sql
--     psql -v ON_ERROR_STOP=1 "$DATABASE_URL" < migrations/bootstrap.sql   # exit 3 on error
--
-- It is the core migrations in order, in one transaction: all or nothing. Every
-- statement converges (IF NOT EXISTS, foreign keys added by name when missing), so
-- running it again on a database that has the schema changes nothing. That is also why
-- a bare `yoyo apply migrations/` may read it: yoyo takes it for a last migration named
-- "bootstrap", after the numbered ones, and it changes nothing (hence no psql-only
-- commands here). `genbot migrate` afterwards records the migrations as applied.
-- tests/test_schema.py proves all three give the same schema. Regenerate this file
-- with `python -m core.ops.migrations > migrations/bootstrap.sql`.

BEGIN;

-- ==== 0001_seed_schema.sql ====
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

-- ==== 0002_core_mechanisms.sql ====
-- What the core needs beyond the seed: balances that never go negative and always
-- exist, money held for paid work, and the record of Telegram updates already seen.
-- depends: 0001_seed_schema
--
-- Convergent like every genbot migration (see 0001).

-- A balance never goes below zero, whatever code path tries.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'balances_balance_rub_nonnegative'
                   AND conrelid = 'public.balances'::regclass) THEN
        ALTER TABLE balances ADD CONSTRAINT balances_balance_rub_nonnegative
            CHECK (balance_rub >= 0);
    END IF;
END
$$;

-- Every user has a balance row (users restored from a backup without one included).
INSERT INTO balances (user_id, balance_rub)
SELECT user_id, 0 FROM users
ON CONFLICT (user_id) DO NOTHING;

-- Money held for a paid generation: captured on success, released otherwise.
-- balance + held = what the ledger (payment_transactions) says, at every moment.
CREATE TABLE IF NOT EXISTS balance_reservations (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL,
    amount_rub NUMERIC(10, 2) NOT NULL CHECK (amount_rub > 0),
    status TEXT NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'captured', 'released')),
    reason TEXT,
    idempotency_key TEXT UNIQUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX IF NOT EXISTS idx_balance_reservations_held
    ON balance_reservations (created_at) WHERE status = 'held';
CREATE INDEX IF NOT EXISTS idx_balance_reservations_user_id ON balance_reservations (user_id);

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'balance_reservations_user_id_fkey'
                   AND conrelid = 'public.balance_reservations'::regclass) THEN
        INSERT INTO users (user_id) SELECT DISTINCT user_id FROM balance_reservations
        ON CONFLICT (user_id) DO NOTHING;
        ALTER TABLE balance_reservations ADD CONSTRAINT balance_reservations_user_id_fkey
            FOREIGN KEY (user_id) REFERENCES users(user_id);
    END IF;
END
$$;

-- Telegram re-sends an update until it gets a 2xx; its update_id is the key to drop repeats.
CREATE TABLE IF NOT EXISTS processed_updates (
    update_id BIGINT PRIMARY KEY,
    received_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX IF NOT EXISTS idx_processed_updates_received_at ON processed_updates (received_at);

-- ==== 0003_conversations.sql ====
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

-- ==== 0004_generation.sql ====
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

-- ==== 0005_payments.sql ====
-- Payments: every credited payment once, and short-lived records of operations in flight.
-- depends: 0004_generation
--
-- Convergent like every genbot migration (see 0001).

-- One row per payment that reached us, whatever its source; the unique key is what
-- makes a replayed callback or a re-sent successful_payment credit nothing.
CREATE TABLE IF NOT EXISTS payments (
    id BIGSERIAL PRIMARY KEY,
    source TEXT NOT NULL CHECK (source IN ('telegram', 'stars', 'provider')),
    external_id TEXT NOT NULL,
    user_id BIGINT NOT NULL,
    amount_rub NUMERIC(10, 2) NOT NULL CHECK (amount_rub > 0),
    currency TEXT NOT NULL DEFAULT 'RUB',
    total_amount BIGINT,
    status TEXT NOT NULL DEFAULT 'credited' CHECK (status IN ('credited', 'refunding', 'refunded')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    UNIQUE (source, external_id)
);
CREATE INDEX IF NOT EXISTS idx_payments_user_id ON payments (user_id, created_at DESC);

-- Operations in flight (an invoice waiting for its pre_checkout_query, ...), kept 24 h.
CREATE TABLE IF NOT EXISTS idempotency_records (
    key TEXT PRIMARY KEY,
    scope TEXT NOT NULL,
    user_id BIGINT,
    data JSONB NOT NULL DEFAULT '{}'::jsonb,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX IF NOT EXISTS idx_idempotency_records_created_at ON idempotency_records (created_at);

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'payments_user_id_fkey'
                   AND conrelid = 'public.payments'::regclass) THEN
        INSERT INTO users (user_id) SELECT DISTINCT user_id FROM payments
        ON CONFLICT (user_id) DO NOTHING;
        ALTER TABLE payments ADD CONSTRAINT payments_user_id_fkey
            FOREIGN KEY (user_id) REFERENCES users(user_id);
    END IF;
END
$$;

-- ==== 0006_money_under_faults.sql ====
-- Money under faults: a fair queue, payments kept for review, refunds and deliveries
-- that record their state before they act.
-- depends: 0005_payments
--
-- Convergent like every genbot migration (see 0001).

-- The fair claim counts each queued job's user's running jobs, and the per-user cap
-- counts a user's active ones: both read this index.
CREATE INDEX IF NOT EXISTS idx_generation_jobs_active_user ON generation_jobs (user_id)
    WHERE status IN ('queued', 'running');

-- A successful_payment that matches no invoice genbot issued (payload, payer, currency,
-- total) is recorded, not credited: status 'review', with what did not match, until
-- an admin settles it (/settle). Its rouble amount is known only once settled.
ALTER TABLE payments ALTER COLUMN amount_rub DROP NOT NULL;
ALTER TABLE payments ADD COLUMN IF NOT EXISTS review_reason TEXT;
ALTER TABLE payments DROP CONSTRAINT IF EXISTS payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check
    CHECK (status IN ('review', 'credited', 'refunding', 'refunded'));
CREATE INDEX IF NOT EXISTS idx_payments_unsettled ON payments (updated_at)
    WHERE status IN ('review', 'refunding');

-- A referral reward per real payment of a referred user: credited once (the payment's
-- source and external id are the key), taken back when that payment is refunded. What could not be taken back
-- (the referrer had spent it) is kept in unrecovered_rub and reported by doctor.
CREATE TABLE IF NOT EXISTS referral_rewards (
    id BIGSERIAL PRIMARY KEY,
    payment_source TEXT NOT NULL,
    payment_external_id TEXT NOT NULL,
    referrer_id BIGINT NOT NULL,
    referred_id BIGINT NOT NULL,
    amount_rub NUMERIC(10, 2) NOT NULL CHECK (amount_rub >= 0),
    status TEXT NOT NULL DEFAULT 'paid' CHECK (status IN ('paid', 'reversed', 'unrecovered')),
    unrecovered_rub NUMERIC(10, 2) NOT NULL DEFAULT 0 CHECK (unrecovered_rub >= 0),
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    UNIQUE (payment_source, payment_external_id)
);
CREATE INDEX IF NOT EXISTS idx_referral_rewards_referred_id ON referral_rewards (referred_id);

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'referral_rewards_referrer_id_fkey'
                   AND conrelid = 'public.referral_rewards'::regclass) THEN
        INSERT INTO users (user_id) SELECT DISTINCT referrer_id FROM referral_rewards
        ON CONFLICT (user_id) DO NOTHING;
        ALTER TABLE referral_rewards ADD CONSTRAINT referral_rewards_referrer_id_fkey
            FOREIGN KEY (referrer_id) REFERENCES users(user_id);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'referral_rewards_referred_id_fkey'
                   AND conrelid = 'public.referral_rewards'::regclass) THEN
        INSERT INTO users (user_id) SELECT DISTINCT referred_id FROM referral_rewards
        ON CONFLICT (user_id) DO NOTHING;
        ALTER TABLE referral_rewards ADD CONSTRAINT referral_rewards_referred_id_fkey
            FOREIGN KEY (referred_id) REFERENCES users(user_id);
    END IF;
END
$$;

-- Telling the user how a job ended. ``notified`` becomes true only once the Bot API
-- accepted the message (or the user can never get it: ``undeliverable`` says why); a
-- process that is delivering holds the claim (``delivering_by`` until
-- ``delivering_until``), so two never send at once,
-- and a failed attempt leaves the job for the sweeper's next try.
ALTER TABLE generation_jobs ADD COLUMN IF NOT EXISTS delivery_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE generation_jobs ADD COLUMN IF NOT EXISTS delivering_until TIMESTAMPTZ;
ALTER TABLE generation_jobs ADD COLUMN IF NOT EXISTS delivering_by TEXT;
ALTER TABLE generation_jobs ADD COLUMN IF NOT EXISTS undeliverable TEXT;
DROP INDEX IF EXISTS idx_generation_jobs_unnotified;
CREATE INDEX IF NOT EXISTS idx_generation_jobs_untold ON generation_jobs (finished_at)
    WHERE NOT notified AND status IN ('succeeded', 'failed', 'timeout', 'cancelled');

-- ==== 0007_journey.sql ====
-- The user's journey: what a job needs to speak its user's language, say why it failed
-- in words from a small set, and be found and sent again from 🗂 История.
-- depends: 0006_money_under_faults
--
-- Convergent like every genbot migration (see 0001).

-- The language the job was ordered in (Telegram's language_code, as the catalog knows
-- it): the worker that tells its user how it ended speaks it.
ALTER TABLE generation_jobs ADD COLUMN IF NOT EXISTS lang TEXT;
-- Why a failed job failed, as one of the provider contract's reasons (unavailable,
-- rejected, photo, too_long, failed): the user's words come from it, the detail stays
-- in error_code and error_message.
ALTER TABLE generation_jobs ADD COLUMN IF NOT EXISTS failure_reason TEXT;
-- What Telegram answered when the result was delivered: [{"kind", "file_id"}], so that
-- 🗂 История sends the same files again without uploading them.
ALTER TABLE generation_jobs ADD COLUMN IF NOT EXISTS delivered_files JSONB;

-- ==== 0008_delivery_edges.sql ====
-- What a job needs at the edges: the money given back when Telegram took the result in
-- no way, the part of a streamed answer the user already read, and each provider's
-- latest verdict (is its account usable).
-- depends: 0007_journey
--
-- Convergent like every genbot migration (see 0001).

-- Roubles returned after the charge because no way of sending the result worked
-- (core.result_files): the deduction and this refund are both in the ledger.
ALTER TABLE generation_jobs ADD COLUMN IF NOT EXISTS refunded_rub NUMERIC(10, 2);
-- A streamed answer as far as the user has been shown it ({"kind": "text", "text",
-- "usage"?}), written at each edit: a cancel in any process charges for it.
ALTER TABLE generation_jobs ADD COLUMN IF NOT EXISTS partial_output JSONB;
-- Jobs that failed for their provider's account (out of credit, a key refused): /readyz
-- and `genbot doctor` show the provider failing until a job of it created later
-- succeeds. Only these rare rows are indexed: an index of every success would cost each
-- finishing job an insert at the same end of the tree.
CREATE INDEX IF NOT EXISTS idx_generation_jobs_account_failures ON generation_jobs (provider, id)
    WHERE failure_reason = 'account';

-- ==== 0009_stars_record_position.sql ====
-- Where cleanup stands in Telegram's Stars record, so that a refund of unknown outcome
-- is settled from the newest end of a long history instead of reading all of it.
-- depends: 0008_delivery_edges
--
-- Convergent like every genbot migration (see 0001).

-- getStarTransactions gives a bot's Stars transactions oldest first, by offset, with no
-- total. One row per bot (Telegram's id of the bot, the token's prefix), shared by every
-- process and `genbot cleanup`: the transactions at offsets [scan_from, read_to) were
-- read and every refund among them settled; scan_from is the first one dated at or after
-- scan_after. last_id and last_date are the transaction at read_to - 1: the next cleanup
-- checks the record still shows it there before it goes on. One cleanup reads at a
-- time: claimed_by, until claimed_until (renewed before each call).
CREATE TABLE IF NOT EXISTS stars_record_position (
    bot_id BIGINT PRIMARY KEY,
    scan_after TIMESTAMPTZ,
    scan_from BIGINT CHECK (scan_from >= 0),
    read_to BIGINT CHECK (read_to >= scan_from),
    last_id TEXT,
    last_date TIMESTAMPTZ,
    claimed_by TEXT,
    claimed_until TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

COMMIT;
