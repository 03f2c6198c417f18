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
