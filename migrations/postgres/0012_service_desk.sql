-- The service desk (issue 17): what a case is about and how it came in, when it was first
-- answered and last resolved (the SLA clock's stops), the confirmation number a public report
-- answers with; the SLA settings (service hours, holidays, policies per priority and category)
-- as one JSON document (shared::service::SlaSettings), versioned; and the escalations fired, one
-- per case and target (the primary key is what makes an escalation fire once).
-- Keep in step with migrations/sqlite/0012_service_desk.sql.
ALTER TABLE cases ADD COLUMN category TEXT NOT NULL DEFAULT 'other';
ALTER TABLE cases ADD COLUMN channel TEXT NOT NULL DEFAULT 'staff';
ALTER TABLE cases ADD COLUMN responded_at TIMESTAMPTZ;
ALTER TABLE cases ADD COLUMN resolved_at TIMESTAMPTZ;
ALTER TABLE cases ADD COLUMN reference TEXT;
CREATE UNIQUE INDEX cases_reference ON cases (reference);
CREATE INDEX cases_status ON cases (status);
-- Cases already answered or resolved before this migration count from their last change.
UPDATE cases SET responded_at = updated_at WHERE status <> 'new';
UPDATE cases SET resolved_at = updated_at WHERE status IN ('resolved', 'closed');

CREATE TABLE sla_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    settings TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE case_escalations (
    case_id     BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    target      TEXT NOT NULL CHECK (target IN ('response', 'resolution')),
    fired_at    TIMESTAMPTZ NOT NULL,
    -- The staff member the case was reassigned to, if the policy names one.
    reassigned_to BIGINT REFERENCES staff (id) ON DELETE SET NULL,
    PRIMARY KEY (case_id, target)
);
