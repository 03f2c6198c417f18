DROP TABLE IF EXISTS payment_transactions;
DROP TABLE IF EXISTS referrals;
DROP TABLE IF EXISTS project_history;
DROP TABLE IF EXISTS projects;
DROP TABLE IF EXISTS generation_events;
DROP TABLE IF EXISTS balances;
DROP TABLE IF EXISTS users;
