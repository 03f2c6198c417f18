DROP TABLE IF EXISTS idempotency_records;
DROP TABLE IF EXISTS payments;
