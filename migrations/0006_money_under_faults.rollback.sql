DROP INDEX IF EXISTS idx_generation_jobs_active_user;
