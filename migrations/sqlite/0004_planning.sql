-- Territory planning (SQLite). Keep in step with migrations/postgres/0004_planning.sql.
-- A draft is a proposed territory set based on a published revision; publishing bumps the
-- revision, so a draft based on an older one is refused (409) and kept.

CREATE TABLE planning_revision (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    revision  BIGINT NOT NULL
);
INSERT INTO planning_revision (id, revision) VALUES (1, 0);

CREATE TABLE planning_drafts (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL,
    base_revision  BIGINT NOT NULL,
    -- JSON [[territory id, version], ...] of the published territories the draft started from.
    base_versions  TEXT NOT NULL,
    -- JSON [{id?, name, owner_id?, geometry}] (wilayah_shared::planning::DraftTerritory).
    territories    TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('open', 'published')),
    created_by     TEXT,
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);

-- The audit trail: who published what, when.
CREATE TABLE planning_publications (
    id            INTEGER PRIMARY KEY,
    draft_id      INTEGER REFERENCES planning_drafts (id) ON DELETE SET NULL,
    revision      BIGINT NOT NULL,
    actor         TEXT NOT NULL,
    -- JSON: territories created / updated / deleted, accounts reassigned.
    summary       TEXT NOT NULL,
    published_at  TEXT NOT NULL
);
