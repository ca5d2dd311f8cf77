-- The accounts workspace (issue 14): saved views of the accounts list, and consent per channel
-- on contacts. Keep in step with migrations/postgres/0008_workspace.sql.

-- A named view of the accounts list: its query string (filter, search, sort) as the page's
-- address holds it. Its owner sees it; a shared one every user who may open the list.
CREATE TABLE saved_views (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    query       TEXT NOT NULL,
    shared      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TEXT NOT NULL
);
CREATE INDEX saved_views_user ON saved_views (user_id);
CREATE INDEX saved_views_shared ON saved_views (shared);

-- Consent per channel: granted or refused, when, and where it was given (a form, a call, an
-- event). NULL: never asked. Campaigns honour it.
ALTER TABLE contacts ADD COLUMN consent_email TEXT CHECK (consent_email IN ('granted', 'refused'));
ALTER TABLE contacts ADD COLUMN consent_email_on TEXT;
ALTER TABLE contacts ADD COLUMN consent_email_source TEXT;
ALTER TABLE contacts ADD COLUMN consent_sms TEXT CHECK (consent_sms IN ('granted', 'refused'));
ALTER TABLE contacts ADD COLUMN consent_sms_on TEXT;
ALTER TABLE contacts ADD COLUMN consent_sms_source TEXT;
ALTER TABLE contacts ADD COLUMN consent_phone TEXT CHECK (consent_phone IN ('granted', 'refused'));
ALTER TABLE contacts ADD COLUMN consent_phone_on TEXT;
ALTER TABLE contacts ADD COLUMN consent_phone_source TEXT;
