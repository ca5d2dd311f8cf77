-- Background scoring of every customer with the lifetime-value models (docs/analytics.md,
-- "Background scoring"). Keep in step with migrations/postgres/0011_customer_scores.sql.

-- One row per run: its progress (done of total customers) is what the analytics page polls.
CREATE TABLE scoring_jobs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    status           TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    started_by       INTEGER REFERENCES users (id) ON DELETE SET NULL,
    calibration_end  TEXT NOT NULL,
    -- ClvSettings as JSON (horizon, discount rate, margin share).
    settings         TEXT NOT NULL,
    currency         TEXT,
    done             INTEGER NOT NULL DEFAULT 0,
    total            INTEGER NOT NULL DEFAULT 0,
    -- The fit report as JSON (the shape `wilayah analytics fit --json` prints).
    fit              TEXT,
    error            TEXT,
    started_at       TEXT NOT NULL,
    finished_at      TEXT
);

-- The latest score of each customer, with the job and the day of the fit it comes from.
CREATE TABLE customer_scores (
    account_id            INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    job_id                INTEGER NOT NULL REFERENCES scoring_jobs (id) ON DELETE CASCADE,
    fitted_on             TEXT NOT NULL,
    currency              TEXT NOT NULL,
    frequency             INTEGER NOT NULL,
    recency_days          INTEGER NOT NULL,
    age_days              INTEGER NOT NULL,
    p_alive               DOUBLE PRECISION NOT NULL,
    expected_purchases    DOUBLE PRECISION NOT NULL,
    expected_value_minor  DOUBLE PRECISION NOT NULL,
    clv_minor             DOUBLE PRECISION NOT NULL
);
CREATE INDEX customer_scores_job ON customer_scores (job_id);
