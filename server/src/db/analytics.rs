//! What the customer-analytics models (`wilayah_shared::analytics`) read from the database.

use async_trait::async_trait;
use chrono::NaiveDate;
use sqlx::{Postgres, QueryBuilder, Sqlite};
use wilayah_app::store::StoreError;
use wilayah_shared::analytics::Purchase;

use super::store::{SqlStore, db_error};

#[async_trait]
pub trait AnalyticsStore: Send + Sync {
    /// Every order that is a purchase, as the lifetime-value models count them: not cancelled,
    /// not negative before tax (an order of returns only is not a purchase; a free one is), by customer
    /// and day.
    async fn purchases(&self) -> Result<Vec<Purchase>, StoreError>;

    /// The currencies those purchases are in.
    async fn purchase_currencies(&self) -> Result<Vec<String>, StoreError>;

    /// The orders that are not cancelled on these accounts (`None`: every account), by account,
    /// day and id: what the analytics routes compute from for one caller.
    async fn order_figures(
        &self,
        accounts: Option<&[i64]>,
    ) -> Result<Vec<OrderFigures>, StoreError>;

    /// The products sold (lines with a positive quantity) on the orders that are not cancelled
    /// on these accounts (`None`: every account), by order: the baskets of cross-selling.
    async fn basket_lines(&self, accounts: Option<&[i64]>) -> Result<Vec<BasketLine>, StoreError>;
}

/// One order as the analytics read it: revenue is the subtotal before tax (returns included,
/// negative), cost the cost of goods at the sale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderFigures {
    pub order: i64,
    pub account: i64,
    pub day: NaiveDate,
    pub currency: String,
    pub revenue_minor: i64,
    pub cost_minor: i64,
}

/// A product sold on an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasketLine {
    pub order: i64,
    pub account: i64,
    pub currency: String,
    pub product: i64,
    pub sku: String,
}

/// Accounts per query when a caller's accounts are listed (below every backend's limit on bound
/// parameters).
const ACCOUNTS_PER_QUERY: usize = 5_000;

const ORDER_FIGURES_SQL: &str = "
    SELECT id, account_id, order_date, currency, subtotal_minor, cost_minor
      FROM orders
     WHERE status <> 'cancelled'";

const BASKET_LINES_SQL: &str = "
    SELECT o.id, o.account_id, o.currency, l.product_id, l.sku
      FROM orders o
      JOIN order_lines l ON l.order_id = o.id
     WHERE o.status <> 'cancelled' AND l.quantity_milli > 0";

/// The chunks of accounts to query for: one unrestricted query, none for no accounts.
fn account_chunks(accounts: Option<&[i64]>) -> Vec<Option<&[i64]>> {
    match accounts {
        None => vec![None],
        Some(ids) => ids.chunks(ACCOUNTS_PER_QUERY).map(Some).collect(),
    }
}

const PURCHASES_SQL: &str = "
    SELECT account_id, order_date, subtotal_minor
      FROM orders
     WHERE status <> 'cancelled' AND subtotal_minor >= 0
     ORDER BY account_id, order_date, id";

const CURRENCIES_SQL: &str = "
    SELECT DISTINCT currency
      FROM orders
     WHERE status <> 'cancelled' AND subtotal_minor >= 0
     ORDER BY currency";

macro_rules! impl_analytics_store {
    ($db:ty) => {
        #[async_trait]
        impl AnalyticsStore for SqlStore<$db> {
            async fn purchases(&self) -> Result<Vec<Purchase>, StoreError> {
                let rows: Vec<(i64, NaiveDate, i64)> = sqlx::query_as(PURCHASES_SQL)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_error)?;
                Ok(rows
                    .into_iter()
                    .map(|(customer, day, amount_minor)| Purchase {
                        customer,
                        day,
                        amount_minor,
                    })
                    .collect())
            }

            async fn purchase_currencies(&self) -> Result<Vec<String>, StoreError> {
                let rows: Vec<(String,)> = sqlx::query_as(CURRENCIES_SQL)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_error)?;
                Ok(rows.into_iter().map(|(c,)| c).collect())
            }

            async fn order_figures(
                &self,
                accounts: Option<&[i64]>,
            ) -> Result<Vec<OrderFigures>, StoreError> {
                let mut out = Vec::new();
                for chunk in account_chunks(accounts) {
                    let mut qb = QueryBuilder::<$db>::new(ORDER_FIGURES_SQL);
                    push_accounts(&mut qb, "account_id", chunk);
                    qb.push(" ORDER BY account_id, order_date, id");
                    let rows: Vec<(i64, i64, NaiveDate, String, i64, i64)> = qb
                        .build_query_as()
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db_error)?;
                    out.extend(rows.into_iter().map(
                        |(order, account, day, currency, revenue_minor, cost_minor)| OrderFigures {
                            order,
                            account,
                            day,
                            currency,
                            revenue_minor,
                            cost_minor,
                        },
                    ));
                }
                Ok(out)
            }

            async fn basket_lines(
                &self,
                accounts: Option<&[i64]>,
            ) -> Result<Vec<BasketLine>, StoreError> {
                let mut out = Vec::new();
                for chunk in account_chunks(accounts) {
                    let mut qb = QueryBuilder::<$db>::new(BASKET_LINES_SQL);
                    push_accounts(&mut qb, "o.account_id", chunk);
                    qb.push(" ORDER BY o.id, l.product_id");
                    let rows: Vec<(i64, i64, String, i64, String)> = qb
                        .build_query_as()
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db_error)?;
                    out.extend(
                        rows.into_iter()
                            .map(|(order, account, currency, product, sku)| BasketLine {
                                order,
                                account,
                                currency,
                                product,
                                sku,
                            }),
                    );
                }
                Ok(out)
            }
        }
    };
}

/// ` AND column IN (...)` for a chunk of accounts (nothing for every account).
fn push_accounts<DB: sqlx::Database>(
    qb: &mut QueryBuilder<DB>,
    column: &str,
    accounts: Option<&[i64]>,
) where
    i64: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let Some(ids) = accounts else { return };
    qb.push(format!(" AND {column} IN ("));
    let mut list = qb.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    qb.push(")");
}

impl_analytics_store!(Sqlite);
impl_analytics_store!(Postgres);
