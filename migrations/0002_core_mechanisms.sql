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
