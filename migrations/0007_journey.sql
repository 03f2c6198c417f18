-- The user's journey: what a job needs to speak its user's language, say why it failed
-- in words from a small set, and be found and sent again from 🗂 История.
-- depends: 0006_money_under_faults
--
-- Convergent like every genbot migration (see 0001).

-- The language the job was ordered in (Telegram's language_code, as the catalog knows
-- it): the worker that tells its user how it ended speaks it.
ALTER TABLE generation_jobs ADD COLUMN IF NOT EXISTS lang TEXT;
-- Why a failed job failed, as one of the provider contract's reasons (unavailable,
-- rejected, photo, too_long, failed): the user's words come from it, the detail stays
-- in error_code and error_message.
ALTER TABLE generation_jobs ADD COLUMN IF NOT EXISTS failure_reason TEXT;
-- What Telegram answered when the result was delivered: [{"kind", "file_id"}], so that
-- 🗂 История sends the same files again without uploading them.
ALTER TABLE generation_jobs ADD COLUMN IF NOT EXISTS delivered_files JSONB;
