-- Replicas in step (docs/replicas.md): every write that changes what a server process keeps in
-- memory (the spatial index, the duplicate keys, the territory index) leaves a row in
-- `change_log`, written by triggers in the writing transaction itself, whatever code path wrote
-- (API, CLI import, merge, planning, cascades). SQLite has one writer at a time, so ids follow
-- commit order and a process polls for ids after its cursor. Keep in step with
-- migrations/postgres/0017_replicas.sql.

-- AUTOINCREMENT: ids are never reused after old rows are pruned.
CREATE TABLE change_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL CHECK (kind IN ('account', 'contact', 'territory')),
    entity_id   INTEGER NOT NULL,
    txid        INTEGER NOT NULL DEFAULT 0,
    changed_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX change_log_changed_at ON change_log (changed_at);

CREATE TRIGGER accounts_logged_insert AFTER INSERT ON accounts BEGIN
    INSERT INTO change_log (kind, entity_id) VALUES ('account', NEW.id);
END;
-- Only the columns memory holds; a deleted owner's SET NULL is an update of owner_id.
CREATE TRIGGER accounts_logged_update
    AFTER UPDATE OF lon, lat, kind, status, owner_id, name, external_id ON accounts BEGIN
    INSERT INTO change_log (kind, entity_id) VALUES ('account', NEW.id);
END;
CREATE TRIGGER accounts_logged_delete AFTER DELETE ON accounts BEGIN
    INSERT INTO change_log (kind, entity_id) VALUES ('account', OLD.id);
END;

CREATE TRIGGER contacts_logged_insert AFTER INSERT ON contacts BEGIN
    INSERT INTO change_log (kind, entity_id) VALUES ('contact', NEW.account_id);
END;
CREATE TRIGGER contacts_logged_update AFTER UPDATE OF account_id, email, phone ON contacts BEGIN
    INSERT INTO change_log (kind, entity_id) VALUES ('contact', OLD.account_id);
    INSERT INTO change_log (kind, entity_id)
        SELECT 'contact', NEW.account_id WHERE NEW.account_id <> OLD.account_id;
END;
CREATE TRIGGER contacts_logged_delete AFTER DELETE ON contacts BEGIN
    INSERT INTO change_log (kind, entity_id) VALUES ('contact', OLD.account_id);
END;

CREATE TRIGGER territories_logged_insert AFTER INSERT ON territories BEGIN
    INSERT INTO change_log (kind, entity_id) VALUES ('territory', NEW.id);
END;
CREATE TRIGGER territories_logged_update
    AFTER UPDATE OF name, owner_id, geometry ON territories BEGIN
    INSERT INTO change_log (kind, entity_id) VALUES ('territory', NEW.id);
END;
CREATE TRIGGER territories_logged_delete AFTER DELETE ON territories BEGIN
    INSERT INTO change_log (kind, entity_id) VALUES ('territory', OLD.id);
END;

-- The sign-in and report limiters (server/src/auth.rs), shared by every process: attempts per
-- key in a fixed window that starts at the first attempt.
CREATE TABLE login_limits (
    key              TEXT PRIMARY KEY,
    window_start_ms  INTEGER NOT NULL,
    attempts         INTEGER NOT NULL
);
CREATE INDEX login_limits_window ON login_limits (window_start_ms);

-- The first-admin setup links that processes started on a database without users printed (as
-- SHA-256 hashes): each valid on every process until the first admin exists.
CREATE TABLE setup_tokens (
    token_hash  TEXT PRIMARY KEY
);
