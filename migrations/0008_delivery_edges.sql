-- What a job needs at the edges: the money given back when Telegram took the result in
-- no way, the part of a streamed answer the user already read, and each provider's
-- latest verdict (is its account usable).
-- depends: 0007_journey
--
-- Convergent like every genbot migration (see 0001).

-- Roubles returned after the charge because no way of sending the result worked
-- (core.result_files): the deduction and this refund are both in the ledger.
ALTER TABLE generation_jobs ADD COLUMN IF NOT EXISTS refunded_rub NUMERIC(10, 2);
-- A streamed answer as far as the user has been shown it ({"kind": "text", "text",
-- "usage"?}), written at each edit: a cancel in any process charges for it.
ALTER TABLE generation_jobs ADD COLUMN IF NOT EXISTS partial_output JSONB;
-- Jobs that failed for their provider's account (out of credit, a key refused): /readyz
-- and `genbot doctor` show the provider failing until a job of it created later
-- succeeds. Only these rare rows are indexed: an index of every success would cost each
-- finishing job an insert at the same end of the tree.
CREATE INDEX IF NOT EXISTS idx_generation_jobs_account_failures ON generation_jobs (provider, id)
    WHERE failure_reason = 'account';
