-- The seed's schema, copied verbatim from DATABASE_BOOTSTRAP.md (its two CREATE blocks).
-- tests/test_schema.py builds a database from this text and compares it with ours.

-- Users (FK target for most tables)
CREATE TABLE users (
    user_id BIGINT PRIMARY KEY,
    username TEXT,
    first_name TEXT,
    last_name TEXT,
    created_at TIMESTAMP DEFAULT NOW(),
    updated_at TIMESTAMP DEFAULT NOW()
);

-- User balances (for paid models)
CREATE TABLE balances (
    user_id BIGINT PRIMARY KEY REFERENCES users(user_id),
    balance_rub DECIMAL(10, 2) DEFAULT 0,
    updated_at TIMESTAMP DEFAULT NOW()
);

-- Generation events (diagnostics/admin)
CREATE TABLE generation_events (
    id SERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(user_id),
    chat_id BIGINT,
    model_id TEXT NOT NULL,
    category TEXT,
    status TEXT NOT NULL,  -- 'started', 'success', 'failed', 'timeout'
    is_free_applied BOOLEAN DEFAULT FALSE,
    price_rub DECIMAL(10, 2) DEFAULT 0,
    request_id TEXT,
    task_id TEXT,
    error_code TEXT,
    error_message TEXT,
    duration_ms INTEGER,
    created_at TIMESTAMP DEFAULT NOW()
);

CREATE INDEX idx_generation_events_user_id ON generation_events(user_id);
CREATE INDEX idx_generation_events_created_at ON generation_events(created_at DESC);
CREATE INDEX idx_generation_events_status ON generation_events(status);

-- Projects (user organization)
CREATE TABLE projects (
    id SERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(user_id),
    name TEXT NOT NULL,
    description TEXT,
    created_at TIMESTAMP DEFAULT NOW(),
    updated_at TIMESTAMP DEFAULT NOW()
);

-- Project history (generation results)
CREATE TABLE project_history (
    id SERIAL PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(user_id),
    model_id TEXT NOT NULL,
    inputs JSONB NOT NULL,
    outputs JSONB,
    status TEXT NOT NULL,
    created_at TIMESTAMP DEFAULT NOW()
);

-- Referrals (gamification)
CREATE TABLE referrals (
    id SERIAL PRIMARY KEY,
    referrer_id BIGINT NOT NULL REFERENCES users(user_id),
    referred_id BIGINT NOT NULL REFERENCES users(user_id),
    reward_rub DECIMAL(10, 2) DEFAULT 0,
    created_at TIMESTAMP DEFAULT NOW(),
    UNIQUE(referrer_id, referred_id)
);

-- Payment transactions (audit trail)
CREATE TABLE payment_transactions (
    id SERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(user_id),
    amount_rub DECIMAL(10, 2) NOT NULL,
    type TEXT NOT NULL,  -- 'topup', 'deduction', 'refund', 'referral'
    reason TEXT,
    created_at TIMESTAMP DEFAULT NOW()
);
