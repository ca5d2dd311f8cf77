-- Products, price lists, quotes and orders (SQLite). Keep in step with
-- migrations/postgres/0006_sales.sql. Amounts are integer minor units, rates basis points,
-- quantities thousandths of a unit (docs/sales.md).

CREATE TABLE products (
    id               INTEGER PRIMARY KEY,
    sku              TEXT NOT NULL UNIQUE,
    name_en          TEXT NOT NULL,
    name_id          TEXT,
    unit             TEXT NOT NULL DEFAULT 'piece',
    category         TEXT,
    list_price_minor BIGINT NOT NULL,
    cost_price_minor BIGINT NOT NULL DEFAULT 0,
    currency         TEXT NOT NULL DEFAULT 'IDR',
    tax_rate_bp      BIGINT NOT NULL DEFAULT 1100,
    status           TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'review')),
    version          INTEGER NOT NULL DEFAULT 1,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX products_status ON products (status);

CREATE TABLE price_lists (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    currency     TEXT NOT NULL DEFAULT 'IDR',
    segment      TEXT,
    territory_id INTEGER REFERENCES territories (id) ON DELETE SET NULL,
    valid_from   TEXT NOT NULL,
    valid_until  TEXT,
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

CREATE TABLE price_list_items (
    id            INTEGER PRIMARY KEY,
    price_list_id INTEGER NOT NULL REFERENCES price_lists (id) ON DELETE CASCADE,
    product_id    INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    price_minor   BIGINT NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (price_list_id, product_id)
);
CREATE INDEX price_list_items_product ON price_list_items (product_id);

-- One row per revision; `quote_no` is the id of the first revision (the quote's number).
CREATE TABLE quotes (
    id             INTEGER PRIMARY KEY,
    quote_no       INTEGER NOT NULL,
    revision       INTEGER NOT NULL,
    account_id     INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    opportunity_id INTEGER REFERENCES opportunities (id) ON DELETE SET NULL,
    status         TEXT NOT NULL CHECK (status IN ('draft', 'sent', 'accepted', 'rejected', 'expired', 'superseded')),
    currency       TEXT NOT NULL,
    valid_until    TEXT NOT NULL,
    terms          TEXT,
    approval       TEXT,
    sent_on        TEXT,
    decided_on     TEXT,
    created_by     INTEGER REFERENCES staff (id) ON DELETE SET NULL,
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    UNIQUE (quote_no, revision)
);
CREATE INDEX quotes_account ON quotes (account_id);

-- A quote line keeps what it was priced at; no foreign key on the product: a quote is a
-- document that outlives a product taken out of the catalogue.
CREATE TABLE quote_lines (
    id                     INTEGER PRIMARY KEY,
    quote_id               INTEGER NOT NULL REFERENCES quotes (id) ON DELETE CASCADE,
    line_no                INTEGER NOT NULL,
    product_id             INTEGER NOT NULL,
    sku                    TEXT NOT NULL,
    quantity_milli         BIGINT NOT NULL,
    currency               TEXT NOT NULL,
    applicable_price_minor BIGINT NOT NULL,
    price_source           TEXT NOT NULL,
    unit_price_minor       BIGINT NOT NULL,
    discount_bp            BIGINT NOT NULL,
    tax_rate_bp            BIGINT NOT NULL,
    unit_cost_minor        BIGINT NOT NULL,
    UNIQUE (quote_id, line_no)
);

CREATE TABLE orders (
    id                INTEGER PRIMARY KEY,
    account_id        INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    quote_id          INTEGER REFERENCES quotes (id) ON DELETE SET NULL,
    currency          TEXT NOT NULL,
    order_date        TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('open', 'delivered', 'invoiced', 'cancelled')),
    external_order_id TEXT UNIQUE,
    subtotal_minor    BIGINT NOT NULL,
    tax_minor         BIGINT NOT NULL,
    total_minor       BIGINT NOT NULL,
    cost_minor        BIGINT NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX orders_account ON orders (account_id, order_date);

-- Price and cost as at the sale. The product must exist when the line is written.
CREATE TABLE order_lines (
    id               INTEGER PRIMARY KEY,
    order_id         INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line_no          INTEGER NOT NULL,
    product_id       INTEGER NOT NULL REFERENCES products (id),
    sku              TEXT NOT NULL,
    quantity_milli   BIGINT NOT NULL,
    unit_price_minor BIGINT NOT NULL,
    discount_bp      BIGINT NOT NULL,
    tax_rate_bp      BIGINT NOT NULL,
    unit_cost_minor  BIGINT NOT NULL,
    returns_line     INTEGER,
    UNIQUE (order_id, line_no)
);
CREATE INDEX order_lines_product ON order_lines (product_id);
