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
