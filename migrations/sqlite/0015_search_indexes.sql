-- A contact's phone kept as its digits once instead of being normalised on every search
-- (docs/workspace.md, "Search speed"). Keep in step with migrations/postgres/0015_search_indexes.sql,
-- where the same column is generated; SQLite cannot add a stored generated column to a table,
-- so triggers keep it. The separators stripped are the ones `wilayah_shared::account::phone_digits`
-- accepts.
ALTER TABLE contacts ADD COLUMN phone_digits TEXT;

UPDATE contacts SET phone_digits =
    REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(phone, ' ', ''), '-', ''), '+', ''), '.', ''), '(', ''), ')', '');

CREATE TRIGGER contacts_phone_digits_insert AFTER INSERT ON contacts
BEGIN
    UPDATE contacts SET phone_digits =
        REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(NEW.phone, ' ', ''), '-', ''), '+', ''), '.', ''), '(', ''), ')', '')
    WHERE id = NEW.id;
END;

CREATE TRIGGER contacts_phone_digits_update AFTER UPDATE OF phone ON contacts
BEGIN
    UPDATE contacts SET phone_digits =
        REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(NEW.phone, ' ', ''), '-', ''), '+', ''), '.', ''), '(', ''), ')', '')
    WHERE id = NEW.id;
END;
