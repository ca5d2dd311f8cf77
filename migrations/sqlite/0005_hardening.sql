-- no-transaction
-- Ids are never reused (SQLite). Keep in step with migrations/postgres/0005_hardening.sql.
--
-- Without AUTOINCREMENT, SQLite hands out max(id) + 1, so deleting the newest account and creating
-- another gave the new one the old id and with it the old one's audit trail. Every table with an
-- integer id is rebuilt with AUTOINCREMENT (SQLite's documented procedure: new table, copy, drop,
-- rename; columns, data, indexes, foreign keys and triggers as before). Foreign keys must be off
-- while the tables are swapped (dropping a table with them on would run its ON DELETE CASCADE), and
-- that pragma has no effect inside a transaction, hence `no-transaction` above and the explicit
-- BEGIN/COMMIT around
-- the work (the tests run `PRAGMA foreign_key_check` on the result).
--
-- Also: field actions keep a hash of what was sent per client id (a resend with other content
-- is a kept conflict), and the audit log's append-only triggers let an erasure replace personal
-- values by "[personal]" and nothing else (see docs/security.md, "Audit log").

PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE TABLE staff_rebuilt (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO staff_rebuilt (id, name, email, role, home_lon, home_lat, skills, work_start, work_end, version, created_at, updated_at)
    SELECT id, name, email, role, home_lon, home_lat, skills, work_start, work_end, version, created_at, updated_at FROM staff;
DROP TABLE staff;
ALTER TABLE staff_rebuilt RENAME TO staff;

CREATE TABLE territories_rebuilt (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL UNIQUE,
    geometry      TEXT NOT NULL,
    owner_id      INTEGER REFERENCES staff (id) ON DELETE SET NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
INSERT INTO territories_rebuilt (id, name, geometry, owner_id, version, created_at, updated_at)
    SELECT id, name, geometry, owner_id, version, created_at, updated_at FROM territories;
DROP TABLE territories;
ALTER TABLE territories_rebuilt RENAME TO territories;

CREATE TABLE accounts_rebuilt (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO accounts_rebuilt (id, external_id, name, kind, segment, status, address, lon, lat, owner_id, territory_id, revenue_minor, cost_to_serve_minor, currency, acquired_on, tags, version, created_at, updated_at)
    SELECT id, external_id, name, kind, segment, status, address, lon, lat, owner_id, territory_id, revenue_minor, cost_to_serve_minor, currency, acquired_on, tags, version, created_at, updated_at FROM accounts;
DROP TABLE accounts;
ALTER TABLE accounts_rebuilt RENAME TO accounts;

CREATE INDEX accounts_owner ON accounts (owner_id);

CREATE INDEX accounts_territory ON accounts (territory_id);

CREATE INDEX accounts_kind_status ON accounts (kind, status);

CREATE TABLE contacts_rebuilt (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    title         TEXT,
    email         TEXT,
    phone         TEXT,
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
INSERT INTO contacts_rebuilt (id, account_id, name, title, email, phone, version, created_at, updated_at)
    SELECT id, account_id, name, title, email, phone, version, created_at, updated_at FROM contacts;
DROP TABLE contacts;
ALTER TABLE contacts_rebuilt RENAME TO contacts;

CREATE INDEX contacts_account ON contacts (account_id);

CREATE TABLE opportunities_rebuilt (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO opportunities_rebuilt (id, account_id, owner_id, title, stage, value_minor, currency, expected_close, lost_reason, version, created_at, updated_at)
    SELECT id, account_id, owner_id, title, stage, value_minor, currency, expected_close, lost_reason, version, created_at, updated_at FROM opportunities;
DROP TABLE opportunities;
ALTER TABLE opportunities_rebuilt RENAME TO opportunities;

CREATE INDEX opportunities_account ON opportunities (account_id);

CREATE TABLE activities_rebuilt (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO activities_rebuilt (id, account_id, staff_id, kind, channel, subject, body, outcome, occurred_at, created_at)
    SELECT id, account_id, staff_id, kind, channel, subject, body, outcome, occurred_at, created_at FROM activities;
DROP TABLE activities;
ALTER TABLE activities_rebuilt RENAME TO activities;

CREATE INDEX activities_account_time ON activities (account_id, occurred_at);

CREATE TABLE cases_rebuilt (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO cases_rebuilt (id, account_id, opened_by, assigned_to, subject, description, priority, status, sla_due_at, resolution, version, created_at, updated_at)
    SELECT id, account_id, opened_by, assigned_to, subject, description, priority, status, sla_due_at, resolution, version, created_at, updated_at FROM cases;
DROP TABLE cases;
ALTER TABLE cases_rebuilt RENAME TO cases;

CREATE INDEX cases_account ON cases (account_id);

CREATE TABLE visits_rebuilt (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
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
    checkin_accuracy_m DOUBLE PRECISION,
    checkin_distance_m DOUBLE PRECISION,
    CHECK (window_end > window_start)
);
INSERT INTO visits_rebuilt (id, account_id, technician_id, window_start, window_end, duration_min, status, checkin_lon, checkin_lat, checkin_at, outcome, notes, version, created_at, updated_at, checkin_accuracy_m, checkin_distance_m)
    SELECT id, account_id, technician_id, window_start, window_end, duration_min, status, checkin_lon, checkin_lat, checkin_at, outcome, notes, version, created_at, updated_at, checkin_accuracy_m, checkin_distance_m FROM visits;
DROP TABLE visits;
ALTER TABLE visits_rebuilt RENAME TO visits;

CREATE INDEX visits_technician_window ON visits (technician_id, window_start);

CREATE INDEX visits_account ON visits (account_id);

CREATE TABLE users_rebuilt (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'planner', 'sales_rep', 'technician')),
    -- The staff member this user is; sales reps and technicians see rows through it.
    staff_id      INTEGER REFERENCES staff (id) ON DELETE SET NULL,
    -- A manager's territories (JSON list of ids); empty: all of them.
    region        TEXT NOT NULL DEFAULT '[]',
    disabled      INTEGER NOT NULL DEFAULT 0,
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
INSERT INTO users_rebuilt (id, email, password_hash, role, staff_id, region, disabled, version, created_at, updated_at)
    SELECT id, email, password_hash, role, staff_id, region, disabled, version, created_at, updated_at FROM users;
DROP TABLE users;
ALTER TABLE users_rebuilt RENAME TO users;

CREATE TABLE api_tokens_rebuilt (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    created_at    TEXT NOT NULL,
    last_used_at  TEXT,
    revoked_at    TEXT
);
INSERT INTO api_tokens_rebuilt (id, user_id, name, token_hash, created_at, last_used_at, revoked_at)
    SELECT id, user_id, name, token_hash, created_at, last_used_at, revoked_at FROM api_tokens;
DROP TABLE api_tokens;
ALTER TABLE api_tokens_rebuilt RENAME TO api_tokens;

CREATE TABLE audit_log_rebuilt (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    at            TEXT NOT NULL,
    actor_user_id INTEGER,
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,
    entity        TEXT NOT NULL,
    entity_id     INTEGER,
    account_id    INTEGER,
    changes       TEXT NOT NULL DEFAULT '{}'
);
INSERT INTO audit_log_rebuilt (id, at, actor_user_id, actor, action, entity, entity_id, account_id, changes)
    SELECT id, at, actor_user_id, actor, action, entity, entity_id, account_id, changes FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_rebuilt RENAME TO audit_log;

CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);

CREATE INDEX audit_log_account ON audit_log (account_id);


-- While an erasure runs it lists the account here (inside its transaction, removed before it
-- commits); only then may an entry about that account change, and only by a value of its
-- `changes` becoming "[personal]": same columns, same field names.
CREATE TABLE audit_redactions (
    account_id    INTEGER PRIMARY KEY
);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
WHEN NOT (
    old.account_id IN (SELECT account_id FROM audit_redactions)
    AND new.id = old.id AND new.at = old.at AND new.actor_user_id IS old.actor_user_id
    AND new.actor = old.actor AND new.action = old.action AND new.entity = old.entity
    AND new.entity_id IS old.entity_id AND new.account_id IS old.account_id
    AND (SELECT count(*) FROM json_each(new.changes)) = (SELECT count(*) FROM json_each(old.changes))
    AND NOT EXISTS (
        SELECT 1 FROM json_each(new.changes) AS n
         WHERE NOT EXISTS (
            SELECT 1 FROM json_each(old.changes) AS o
             WHERE o.key = n.key
               AND (n.type = o.type AND n.atom IS o.atom AND n.value IS o.value
                    OR n.type = 'text' AND n.atom = '[personal]')))
)
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TABLE field_actions_rebuilt (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id      TEXT NOT NULL,
    -- No foreign key: an action outlives a deleted visit.
    visit_id       INTEGER NOT NULL,
    technician_id  INTEGER,
    action         TEXT NOT NULL CHECK (action IN ('status', 'check_in', 'report')),
    payload        TEXT NOT NULL,
    base_version   INTEGER NOT NULL,
    result         TEXT NOT NULL CHECK (result IN ('applied', 'conflict', 'rejected')),
    visit_version  INTEGER NOT NULL,
    visit_status   TEXT NOT NULL,
    message        TEXT,
    distance_m     DOUBLE PRECISION,
    recorded_at    TEXT NOT NULL,
    received_at    TEXT NOT NULL,
    -- SHA-256 (hex) of the action as the device sent it; '' for actions kept before it was.
    payload_hash   TEXT NOT NULL DEFAULT '',
    -- 1: a resend of an earlier client id with other content, kept as a conflict, never applied.
    reused_client_id INTEGER NOT NULL DEFAULT 0
);
INSERT INTO field_actions_rebuilt (id, client_id, visit_id, technician_id, action, payload, base_version, result, visit_version, visit_status, message, distance_m, recorded_at, received_at)
    SELECT id, client_id, visit_id, technician_id, action, payload, base_version, result, visit_version, visit_status, message, distance_m, recorded_at, received_at FROM field_actions;
DROP TABLE field_actions;
ALTER TABLE field_actions_rebuilt RENAME TO field_actions;

CREATE INDEX field_actions_visit ON field_actions (visit_id, id);

CREATE INDEX field_actions_result ON field_actions (result, id);

-- One original per client id; each distinct content once more at most.
CREATE UNIQUE INDEX field_actions_client ON field_actions (client_id) WHERE reused_client_id = 0;
CREATE UNIQUE INDEX field_actions_client_content ON field_actions (client_id, payload_hash);

CREATE TABLE planning_drafts_rebuilt (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    name           TEXT NOT NULL,
    base_revision  BIGINT NOT NULL,
    -- JSON [[territory id, version], ...] of the published territories the draft started from.
    base_versions  TEXT NOT NULL,
    -- JSON [{id?, name, owner_id?, geometry}] (wilayah_shared::planning::DraftTerritory).
    territories    TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('open', 'published')),
    created_by     TEXT,
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
INSERT INTO planning_drafts_rebuilt (id, name, base_revision, base_versions, territories, status, created_by, version, created_at, updated_at)
    SELECT id, name, base_revision, base_versions, territories, status, created_by, version, created_at, updated_at FROM planning_drafts;
DROP TABLE planning_drafts;
ALTER TABLE planning_drafts_rebuilt RENAME TO planning_drafts;

CREATE TABLE planning_publications_rebuilt (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    draft_id      INTEGER REFERENCES planning_drafts (id) ON DELETE SET NULL,
    revision      BIGINT NOT NULL,
    actor         TEXT NOT NULL,
    -- JSON: territories created / updated / deleted, accounts reassigned.
    summary       TEXT NOT NULL,
    published_at  TEXT NOT NULL
);
INSERT INTO planning_publications_rebuilt (id, draft_id, revision, actor, summary, published_at)
    SELECT id, draft_id, revision, actor, summary, published_at FROM planning_publications;
DROP TABLE planning_publications;
ALTER TABLE planning_publications_rebuilt RENAME TO planning_publications;


COMMIT;
PRAGMA foreign_keys = ON;
