-- What a job needs at the edges of its delivery: the money given back when Telegram
-- took the result in no way, and the part of a streamed answer the user already read.
-- depends: 0007_journey
--
-- Convergent like every genbot migration (see 0001).

-- Roubles returned after the charge because no way of sending the result worked
-- (core.result_files): the deduction and this refund are both in the ledger.
ALTER TABLE generation_jobs ADD COLUMN IF NOT EXISTS refunded_rub NUMERIC(10, 2);
-- A streamed answer as far as the user has been shown it ({"kind": "text", "text",
-- "usage"?}), written at each edit: a cancel in any process charges for it.
ALTER TABLE generation_jobs ADD COLUMN IF NOT EXISTS partial_output JSONB;
