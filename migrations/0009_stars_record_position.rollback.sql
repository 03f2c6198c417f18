-- Undoes 0009_stars_record_position (`genbot rollback`): the next cleanup searches
-- Telegram's record afresh.
DROP TABLE IF EXISTS stars_record_position;
