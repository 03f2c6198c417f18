-- Money under faults: a fair queue, payments kept for review, refunds and deliveries
-- that record their state before they act.
-- depends: 0005_payments
--
-- Convergent like every genbot migration (see 0001).

-- The fair claim counts each queued job's user's running jobs, and the per-user cap
-- counts a user's active ones: both read this index.
CREATE INDEX IF NOT EXISTS idx_generation_jobs_active_user ON generation_jobs (user_id)
    WHERE status IN ('queued', 'running');
