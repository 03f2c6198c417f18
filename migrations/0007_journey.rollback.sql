-- Undoes 0007_journey (`genbot rollback`).
ALTER TABLE generation_jobs DROP COLUMN IF EXISTS delivered_files;
ALTER TABLE generation_jobs DROP COLUMN IF EXISTS failure_reason;
ALTER TABLE generation_jobs DROP COLUMN IF EXISTS lang;
