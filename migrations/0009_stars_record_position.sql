-- Where cleanup stands in Telegram's Stars record, so that a refund of unknown outcome
-- is settled from the newest end of a long history instead of reading all of it.
-- depends: 0008_delivery_edges
--
-- Convergent like every genbot migration (see 0001).

-- getStarTransactions gives a bot's Stars transactions oldest first, by offset, with no
-- total. One row per bot (Telegram's id of the bot, the token's prefix), shared by every
-- process and `genbot cleanup`: the transactions at offsets [scan_from, read_to) were
-- read and every refund among them settled; scan_from is the first one dated at or after
-- scan_after. last_id and last_date are the transaction at read_to - 1: the next cleanup
-- checks the record still shows it there before it goes on. One cleanup reads at a
-- time: claimed_by, until claimed_until (renewed before each call).
CREATE TABLE IF NOT EXISTS stars_record_position (
    bot_id BIGINT PRIMARY KEY,
    scan_after TIMESTAMPTZ,
    scan_from BIGINT CHECK (scan_from >= 0),
    read_to BIGINT CHECK (read_to >= scan_from),
    last_id TEXT,
    last_date TIMESTAMPTZ,
    claimed_by TEXT,
    claimed_until TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
