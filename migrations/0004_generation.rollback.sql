DROP TABLE IF EXISTS free_usage;
DROP TABLE IF EXISTS generation_jobs;
