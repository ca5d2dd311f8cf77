-- Pipeline and follow-ups (docs/pipeline.md): the win probability of each deal stage, which an
-- admin sets, and tasks on an account (optionally on one of its deals or cases). Keep in step
-- with migrations/postgres/0009_pipeline.sql.
CREATE TABLE pipeline_stages (
    stage           TEXT PRIMARY KEY CHECK (stage IN ('lead', 'qualified', 'proposal', 'negotiation', 'won', 'lost')),
    position        INTEGER NOT NULL,
    probability_pct INTEGER NOT NULL CHECK (probability_pct BETWEEN 0 AND 100),
    updated_at      TEXT NOT NULL
);
INSERT INTO pipeline_stages (stage, position, probability_pct, updated_at) VALUES
    ('lead', 1, 10, '2026-01-01T00:00:00+00:00'),
    ('qualified', 2, 25, '2026-01-01T00:00:00+00:00'),
    ('proposal', 3, 50, '2026-01-01T00:00:00+00:00'),
    ('negotiation', 4, 75, '2026-01-01T00:00:00+00:00'),
    ('won', 5, 100, '2026-01-01T00:00:00+00:00'),
    ('lost', 6, 0, '2026-01-01T00:00:00+00:00');

CREATE TABLE tasks (
    id             INTEGER PRIMARY KEY,
    account_id     INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    opportunity_id INTEGER REFERENCES opportunities (id) ON DELETE SET NULL,
    case_id        INTEGER REFERENCES cases (id) ON DELETE SET NULL,
    title          TEXT NOT NULL,
    due_on         TEXT NOT NULL,
    assignee_id    INTEGER REFERENCES staff (id) ON DELETE SET NULL,
    priority       TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    status         TEXT NOT NULL CHECK (status IN ('open', 'done')),
    done_at        TEXT,
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX tasks_account ON tasks (account_id);
CREATE INDEX tasks_assignee_due ON tasks (assignee_id, status, due_on);
