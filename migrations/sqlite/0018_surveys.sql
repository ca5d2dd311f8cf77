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
