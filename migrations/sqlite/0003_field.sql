-- Field service (SQLite). Keep in step with migrations/postgres/0003_field.sql.
-- Every action a technician's device sends is kept, applied or not: `client_id` (a UUID made on
-- the device) makes a resent action recognisable, and a refused one stays visible.

ALTER TABLE visits ADD COLUMN checkin_accuracy_m DOUBLE PRECISION;
ALTER TABLE visits ADD COLUMN checkin_distance_m DOUBLE PRECISION;

CREATE TABLE field_actions (
    id             INTEGER PRIMARY KEY,
    client_id      TEXT NOT NULL UNIQUE,
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
    received_at    TEXT NOT NULL
);
CREATE INDEX field_actions_visit ON field_actions (visit_id, id);
CREATE INDEX field_actions_result ON field_actions (result, id);
