-- Undoes 0008_delivery_edges (`genbot rollback`).
DROP INDEX IF EXISTS idx_generation_jobs_account_failures;
ALTER TABLE generation_jobs DROP COLUMN IF EXISTS partial_output;
ALTER TABLE generation_jobs DROP COLUMN IF EXISTS refunded_rub;
