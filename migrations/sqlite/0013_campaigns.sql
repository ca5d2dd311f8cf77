-- Campaigns (issue 16, docs/campaigns.md): saved segments, campaigns and their frozen
-- recipients. Keep in step with migrations/postgres/0013_campaigns.sql.

-- A named segment: its definition (criteria and area) as JSON, `wilayah_shared::segments`.
CREATE TABLE segments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    definition  TEXT NOT NULL,
    created_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- A campaign: draft until launched, then running (its recipients frozen), then done.
CREATE TABLE campaigns (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    name           TEXT NOT NULL,
    objective      TEXT NOT NULL,
    offer          TEXT NOT NULL DEFAULT '',
    channel        TEXT NOT NULL CHECK (channel IN ('email', 'call_list', 'export')),
    budget_minor   INTEGER,
    currency       TEXT,
    starts_on      TEXT,
    ends_on        TEXT,
    owner_id       INTEGER REFERENCES users (id) ON DELETE SET NULL,
    segment_id     INTEGER REFERENCES segments (id) ON DELETE SET NULL,
    control_share  DOUBLE PRECISION NOT NULL DEFAULT 0,
    -- The e-mail templates (JSON: subject and body per language).
    templates      TEXT NOT NULL DEFAULT '{}',
    status         TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'running', 'done')),
    launched_at    TEXT,
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX campaigns_status ON campaigns (status, objective);

-- The recipients frozen at launch: one row per contact of each member account (an account
-- without contacts has one row without a contact), with why it was left out, if it was, and
-- for the sending channels where its delivery stands.
CREATE TABLE campaign_recipients (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id  INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    contact_id   INTEGER REFERENCES contacts (id) ON DELETE SET NULL,
    excluded     TEXT CHECK (excluded IN ('no_consent', 'no_address', 'control_group', 'running_campaign')),
    address      TEXT,
    state        TEXT CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
    error        TEXT,
    token        TEXT UNIQUE,
    sent_at      TEXT
);
CREATE INDEX campaign_recipients_campaign ON campaign_recipients (campaign_id, state);
CREATE INDEX campaign_recipients_account ON campaign_recipients (account_id);
