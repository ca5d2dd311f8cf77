//! What the customer-analytics models (`wilayah_shared::analytics`) read from the database.

use async_trait::async_trait;
use chrono::NaiveDate;
use sqlx::{Postgres, Sqlite};
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
        }
    };
}

impl_analytics_store!(Sqlite);
impl_analytics_store!(Postgres);
