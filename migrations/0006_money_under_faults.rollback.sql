DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM payments WHERE status = 'review') THEN
        RAISE EXCEPTION 'payments await review: settle them with /settle before rolling back';
    END IF;
END
$$;
DROP INDEX IF EXISTS idx_generation_jobs_untold;
CREATE INDEX IF NOT EXISTS idx_generation_jobs_unnotified ON generation_jobs (finished_at)
    WHERE NOT notified AND status IN ('succeeded', 'failed', 'timeout');
ALTER TABLE generation_jobs DROP COLUMN IF EXISTS undeliverable;
ALTER TABLE generation_jobs DROP COLUMN IF EXISTS delivering_by;
ALTER TABLE generation_jobs DROP COLUMN IF EXISTS delivering_until;
ALTER TABLE generation_jobs DROP COLUMN IF EXISTS delivery_attempts;
DROP TABLE IF EXISTS referral_rewards;
DROP INDEX IF EXISTS idx_payments_unsettled;
ALTER TABLE payments DROP CONSTRAINT IF EXISTS payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check
    CHECK (status IN ('credited', 'refunding', 'refunded'));
ALTER TABLE payments DROP COLUMN IF EXISTS review_reason;
ALTER TABLE payments ALTER COLUMN amount_rub SET NOT NULL;
DROP INDEX IF EXISTS idx_generation_jobs_active_user;
