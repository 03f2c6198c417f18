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
