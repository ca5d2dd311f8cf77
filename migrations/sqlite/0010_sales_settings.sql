-- The deployment's sales settings (docs/sales.md): the company a proposal comes from and the
-- discount limit of each role, as one JSON document (shared::sales::SalesSettings), versioned.
-- Keep in step with migrations/postgres/0010_sales_settings.sql.
CREATE TABLE sales_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    settings TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL
);
