-- Customer satisfaction (issue 17 item 6, docs/service.md): one short survey (CSAT 1-5 and a
-- comment) after a case is resolved or a visit is done, answered through a link in an e-mail or
-- on the technician's tablet. One survey per case and per visit (the unique keys make the
-- sweep that opens them idempotent). Keep in step with migrations/postgres/0018_surveys.sql.
CREATE TABLE surveys (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    token          TEXT NOT NULL UNIQUE,
    case_id        INTEGER UNIQUE REFERENCES cases (id) ON DELETE CASCADE,
    visit_id       INTEGER UNIQUE REFERENCES visits (id) ON DELETE CASCADE,
    account_id     INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    contact_id     INTEGER REFERENCES contacts (id) ON DELETE SET NULL,
    -- Who served: the visit's technician, or the staff member the case was assigned to.
    staff_id       INTEGER REFERENCES staff (id) ON DELETE SET NULL,
    -- The case's category when the survey was opened (a visit has none).
    category       TEXT,
    -- The e-mail: none (no address), pending, sending, sent or failed.
    email_state    TEXT NOT NULL CHECK (email_state IN ('none', 'pending', 'sending', 'sent', 'failed')),
    address        TEXT,
    email_error    TEXT,
    score          INTEGER CHECK (score BETWEEN 1 AND 5),
    comment        TEXT,
    answered_via   TEXT CHECK (answered_via IN ('email', 'tablet')),
    created_at     TEXT NOT NULL,
    sent_at        TEXT,
    answered_at    TEXT,
    CHECK ((case_id IS NULL) <> (visit_id IS NULL))
);
CREATE INDEX surveys_email ON surveys (email_state);
CREATE INDEX surveys_account ON surveys (account_id);

-- The technician's tablet records the customer's answer as a field action (`survey`), kept and
-- deduplicated like the others: the action list gains it (SQLite changes a CHECK by rebuilding).
CREATE TABLE field_actions_rebuilt (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id      TEXT NOT NULL,
    -- No foreign key: an action outlives a deleted visit.
    visit_id       INTEGER NOT NULL,
    technician_id  INTEGER,
    action         TEXT NOT NULL CHECK (action IN ('status', 'check_in', 'report', 'survey')),
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
INSERT INTO field_actions_rebuilt (id, client_id, visit_id, technician_id, action, payload, base_version, result, visit_version, visit_status, message, distance_m, recorded_at, received_at, payload_hash, reused_client_id)
    SELECT id, client_id, visit_id, technician_id, action, payload, base_version, result, visit_version, visit_status, message, distance_m, recorded_at, received_at, payload_hash, reused_client_id FROM field_actions;
DROP TABLE field_actions;
ALTER TABLE field_actions_rebuilt RENAME TO field_actions;
CREATE INDEX field_actions_visit ON field_actions (visit_id, id);
CREATE INDEX field_actions_result ON field_actions (result, id);
CREATE UNIQUE INDEX field_actions_client ON field_actions (client_id) WHERE reused_client_id = 0;
CREATE UNIQUE INDEX field_actions_client_content ON field_actions (client_id, payload_hash);
