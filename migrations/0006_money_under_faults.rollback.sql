DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM payments WHERE status = 'review') THEN
        RAISE EXCEPTION 'payments await review: settle them with /settle before rolling back';
    END IF;
END
$$;
DROP TABLE IF EXISTS referral_rewards;
DROP INDEX IF EXISTS idx_payments_unsettled;
ALTER TABLE payments DROP CONSTRAINT IF EXISTS payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check
    CHECK (status IN ('credited', 'refunding', 'refunded'));
ALTER TABLE payments DROP COLUMN IF EXISTS review_reason;
ALTER TABLE payments ALTER COLUMN amount_rub SET NOT NULL;
DROP INDEX IF EXISTS idx_generation_jobs_active_user;
