-- Hardening (PostgreSQL). Keep in step with migrations/sqlite/0005_hardening.sql.
--
-- Ids: identity columns draw from sequences, which never hand out a number twice (neither after
-- a delete nor after a rolled-back insert), so nothing is rebuilt here; SQLite needed
-- AUTOINCREMENT for the same guarantee. tests/hardening.rs checks it on both backends.

-- Field actions keep a hash of what was sent per client id: the same id with other content is
-- kept as a conflict (`reused_client_id`), never applied; each distinct content is kept once.
ALTER TABLE field_actions DROP CONSTRAINT field_actions_client_id_key;
-- SHA-256 (hex) of the action as the device sent it; '' for actions kept before it was.
ALTER TABLE field_actions ADD COLUMN payload_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE field_actions ADD COLUMN reused_client_id BOOLEAN NOT NULL DEFAULT FALSE;
CREATE UNIQUE INDEX field_actions_client ON field_actions (client_id) WHERE NOT reused_client_id;
CREATE UNIQUE INDEX field_actions_client_content ON field_actions (client_id, payload_hash);

-- While an erasure runs it lists the account here (inside its transaction, removed before it
-- commits); only then may an audit entry about that account change, and only by values of its
-- `changes` becoming "[personal]": same columns, same field names. Everything else stays
-- refused, DELETE always.
CREATE TABLE audit_redactions (
    account_id    BIGINT PRIMARY KEY
);

CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND EXISTS (SELECT 1 FROM audit_redactions r WHERE r.account_id = OLD.account_id)
       AND (NEW.id, NEW.at, NEW.actor_user_id, NEW.actor, NEW.action, NEW.entity, NEW.entity_id,
            NEW.account_id)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.at, OLD.actor_user_id, OLD.actor, OLD.action, OLD.entity, OLD.entity_id,
            OLD.account_id)
       AND (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(NEW.changes) AS k)
           IS NOT DISTINCT FROM
           (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(OLD.changes) AS k)
       AND NOT EXISTS (
           SELECT 1 FROM jsonb_each(NEW.changes) AS n (key, value)
             JOIN jsonb_each(OLD.changes) AS o (key, value) ON o.key = n.key
            WHERE n.value <> o.value AND n.value <> '"[personal]"'::jsonb)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
