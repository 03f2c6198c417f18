-- Undoes 0008_delivery_edges (`genbot rollback`).
ALTER TABLE generation_jobs DROP COLUMN IF EXISTS partial_output;
ALTER TABLE generation_jobs DROP COLUMN IF EXISTS refunded_rub;
