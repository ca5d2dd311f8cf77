-- The accounts list's search (docs/workspace.md, "Search speed"): `LIKE '%…%'` over names,
-- addresses and contacts uses trigram indexes instead of scanning every row, and a contact's
-- phone is kept as its digits once instead of being normalised on every query. Keep in step
-- with migrations/sqlite/0015_search_indexes.sql (same column, kept by triggers there).
-- pg_trgm is a trusted extension (PostgreSQL 13+): a database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- The separators stripped here are the ones `wilayah_shared::account::phone_digits` accepts.
ALTER TABLE contacts ADD COLUMN phone_digits TEXT GENERATED ALWAYS AS (
    REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(phone, ' ', ''), '-', ''), '+', ''), '.', ''), '(', ''), ')', '')
) STORED;

CREATE INDEX accounts_name_trgm ON accounts USING gin (LOWER(name) gin_trgm_ops);
CREATE INDEX accounts_address_trgm ON accounts USING gin (LOWER(address) gin_trgm_ops);
CREATE INDEX contacts_name_trgm ON contacts USING gin (LOWER(name) gin_trgm_ops);
CREATE INDEX contacts_email_trgm ON contacts USING gin (LOWER(email) gin_trgm_ops);
CREATE INDEX contacts_phone_digits_trgm ON contacts USING gin (phone_digits gin_trgm_ops);
