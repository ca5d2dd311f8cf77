-- Wilayah core schema (SQLite). Keep in step with migrations/postgres/0001_core.sql.
-- Money: integer minor units plus ISO 4217 currency (IDR by default). Timestamps: UTC, written by sqlx.
-- `version` columns implement optimistic concurrency: every update bumps it and checks the old value.

CREATE TABLE staff (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    email         TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'planner', 'sales_rep', 'technician')),
    home_lon      DOUBLE PRECISION CHECK (home_lon BETWEEN -180 AND 180),
    home_lat      DOUBLE PRECISION CHECK (home_lat BETWEEN -90 AND 90),
    skills        TEXT NOT NULL DEFAULT '[]',
    work_start    TEXT NOT NULL DEFAULT '08:00',
    work_end      TEXT NOT NULL DEFAULT '17:00',
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE territories (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    geometry      TEXT NOT NULL,
    owner_id      INTEGER REFERENCES staff (id) ON DELETE SET NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE accounts (
    id                  INTEGER PRIMARY KEY,
    external_id         TEXT UNIQUE,
    name                TEXT NOT NULL,
    kind                TEXT NOT NULL CHECK (kind IN ('customer', 'prospect')),
    segment             TEXT,
    status              TEXT NOT NULL,
    address             TEXT,
    lon                 DOUBLE PRECISION NOT NULL CHECK (lon BETWEEN -180 AND 180),
    lat                 DOUBLE PRECISION NOT NULL CHECK (lat BETWEEN -90 AND 90),
    owner_id            INTEGER REFERENCES staff (id) ON DELETE SET NULL,
    territory_id        INTEGER REFERENCES territories (id) ON DELETE SET NULL,
    revenue_minor       BIGINT NOT NULL DEFAULT 0,
    cost_to_serve_minor BIGINT NOT NULL DEFAULT 0,
    currency            TEXT NOT NULL DEFAULT 'IDR',
    acquired_on         TEXT,
    tags                TEXT NOT NULL DEFAULT '[]',
    version             INTEGER NOT NULL DEFAULT 1,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX accounts_owner ON accounts (owner_id);
CREATE INDEX accounts_territory ON accounts (territory_id);
CREATE INDEX accounts_kind_status ON accounts (kind, status);

CREATE TABLE contacts (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    title         TEXT,
    email         TEXT,
    phone         TEXT,
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX contacts_account ON contacts (account_id);

CREATE TABLE opportunities (
    id             INTEGER PRIMARY KEY,
    account_id     INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    owner_id       INTEGER REFERENCES staff (id) ON DELETE SET NULL,
    title          TEXT NOT NULL,
    stage          TEXT NOT NULL CHECK (stage IN ('lead', 'qualified', 'proposal', 'negotiation', 'won', 'lost')),
    value_minor    BIGINT NOT NULL DEFAULT 0,
    currency       TEXT NOT NULL DEFAULT 'IDR',
    expected_close TEXT,
    lost_reason    TEXT,
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX opportunities_account ON opportunities (account_id);

CREATE TABLE activities (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    staff_id      INTEGER REFERENCES staff (id) ON DELETE SET NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('call', 'email', 'meeting', 'visit', 'note', 'complaint')),
    channel       TEXT,
    subject       TEXT NOT NULL,
    body          TEXT,
    outcome       TEXT,
    occurred_at   TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX activities_account_time ON activities (account_id, occurred_at);

CREATE TABLE cases (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    opened_by     INTEGER REFERENCES staff (id) ON DELETE SET NULL,
    assigned_to   INTEGER REFERENCES staff (id) ON DELETE SET NULL,
    subject       TEXT NOT NULL,
    description   TEXT,
    priority      TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    status        TEXT NOT NULL CHECK (status IN ('new', 'in_progress', 'resolved', 'closed')),
    sla_due_at    TEXT,
    resolution    TEXT,
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX cases_account ON cases (account_id);

CREATE TABLE visits (
    id             INTEGER PRIMARY KEY,
    account_id     INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    technician_id  INTEGER REFERENCES staff (id) ON DELETE SET NULL,
    window_start   TEXT NOT NULL,
    window_end     TEXT NOT NULL,
    duration_min   INTEGER NOT NULL CHECK (duration_min > 0),
    status         TEXT NOT NULL CHECK (status IN ('scheduled', 'en_route', 'on_site', 'done', 'missed')),
    checkin_lon    DOUBLE PRECISION,
    checkin_lat    DOUBLE PRECISION,
    checkin_at     TEXT,
    outcome        TEXT,
    notes          TEXT,
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    CHECK (window_end > window_start)
);
CREATE INDEX visits_technician_window ON visits (technician_id, window_start);
CREATE INDEX visits_account ON visits (account_id);
