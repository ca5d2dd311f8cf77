-- An account's revenue to date and cost of goods come from its orders (docs/sales.md). Keep in
-- step with migrations/sqlite/0007_account_sales.sql.
-- NULL until the account has an order: a typed-in revenue has no known cost, so no margin.
ALTER TABLE accounts ADD COLUMN cost_of_goods_minor BIGINT;

-- Accounts that already have orders take their figures from them.
UPDATE accounts
   SET revenue_minor = (SELECT COALESCE(SUM(o.subtotal_minor), 0) FROM orders o
                         WHERE o.account_id = accounts.id AND o.status <> 'cancelled'),
       cost_of_goods_minor = (SELECT COALESCE(SUM(o.cost_minor), 0) FROM orders o
                               WHERE o.account_id = accounts.id AND o.status <> 'cancelled')
 WHERE id IN (SELECT account_id FROM orders);
