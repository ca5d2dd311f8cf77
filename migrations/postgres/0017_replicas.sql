-- Replicas in step (docs/replicas.md): every write that changes what a server process keeps in
-- memory (the spatial index, the duplicate keys, the territory index) leaves a row in
-- `change_log`, written by triggers in the writing transaction itself, whatever code path wrote
-- (API, CLI import, merge, planning, cascades). A NOTIFY on `wilayah_changes` wakes the other
-- processes; each reads the rows after its cursor and re-reads the entities they name. Keep in
-- step with migrations/sqlite/0017_replicas.sql.

CREATE TABLE change_log (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('account', 'contact', 'territory')),
    -- The account (for an account or a contact) or the territory that changed.
    entity_id   BIGINT NOT NULL,
    -- The writing transaction: a reader only moves its cursor past transactions that ended,
    -- so a transaction that took its ids early and commits late is not skipped.
    txid        BIGINT NOT NULL DEFAULT txid_current(),
    changed_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX change_log_txid ON change_log (txid);
CREATE INDEX change_log_changed_at ON change_log (changed_at);

-- One function for every logged table: the kind is the trigger's argument; a contact names its
-- account (before and after a move), other rows themselves.
CREATE FUNCTION wilayah_log_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_id BIGINT;
    new_id BIGINT;
BEGIN
    IF TG_TABLE_NAME = 'contacts' THEN
        IF TG_OP <> 'INSERT' THEN old_id := OLD.account_id; END IF;
        IF TG_OP <> 'DELETE' THEN new_id := NEW.account_id; END IF;
    ELSE
        IF TG_OP <> 'INSERT' THEN old_id := OLD.id; END IF;
        IF TG_OP <> 'DELETE' THEN new_id := NEW.id; END IF;
    END IF;
    IF old_id IS NOT NULL THEN
        INSERT INTO change_log (kind, entity_id) VALUES (TG_ARGV[0], old_id);
    END IF;
    IF new_id IS NOT NULL AND new_id IS DISTINCT FROM old_id THEN
        INSERT INTO change_log (kind, entity_id) VALUES (TG_ARGV[0], new_id);
    END IF;
    -- Identical notifications of one transaction are delivered once, at its commit.
    PERFORM pg_notify('wilayah_changes', '');
    RETURN NULL;
END
$$;

-- Only the columns memory holds: position, kind, status, owner (the spatial index), name and
-- external id (the duplicate keys). A deleted owner's SET NULL is an update of owner_id.
CREATE TRIGGER accounts_change_log
    AFTER INSERT OR DELETE OR UPDATE OF lon, lat, kind, status, owner_id, name, external_id
    ON accounts FOR EACH ROW EXECUTE FUNCTION wilayah_log_change('account');
CREATE TRIGGER contacts_change_log
    AFTER INSERT OR DELETE OR UPDATE OF account_id, email, phone
    ON contacts FOR EACH ROW EXECUTE FUNCTION wilayah_log_change('contact');
CREATE TRIGGER territories_change_log
    AFTER INSERT OR DELETE OR UPDATE OF name, owner_id, geometry
    ON territories FOR EACH ROW EXECUTE FUNCTION wilayah_log_change('territory');

-- The sign-in and report limiters (server/src/auth.rs), shared by every process: attempts per
-- key in a fixed window that starts at the first attempt.
CREATE TABLE login_limits (
    key              TEXT PRIMARY KEY,
    window_start_ms  BIGINT NOT NULL,
    attempts         BIGINT NOT NULL
);
CREATE INDEX login_limits_window ON login_limits (window_start_ms);

-- The first-admin setup links that processes started on a database without users printed (as
-- SHA-256 hashes): each valid on every process until the first admin exists.
CREATE TABLE setup_tokens (
    token_hash  TEXT PRIMARY KEY
);
