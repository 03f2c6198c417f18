DROP TABLE IF EXISTS processed_updates;
DROP TABLE IF EXISTS balance_reservations;
ALTER TABLE balances DROP CONSTRAINT IF EXISTS balances_balance_rub_nonnegative;
