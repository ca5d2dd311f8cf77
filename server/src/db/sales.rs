//! Sales documents in the database: the catalogue as pricing reads it, quotes (one row per
//! revision, lines kept as priced), orders (lines keep price and cost at the sale) and the
//! order-history import. The rules are `wilayah_shared::sales`'s; this file stores what they
//! decide, each change in one transaction with its audit entry. Written once for both backends.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use sqlx::types::Json;
use sqlx::{Postgres, QueryBuilder, Sqlite};
use wilayah_app::store::StoreError;
use wilayah_shared::account::ValidationError;
use wilayah_shared::money::Currency;
use wilayah_shared::resources::OPPORTUNITIES;
use wilayah_shared::sales::SalesSettings;
use wilayah_shared::sales::catalogue::PRODUCT_STATUS_FLOW;
use wilayah_shared::sales::catalogue::PRODUCTS;
use wilayah_shared::sales::{
    Approval, Order, OrderHistory, OrderLine, PriceList, Product, Quote, QuoteLine,
};
use wilayah_shared::transfer::{RecordRow, RowError, RowErrors};

use super::audit::AuditEntry;
use super::store::{SqlStore, db_error};
use super::transfer::{ImportError, VALUES_PER_QUERY, WriteProgress};

/// A stored quote revision (serialized flat, as the privacy export shows it).
#[derive(Debug, Clone, Serialize)]
pub struct QuoteRecord {
    pub id: i64,
    /// The id of the quote's first revision: what every revision of one quote shares.
    pub quote_no: i64,
    pub version: i64,
    pub created_by: Option<i64>,
    #[serde(flatten)]
    pub quote: Quote,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A stored order (serialized flat, as the privacy export shows it).
#[derive(Debug, Clone, Serialize)]
pub struct OrderRecord {
    pub id: i64,
    pub version: i64,
    /// The accepted quote revision it was made from.
    pub quote_id: Option<i64>,
    #[serde(flatten)]
    pub order: Order,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Which quotes or orders to list.
#[derive(Debug, Clone, Default)]
pub struct SalesFilter {
    /// Only these accounts (`None`: any): a scoped caller's.
    pub account_ids: Option<Vec<i64>>,
    pub account_id: Option<i64>,
    pub status: Option<String>,
    pub limit: u32,
    pub offset: u64,
}

/// A product an import created for a SKU the catalogue lacked (status `review`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewProduct {
    pub id: i64,
    pub sku: String,
    pub first_row: usize,
    pub lines: usize,
}

/// What an order-history import wrote (or, on a dry run, would write).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OrderImport {
    pub orders: usize,
    pub lines: usize,
    /// Orders of the file already imported before (by `external_order_id`): left as they are.
    pub skipped_orders: usize,
    pub review_products: Vec<ReviewProduct>,
}

#[async_trait]
pub trait SalesStore: Send + Sync {
    /// The products with these ids (missing ones left out).
    async fn products_by_ids(&self, ids: &[i64]) -> Result<Vec<Product>, StoreError>;

    /// The price lists in `currency` valid on `day`, each with its prices of `product_ids`.
    async fn price_lists_on(
        &self,
        currency: Currency,
        day: NaiveDate,
        product_ids: &[i64],
    ) -> Result<Vec<PriceList>, StoreError>;

    async fn create_quote(
        &self,
        quote: &Quote,
        created_by: Option<i64>,
    ) -> Result<QuoteRecord, StoreError>;

    async fn get_quote(&self, id: i64) -> Result<QuoteRecord, StoreError>;

    /// A page of quote revisions, newest first, and how many match.
    async fn list_quotes(
        &self,
        filter: &SalesFilter,
    ) -> Result<(Vec<QuoteRecord>, i64), StoreError>;

    /// Writes a changed revision (header and lines) if it is still at `expected_version`;
    /// `action` names the change in the audit log.
    async fn save_quote(
        &self,
        id: i64,
        expected_version: i64,
        quote: &Quote,
        action: &'static str,
    ) -> Result<QuoteRecord, StoreError>;

    /// Writes `old` (e.g. now superseded) if still at `expected_version` and adds `next` as the
    /// quote's next revision, in one transaction.
    async fn revise_quote(
        &self,
        id: i64,
        expected_version: i64,
        old: &Quote,
        next: &Quote,
        created_by: Option<i64>,
    ) -> Result<QuoteRecord, StoreError>;

    /// In one transaction: the revision becomes `accepted` (if still at `expected_version`),
    /// its deal is won, and `order` is written. Any failure writes nothing.
    async fn accept_quote(
        &self,
        id: i64,
        expected_version: i64,
        accepted: &Quote,
        order: &Order,
    ) -> Result<(QuoteRecord, OrderRecord), StoreError>;

    async fn create_order(&self, order: &Order) -> Result<OrderRecord, StoreError>;

    async fn get_order(&self, id: i64) -> Result<OrderRecord, StoreError>;

    async fn list_orders(
        &self,
        filter: &SalesFilter,
    ) -> Result<(Vec<OrderRecord>, i64), StoreError>;

    /// Writes a changed order (status, totals, and lines it did not have: returns) if it is still
    /// at `expected_version`.
    async fn save_order(
        &self,
        id: i64,
        expected_version: i64,
        order: &Order,
        action: &'static str,
    ) -> Result<OrderRecord, StoreError>;

    /// Imports past orders in one transaction, all or nothing: accounts by `external_id` (only
    /// among `within` when given: a scoped caller's), orders already imported (same
    /// `external_order_id`) skipped, unknown SKUs created as products to review. With `dry_run`
    /// everything is checked and written, then rolled back.
    async fn import_orders(
        &self,
        history: &OrderHistory,
        within: Option<&[i64]>,
        dry_run: bool,
        progress: WriteProgress<'_>,
    ) -> Result<OrderImport, ImportError>;
}

/// The sales settings and the catalogue import.
#[async_trait]
pub trait SalesSettingsStore: Send + Sync {
    /// The sales settings and their version (the defaults at version 0 until an admin saves).
    async fn sales_settings(&self) -> Result<(SalesSettings, i64), StoreError>;

    /// Saves the settings if they are still at `expected_version`; the new version.
    async fn save_sales_settings(
        &self,
        expected_version: i64,
        settings: &SalesSettings,
    ) -> Result<i64, StoreError>;

    /// Imports catalogue rows in one transaction, all or nothing: a row whose SKU is in the
    /// catalogue updates that product (unchanged rows are left alone), any other creates one.
    /// A status move the product's flow refuses fails the file with its row.
    async fn import_products(
        &self,
        rows: &[RecordRow],
        dry_run: bool,
    ) -> Result<ProductImport, ImportError>;
}

/// What a catalogue import wrote.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProductImport {
    pub created: Vec<i64>,
    pub updated: Vec<i64>,
    /// Rows equal to the product already stored.
    pub unchanged: usize,
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Database(format!("stored {what} is unreadable: {e}").into())
}

fn invalid(e: ValidationError) -> StoreError {
    StoreError::Invalid {
        field: e.field.to_owned(),
        message: e.message,
    }
}

#[derive(sqlx::FromRow)]
struct ProductRow {
    id: i64,
    sku: String,
    name_en: String,
    name_id: Option<String>,
    unit: String,
    category: Option<String>,
    list_price_minor: i64,
    cost_price_minor: i64,
    currency: String,
    tax_rate_bp: i64,
    status: String,
    version: i64,
}

const PRODUCT_COLUMNS: &str = "id, sku, name_en, name_id, unit, category, list_price_minor, \
    cost_price_minor, currency, tax_rate_bp, status, version";

impl TryFrom<ProductRow> for Product {
    type Error = StoreError;
    fn try_from(r: ProductRow) -> Result<Product, StoreError> {
        Ok(Product {
            id: r.id,
            sku: r.sku,
            name_en: r.name_en,
            name_id: r.name_id,
            unit: r.unit.parse().map_err(|e| corrupt("products.unit", e))?,
            category: r.category,
            list_price_minor: r.list_price_minor,
            cost_price_minor: r.cost_price_minor,
            currency: r
                .currency
                .parse()
                .map_err(|e| corrupt("products.currency", e))?,
            tax_rate_bp: r.tax_rate_bp,
            status: r
                .status
                .parse()
                .map_err(|e| corrupt("products.status", e))?,
            version: r.version,
        })
    }
}

#[derive(sqlx::FromRow)]
struct PriceListRow {
    id: i64,
    name: String,
    currency: String,
    segment: Option<String>,
    territory_id: Option<i64>,
    valid_from: NaiveDate,
    valid_until: Option<NaiveDate>,
    version: i64,
}

const QUOTE_COLUMNS: &str = "id, quote_no, revision, account_id, opportunity_id, status, currency, \
    valid_until, terms, approval, sent_on, decided_on, created_by, version, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct QuoteRow {
    id: i64,
    quote_no: i64,
    revision: i64,
    account_id: i64,
    opportunity_id: Option<i64>,
    status: String,
    currency: String,
    valid_until: NaiveDate,
    terms: Option<String>,
    approval: Option<Json<Approval>>,
    sent_on: Option<NaiveDate>,
    decided_on: Option<NaiveDate>,
    created_by: Option<i64>,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

const QUOTE_LINE_COLUMNS: &str = "quote_id, line_no, product_id, sku, quantity_milli, currency, \
    applicable_price_minor, price_source, unit_price_minor, discount_bp, tax_rate_bp, unit_cost_minor";

#[derive(sqlx::FromRow)]
struct QuoteLineRow {
    quote_id: i64,
    product_id: i64,
    sku: String,
    quantity_milli: i64,
    currency: String,
    applicable_price_minor: i64,
    price_source: String,
    unit_price_minor: i64,
    discount_bp: i64,
    tax_rate_bp: i64,
    unit_cost_minor: i64,
}

impl TryFrom<QuoteLineRow> for QuoteLine {
    type Error = StoreError;
    fn try_from(r: QuoteLineRow) -> Result<QuoteLine, StoreError> {
        Ok(QuoteLine {
            product_id: r.product_id,
            sku: r.sku,
            quantity_milli: r.quantity_milli,
            currency: r
                .currency
                .parse()
                .map_err(|e| corrupt("quote_lines.currency", e))?,
            applicable_price_minor: r.applicable_price_minor,
            price_source: serde_json::from_str(&r.price_source)
                .map_err(|e| corrupt("quote_lines.price_source", e))?,
            unit_price_minor: r.unit_price_minor,
            discount_bp: r.discount_bp,
            tax_rate_bp: r.tax_rate_bp,
            unit_cost_minor: r.unit_cost_minor,
        })
    }
}

impl QuoteRow {
    fn into_record(self, lines: Vec<QuoteLine>) -> Result<QuoteRecord, StoreError> {
        Ok(QuoteRecord {
            id: self.id,
            quote_no: self.quote_no,
            version: self.version,
            created_by: self.created_by,
            quote: Quote {
                account_id: self.account_id,
                opportunity_id: self.opportunity_id,
                revision: u32::try_from(self.revision)
                    .map_err(|e| corrupt("quotes.revision", e))?,
                status: self
                    .status
                    .parse()
                    .map_err(|e| corrupt("quotes.status", e))?,
                currency: self
                    .currency
                    .parse()
                    .map_err(|e| corrupt("quotes.currency", e))?,
                valid_until: self.valid_until,
                terms: self.terms,
                lines,
                approval: self.approval.map(|a| a.0),
                sent_on: self.sent_on,
                decided_on: self.decided_on,
            },
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

const ORDER_COLUMNS: &str = "id, account_id, quote_id, currency, order_date, status, \
    external_order_id, version, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct OrderRow {
    id: i64,
    account_id: i64,
    quote_id: Option<i64>,
    currency: String,
    order_date: NaiveDate,
    status: String,
    external_order_id: Option<String>,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

const ORDER_LINE_COLUMNS: &str = "order_id, line_no, product_id, sku, quantity_milli, \
    unit_price_minor, discount_bp, tax_rate_bp, unit_cost_minor, returns_line";

#[derive(sqlx::FromRow)]
struct OrderLineRow {
    order_id: i64,
    line_no: i64,
    product_id: i64,
    sku: String,
    quantity_milli: i64,
    unit_price_minor: i64,
    discount_bp: i64,
    tax_rate_bp: i64,
    unit_cost_minor: i64,
    returns_line: Option<i64>,
}

impl TryFrom<OrderLineRow> for OrderLine {
    type Error = StoreError;
    fn try_from(r: OrderLineRow) -> Result<OrderLine, StoreError> {
        let number = |n: i64| u32::try_from(n).map_err(|e| corrupt("order_lines.line_no", e));
        Ok(OrderLine {
            line_no: number(r.line_no)?,
            product_id: r.product_id,
            sku: r.sku,
            quantity_milli: r.quantity_milli,
            unit_price_minor: r.unit_price_minor,
            discount_bp: r.discount_bp,
            tax_rate_bp: r.tax_rate_bp,
            unit_cost_minor: r.unit_cost_minor,
            returns_line: r.returns_line.map(number).transpose()?,
        })
    }
}

impl OrderRow {
    fn into_record(self, lines: Vec<OrderLine>) -> Result<OrderRecord, StoreError> {
        Ok(OrderRecord {
            id: self.id,
            version: self.version,
            quote_id: self.quote_id,
            order: Order {
                account_id: self.account_id,
                currency: self
                    .currency
                    .parse()
                    .map_err(|e| corrupt("orders.currency", e))?,
                order_date: self.order_date,
                status: self
                    .status
                    .parse()
                    .map_err(|e| corrupt("orders.status", e))?,
                lines,
                external_order_id: self.external_order_id,
            },
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// The audit entry of a change to a quote or order: what it is now, in brief.
fn document_entry(
    action: &'static str,
    entity: &'static str,
    id: i64,
    account_id: i64,
    facts: &[(&str, Value)],
) -> AuditEntry<'static> {
    let changes: Map<String, Value> = facts
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    AuditEntry {
        action,
        entity,
        entity_id: Some(id),
        account_id: Some(account_id),
        changes,
    }
}

fn quote_facts(quote: &Quote) -> Vec<(&'static str, Value)> {
    let total = quote.amounts().map(|a| a.totals.total_minor).unwrap_or(0);
    vec![
        ("status", quote.status.to_string().into()),
        ("revision", quote.revision.into()),
        ("lines", quote.lines.len().into()),
        ("total_minor", total.into()),
    ]
}

fn order_facts(order: &Order) -> Vec<(&'static str, Value)> {
    let total = order.amounts().map(|a| a.totals.total_minor).unwrap_or(0);
    vec![
        ("status", order.status.to_string().into()),
        ("lines", order.lines.len().into()),
        ("total_minor", total.into()),
    ]
}

/// An order line refused by the database: a product that no longer exists is the caller's
/// problem (e.g. deleted after it was quoted), anything else the database's.
fn line_error(e: sqlx::Error) -> StoreError {
    let gone = e
        .as_database_error()
        .is_some_and(|d| d.kind() == sqlx::error::ErrorKind::ForeignKeyViolation);
    if gone {
        return StoreError::Invalid {
            field: "lines".into(),
            message: "a product on it no longer exists in the catalogue".into(),
        };
    }
    db_error(e)
}

/// Rows of order lines per multi-row INSERT (10 values each: well under both databases'
/// parameter limits) and orders per INSERT (9 values each).
const LINES_PER_INSERT: usize = 1_000;
const ORDERS_PER_INSERT: usize = 1_000;
/// Account ids per revenue refresh (`IN (...)` list), well under the bound-parameter limits.
const ACCOUNTS_PER_REFRESH: usize = 1_000;

/// `$begin` starts a write transaction (SQLite takes its write lock up front, see field.rs).
macro_rules! impl_sales_store {
    ($db:ty, $begin:literal) => {
        impl SqlStore<$db> {
            async fn quote_lines_of(
                conn: &mut <$db as sqlx::Database>::Connection,
                ids: &[i64],
            ) -> Result<HashMap<i64, Vec<QuoteLine>>, StoreError> {
                let mut by_quote: HashMap<i64, Vec<QuoteLine>> = HashMap::new();
                for chunk in ids.chunks(VALUES_PER_QUERY) {
                    let mut qb = QueryBuilder::<$db>::new(format!(
                        "SELECT {QUOTE_LINE_COLUMNS} FROM quote_lines WHERE quote_id IN ("
                    ));
                    let mut list = qb.separated(", ");
                    for id in chunk {
                        list.push_bind(*id);
                    }
                    qb.push(") ORDER BY quote_id, line_no");
                    let rows: Vec<QuoteLineRow> =
                        qb.build_query_as().fetch_all(&mut *conn).await.map_err(db_error)?;
                    for row in rows {
                        by_quote.entry(row.quote_id).or_default().push(row.try_into()?);
                    }
                }
                Ok(by_quote)
            }

            async fn load_quote(
                conn: &mut <$db as sqlx::Database>::Connection,
                id: i64,
            ) -> Result<QuoteRecord, StoreError> {
                let row: QuoteRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {QUOTE_COLUMNS} FROM quotes WHERE id = $1"
                )))
                .bind(id)
                .fetch_one(&mut *conn)
                .await
                .map_err(db_error)?;
                let mut lines = Self::quote_lines_of(conn, &[id]).await?;
                row.into_record(lines.remove(&id).unwrap_or_default())
            }

            async fn insert_quote(
                tx: &mut sqlx::Transaction<'_, $db>,
                quote: &Quote,
                quote_no: Option<i64>,
                created_by: Option<i64>,
            ) -> Result<i64, StoreError> {
                let now = Utc::now();
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO quotes (quote_no, revision, account_id, opportunity_id, status, currency,
                                         valid_until, terms, approval, sent_on, decided_on, created_by,
                                         created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id",
                )
                .bind(quote_no.unwrap_or(0))
                .bind(i64::from(quote.revision))
                .bind(quote.account_id)
                .bind(quote.opportunity_id)
                .bind(quote.status.to_string())
                .bind(quote.currency.as_str())
                .bind(quote.valid_until)
                .bind(&quote.terms)
                .bind(quote.approval.as_ref().map(Json))
                .bind(quote.sent_on)
                .bind(quote.decided_on)
                .bind(created_by)
                .bind(now)
                .fetch_one(&mut **tx)
                .await
                .map_err(db_error)?;
                if quote_no.is_none() {
                    sqlx::query("UPDATE quotes SET quote_no = id WHERE id = $1")
                        .bind(id)
                        .execute(&mut **tx)
                        .await
                        .map_err(db_error)?;
                }
                Self::insert_quote_lines(tx, id, &quote.lines).await?;
                Self::write_audit(tx, document_entry("create", "quotes", id, quote.account_id, &quote_facts(quote))).await?;
                Ok(id)
            }

            async fn insert_quote_lines(
                tx: &mut sqlx::Transaction<'_, $db>,
                quote_id: i64,
                lines: &[QuoteLine],
            ) -> Result<(), StoreError> {
                if lines.is_empty() {
                    return Ok(());
                }
                let mut qb = QueryBuilder::<$db>::new(format!("INSERT INTO quote_lines ({QUOTE_LINE_COLUMNS}) "));
                qb.push_values(lines.iter().zip(1i64..), |mut b, (l, no)| {
                    b.push_bind(quote_id)
                        .push_bind(no)
                        .push_bind(l.product_id)
                        .push_bind(l.sku.clone())
                        .push_bind(l.quantity_milli)
                        .push_bind(l.currency.as_str().to_owned())
                        .push_bind(l.applicable_price_minor)
                        .push_bind(serde_json::to_string(&l.price_source).unwrap_or_default())
                        .push_bind(l.unit_price_minor)
                        .push_bind(l.discount_bp)
                        .push_bind(l.tax_rate_bp)
                        .push_bind(l.unit_cost_minor);
                });
                qb.build().execute(&mut **tx).await.map_err(db_error)?;
                Ok(())
            }

            /// Writes a revision's header and lines if still at `expected_version`.
            async fn update_quote(
                tx: &mut sqlx::Transaction<'_, $db>,
                id: i64,
                expected_version: i64,
                quote: &Quote,
            ) -> Result<(), StoreError> {
                let updated = sqlx::query(
                    "UPDATE quotes SET status = $1, valid_until = $2, terms = $3, approval = $4,
                            sent_on = $5, decided_on = $6, version = version + 1, updated_at = $7
                      WHERE id = $8 AND version = $9",
                )
                .bind(quote.status.to_string())
                .bind(quote.valid_until)
                .bind(&quote.terms)
                .bind(quote.approval.as_ref().map(Json))
                .bind(quote.sent_on)
                .bind(quote.decided_on)
                .bind(Utc::now())
                .bind(id)
                .bind(expected_version)
                .execute(&mut **tx)
                .await
                .map_err(db_error)?;
                if updated.rows_affected() == 0 {
                    return Err(Self::document_missing_or_conflict(tx, "quotes", id).await);
                }
                sqlx::query("DELETE FROM quote_lines WHERE quote_id = $1")
                    .bind(id)
                    .execute(&mut **tx)
                    .await
                    .map_err(db_error)?;
                Self::insert_quote_lines(tx, id, &quote.lines).await
            }

            async fn document_missing_or_conflict(
                tx: &mut sqlx::Transaction<'_, $db>,
                table: &str,
                id: i64,
            ) -> StoreError {
                let found: Result<Option<(i64,)>, _> =
                    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT version FROM {table} WHERE id = $1")))
                        .bind(id)
                        .fetch_optional(&mut **tx)
                        .await;
                match found {
                    Ok(Some((current_version,))) => StoreError::Conflict { current_version },
                    Ok(None) => StoreError::NotFound,
                    Err(e) => db_error(e),
                }
            }

            async fn order_lines_of(
                conn: &mut <$db as sqlx::Database>::Connection,
                ids: &[i64],
            ) -> Result<HashMap<i64, Vec<OrderLine>>, StoreError> {
                let mut by_order: HashMap<i64, Vec<OrderLine>> = HashMap::new();
                for chunk in ids.chunks(VALUES_PER_QUERY) {
                    let mut qb = QueryBuilder::<$db>::new(format!(
                        "SELECT {ORDER_LINE_COLUMNS} FROM order_lines WHERE order_id IN ("
                    ));
                    let mut list = qb.separated(", ");
                    for id in chunk {
                        list.push_bind(*id);
                    }
                    qb.push(") ORDER BY order_id, line_no");
                    let rows: Vec<OrderLineRow> =
                        qb.build_query_as().fetch_all(&mut *conn).await.map_err(db_error)?;
                    for row in rows {
                        by_order.entry(row.order_id).or_default().push(row.try_into()?);
                    }
                }
                Ok(by_order)
            }

            async fn load_order(
                conn: &mut <$db as sqlx::Database>::Connection,
                id: i64,
            ) -> Result<OrderRecord, StoreError> {
                let row: OrderRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {ORDER_COLUMNS} FROM orders WHERE id = $1"
                )))
                .bind(id)
                .fetch_one(&mut *conn)
                .await
                .map_err(db_error)?;
                let mut lines = Self::order_lines_of(conn, &[id]).await?;
                row.into_record(lines.remove(&id).unwrap_or_default())
            }

            /// Orders' headers (all at once, multi-row), answering their ids in the same order.
            async fn insert_orders(
                tx: &mut sqlx::Transaction<'_, $db>,
                orders: &[&Order],
                quote_id: Option<i64>,
            ) -> Result<Vec<i64>, StoreError> {
                let now = Utc::now();
                let mut ids = Vec::with_capacity(orders.len());
                for chunk in orders.chunks(ORDERS_PER_INSERT) {
                    let mut totals = Vec::with_capacity(chunk.len());
                    for order in chunk {
                        totals.push(order.amounts().map_err(invalid)?.totals);
                    }
                    let mut qb = QueryBuilder::<$db>::new(
                        "INSERT INTO orders (account_id, quote_id, currency, order_date, status, external_order_id,
                                             subtotal_minor, tax_minor, total_minor, cost_minor, created_at, updated_at) ",
                    );
                    qb.push_values(chunk.iter().zip(&totals), |mut b, (o, t)| {
                        b.push_bind(o.account_id)
                            .push_bind(quote_id)
                            .push_bind(o.currency.as_str().to_owned())
                            .push_bind(o.order_date)
                            .push_bind(o.status.to_string())
                            .push_bind(o.external_order_id.clone())
                            .push_bind(t.subtotal_minor)
                            .push_bind(t.tax_minor)
                            .push_bind(t.total_minor)
                            .push_bind(t.cost_minor)
                            .push_bind(now)
                            .push_bind(now);
                    });
                    // RETURNING's row order is not promised: match rows back by a key.
                    qb.push(" RETURNING id, external_order_id");
                    let rows: Vec<(i64, Option<String>)> =
                        qb.build_query_as().fetch_all(&mut **tx).await.map_err(db_error)?;
                    if chunk.len() == 1 {
                        ids.push(rows.first().map(|r| r.0).ok_or(StoreError::NotFound)?);
                        continue;
                    }
                    let by_key: HashMap<Option<String>, i64> =
                        rows.into_iter().map(|(id, key)| (key, id)).collect();
                    for order in chunk {
                        ids.push(*by_key.get(&order.external_order_id).ok_or_else(|| {
                            StoreError::Database("an inserted order came back without its key".into())
                        })?);
                    }
                }
                let mut accounts: Vec<i64> = orders.iter().map(|o| o.account_id).collect();
                accounts.sort_unstable();
                accounts.dedup();
                Self::refresh_account_sales(tx, &accounts).await?;
                Ok(ids)
            }

            /// Sets the accounts' revenue to date and cost of goods from their orders that are
            /// not cancelled (return lines are negative, so they reduce both). Every write of an
            /// order calls it in its transaction. The account's version does not move: nobody
            /// edited it, and an edit in flight must not fail for an order.
            pub(crate) async fn refresh_account_sales(
                tx: &mut sqlx::Transaction<'_, $db>,
                account_ids: &[i64],
            ) -> Result<(), StoreError> {
                for chunk in account_ids.chunks(ACCOUNTS_PER_REFRESH) {
                    let mut qb = QueryBuilder::<$db>::new(
                        "UPDATE accounts
                            SET revenue_minor = (SELECT COALESCE(SUM(o.subtotal_minor), 0) FROM orders o
                                                  WHERE o.account_id = accounts.id AND o.status <> 'cancelled'),
                                cost_of_goods_minor = (SELECT COALESCE(SUM(o.cost_minor), 0) FROM orders o
                                                        WHERE o.account_id = accounts.id AND o.status <> 'cancelled')
                          WHERE id IN (",
                    );
                    let mut ids = qb.separated(", ");
                    for id in chunk {
                        ids.push_bind(*id);
                    }
                    qb.push(")");
                    qb.build().execute(&mut **tx).await.map_err(db_error)?;
                }
                Ok(())
            }

            async fn insert_order_lines(
                tx: &mut sqlx::Transaction<'_, $db>,
                lines: &[(i64, &OrderLine)],
                progress: &(dyn Fn(usize) + Sync),
            ) -> Result<usize, StoreError> {
                let mut written = 0;
                for batch in lines.chunks(LINES_PER_INSERT) {
                    let mut qb = QueryBuilder::<$db>::new(format!("INSERT INTO order_lines ({ORDER_LINE_COLUMNS}) "));
                    qb.push_values(batch, |mut b, (order_id, l)| {
                        b.push_bind(*order_id)
                            .push_bind(i64::from(l.line_no))
                            .push_bind(l.product_id)
                            .push_bind(l.sku.clone())
                            .push_bind(l.quantity_milli)
                            .push_bind(l.unit_price_minor)
                            .push_bind(l.discount_bp)
                            .push_bind(l.tax_rate_bp)
                            .push_bind(l.unit_cost_minor)
                            .push_bind(l.returns_line.map(i64::from));
                    });
                    qb.build().execute(&mut **tx).await.map_err(line_error)?;
                    written += batch.len();
                    progress(written);
                }
                Ok(written)
            }

            /// An order and its lines, with its audit entry.
            async fn insert_order(
                tx: &mut sqlx::Transaction<'_, $db>,
                order: &Order,
                quote_id: Option<i64>,
            ) -> Result<i64, StoreError> {
                let id = Self::insert_orders(tx, &[order], quote_id).await?[0];
                let lines: Vec<(i64, &OrderLine)> = order.lines.iter().map(|l| (id, l)).collect();
                Self::insert_order_lines(tx, &lines, &|_| {}).await?;
                Self::write_audit(tx, document_entry("create", "orders", id, order.account_id, &order_facts(order))).await?;
                Ok(id)
            }

            /// The deal becomes won (with the history line a stage change writes).
            async fn win_deal(
                tx: &mut sqlx::Transaction<'_, $db>,
                opportunity_id: i64,
                account_id: i64,
            ) -> Result<(), StoreError> {
                let found: Option<(String,)> =
                    sqlx::query_as("SELECT stage FROM opportunities WHERE id = $1 AND account_id = $2")
                        .bind(opportunity_id)
                        .bind(account_id)
                        .fetch_optional(&mut **tx)
                        .await
                        .map_err(db_error)?;
                let Some((stage,)) = found.filter(|(stage,)| stage != "won") else {
                    return Ok(());
                };
                let now = Utc::now();
                sqlx::query(
                    "UPDATE opportunities SET stage = 'won', lost_reason = NULL, version = version + 1, updated_at = $1
                      WHERE id = $2",
                )
                .bind(now)
                .bind(opportunity_id)
                .execute(&mut **tx)
                .await
                .map_err(db_error)?;
                let record = |s: &str| {
                    let mut m = Map::new();
                    m.insert("stage".into(), s.into());
                    m
                };
                let (old, new) = (record(&stage), record("won"));
                if let Some((channel, subject)) = OPPORTUNITIES.history_note.and_then(|note| note(&old, &new)) {
                    sqlx::query(
                        "INSERT INTO activities (account_id, kind, channel, subject, occurred_at, created_at)
                         VALUES ($1, 'note', $2, $3, $4, $4)",
                    )
                    .bind(account_id)
                    .bind(channel)
                    .bind(subject)
                    .bind(now)
                    .execute(&mut **tx)
                    .await
                    .map_err(db_error)?;
                }
                Self::write_audit(tx, AuditEntry {
                    action: "update",
                    entity: "opportunities",
                    entity_id: Some(opportunity_id),
                    account_id: Some(account_id),
                    changes: wilayah_shared::access::audit_changes(Some(&old), &new),
                })
                .await
            }

            /// Products whose SKU is among `skus`, by SKU.
            async fn products_by_sku(
                tx: &mut sqlx::Transaction<'_, $db>,
                skus: &[&str],
            ) -> Result<HashMap<String, Product>, StoreError> {
                let mut found = HashMap::new();
                for chunk in skus.chunks(VALUES_PER_QUERY) {
                    let mut qb = QueryBuilder::<$db>::new(format!("SELECT {PRODUCT_COLUMNS} FROM products WHERE sku IN ("));
                    let mut list = qb.separated(", ");
                    for sku in chunk {
                        list.push_bind((*sku).to_owned());
                    }
                    qb.push(")");
                    let rows: Vec<ProductRow> = qb.build_query_as().fetch_all(&mut **tx).await.map_err(db_error)?;
                    for row in rows {
                        let product = Product::try_from(row)?;
                        found.insert(product.sku.clone(), product);
                    }
                }
                Ok(found)
            }

            /// Which of `values` the text `column` of `table` holds, with the row's id.
            async fn ids_by_text(
                tx: &mut sqlx::Transaction<'_, $db>,
                table: &str,
                column: &str,
                values: &[&str],
            ) -> Result<HashMap<String, i64>, StoreError> {
                let mut found = HashMap::new();
                for chunk in values.chunks(VALUES_PER_QUERY) {
                    let mut qb = QueryBuilder::<$db>::new(format!("SELECT {column}, id FROM {table} WHERE {column} IN ("));
                    let mut list = qb.separated(", ");
                    for value in chunk {
                        list.push_bind((*value).to_owned());
                    }
                    qb.push(")");
                    let rows: Vec<(String, i64)> = qb.build_query_as().fetch_all(&mut **tx).await.map_err(db_error)?;
                    found.extend(rows);
                }
                Ok(found)
            }
        }

        #[async_trait]
        impl SalesStore for SqlStore<$db> {
            async fn products_by_ids(&self, ids: &[i64]) -> Result<Vec<Product>, StoreError> {
                let mut products = Vec::new();
                for chunk in ids.chunks(VALUES_PER_QUERY) {
                    let mut qb = QueryBuilder::<$db>::new(format!("SELECT {PRODUCT_COLUMNS} FROM products WHERE id IN ("));
                    let mut list = qb.separated(", ");
                    for id in chunk {
                        list.push_bind(*id);
                    }
                    qb.push(")");
                    let rows: Vec<ProductRow> = qb.build_query_as().fetch_all(&self.pool).await.map_err(db_error)?;
                    for row in rows {
                        products.push(Product::try_from(row)?);
                    }
                }
                Ok(products)
            }

            async fn price_lists_on(
                &self,
                currency: Currency,
                day: NaiveDate,
                product_ids: &[i64],
            ) -> Result<Vec<PriceList>, StoreError> {
                let rows: Vec<PriceListRow> = sqlx::query_as(
                    "SELECT id, name, currency, segment, territory_id, valid_from, valid_until, version
                       FROM price_lists
                      WHERE currency = $1 AND valid_from <= $2 AND (valid_until IS NULL OR valid_until >= $2)
                      ORDER BY id",
                )
                .bind(currency.as_str())
                .bind(day)
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
                let mut lists: Vec<PriceList> = Vec::with_capacity(rows.len());
                for r in rows {
                    lists.push(PriceList {
                        id: r.id,
                        name: r.name,
                        currency: r.currency.parse().map_err(|e| corrupt("price_lists.currency", e))?,
                        segment: r.segment,
                        territory_id: r.territory_id,
                        valid_from: r.valid_from,
                        valid_until: r.valid_until,
                        prices: Default::default(),
                        version: r.version,
                    });
                }
                if lists.is_empty() || product_ids.is_empty() {
                    return Ok(lists);
                }
                let index: HashMap<i64, usize> = lists.iter().enumerate().map(|(i, l)| (l.id, i)).collect();
                for chunk in product_ids.chunks(VALUES_PER_QUERY) {
                    let mut qb = QueryBuilder::<$db>::new(
                        "SELECT price_list_id, product_id, price_minor FROM price_list_items WHERE product_id IN (",
                    );
                    let mut list = qb.separated(", ");
                    for id in chunk {
                        list.push_bind(*id);
                    }
                    qb.push(")");
                    let rows: Vec<(i64, i64, i64)> = qb.build_query_as().fetch_all(&self.pool).await.map_err(db_error)?;
                    for (list_id, product_id, price) in rows {
                        if let Some(&i) = index.get(&list_id) {
                            lists[i].prices.insert(product_id, price);
                        }
                    }
                }
                Ok(lists)
            }

            async fn create_quote(&self, quote: &Quote, created_by: Option<i64>) -> Result<QuoteRecord, StoreError> {
                let mut tx = self.pool.begin_with($begin).await.map_err(db_error)?;
                let id = Self::insert_quote(&mut tx, quote, None, created_by).await?;
                let record = Self::load_quote(&mut tx, id).await?;
                tx.commit().await.map_err(db_error)?;
                Ok(record)
            }

            async fn get_quote(&self, id: i64) -> Result<QuoteRecord, StoreError> {
                let mut conn = self.pool.acquire().await.map_err(db_error)?;
                Self::load_quote(&mut conn, id).await
            }

            async fn list_quotes(&self, filter: &SalesFilter) -> Result<(Vec<QuoteRecord>, i64), StoreError> {
                let mut conn = self.pool.acquire().await.map_err(db_error)?;
                let push_where = |qb: &mut QueryBuilder<$db>| push_sales_filter(qb, filter);
                let mut count = QueryBuilder::<$db>::new("SELECT COUNT(*) FROM quotes");
                push_where(&mut count);
                let (total,): (i64,) = count.build_query_as().fetch_one(&mut *conn).await.map_err(db_error)?;
                let mut page = QueryBuilder::<$db>::new(format!("SELECT {QUOTE_COLUMNS} FROM quotes"));
                push_where(&mut page);
                page.push(" ORDER BY id DESC LIMIT ").push_bind(i64::from(filter.limit));
                page.push(" OFFSET ").push_bind(i64::try_from(filter.offset).unwrap_or(i64::MAX));
                let rows: Vec<QuoteRow> = page.build_query_as().fetch_all(&mut *conn).await.map_err(db_error)?;
                let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
                let mut lines = Self::quote_lines_of(&mut conn, &ids).await?;
                let records = rows
                    .into_iter()
                    .map(|r| {
                        let id = r.id;
                        r.into_record(lines.remove(&id).unwrap_or_default())
                    })
                    .collect::<Result<_, _>>()?;
                Ok((records, total))
            }

            async fn save_quote(
                &self,
                id: i64,
                expected_version: i64,
                quote: &Quote,
                action: &'static str,
            ) -> Result<QuoteRecord, StoreError> {
                let mut tx = self.pool.begin_with($begin).await.map_err(db_error)?;
                Self::update_quote(&mut tx, id, expected_version, quote).await?;
                Self::write_audit(&mut tx, document_entry(action, "quotes", id, quote.account_id, &quote_facts(quote))).await?;
                let record = Self::load_quote(&mut tx, id).await?;
                tx.commit().await.map_err(db_error)?;
                Ok(record)
            }

            async fn revise_quote(
                &self,
                id: i64,
                expected_version: i64,
                old: &Quote,
                next: &Quote,
                created_by: Option<i64>,
            ) -> Result<QuoteRecord, StoreError> {
                let mut tx = self.pool.begin_with($begin).await.map_err(db_error)?;
                Self::update_quote(&mut tx, id, expected_version, old).await?;
                let (quote_no,): (i64,) = sqlx::query_as("SELECT quote_no FROM quotes WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db_error)?;
                let new_id = Self::insert_quote(&mut tx, next, Some(quote_no), created_by)
                    .await
                    .map_err(|e| match e {
                        // Someone revised the same quote meanwhile.
                        StoreError::Duplicate { .. } => StoreError::Conflict { current_version: expected_version + 1 },
                        other => other,
                    })?;
                let record = Self::load_quote(&mut tx, new_id).await?;
                tx.commit().await.map_err(db_error)?;
                Ok(record)
            }

            async fn accept_quote(
                &self,
                id: i64,
                expected_version: i64,
                accepted: &Quote,
                order: &Order,
            ) -> Result<(QuoteRecord, OrderRecord), StoreError> {
                let mut tx = self.pool.begin_with($begin).await.map_err(db_error)?;
                Self::update_quote(&mut tx, id, expected_version, accepted).await?;
                Self::write_audit(&mut tx, document_entry("accept", "quotes", id, accepted.account_id, &quote_facts(accepted))).await?;
                if let Some(deal) = accepted.opportunity_id {
                    Self::win_deal(&mut tx, deal, accepted.account_id).await?;
                }
                let order_id = Self::insert_order(&mut tx, order, Some(id)).await?;
                let quote = Self::load_quote(&mut tx, id).await?;
                let order = Self::load_order(&mut tx, order_id).await?;
                tx.commit().await.map_err(db_error)?;
                Ok((quote, order))
            }

            async fn create_order(&self, order: &Order) -> Result<OrderRecord, StoreError> {
                let mut tx = self.pool.begin_with($begin).await.map_err(db_error)?;
                let id = Self::insert_order(&mut tx, order, None).await?;
                let record = Self::load_order(&mut tx, id).await?;
                tx.commit().await.map_err(db_error)?;
                Ok(record)
            }

            async fn get_order(&self, id: i64) -> Result<OrderRecord, StoreError> {
                let mut conn = self.pool.acquire().await.map_err(db_error)?;
                Self::load_order(&mut conn, id).await
            }

            async fn list_orders(&self, filter: &SalesFilter) -> Result<(Vec<OrderRecord>, i64), StoreError> {
                let mut conn = self.pool.acquire().await.map_err(db_error)?;
                let push_where = |qb: &mut QueryBuilder<$db>| push_sales_filter(qb, filter);
                let mut count = QueryBuilder::<$db>::new("SELECT COUNT(*) FROM orders");
                push_where(&mut count);
                let (total,): (i64,) = count.build_query_as().fetch_one(&mut *conn).await.map_err(db_error)?;
                let mut page = QueryBuilder::<$db>::new(format!("SELECT {ORDER_COLUMNS} FROM orders"));
                push_where(&mut page);
                page.push(" ORDER BY order_date DESC, id DESC LIMIT ").push_bind(i64::from(filter.limit));
                page.push(" OFFSET ").push_bind(i64::try_from(filter.offset).unwrap_or(i64::MAX));
                let rows: Vec<OrderRow> = page.build_query_as().fetch_all(&mut *conn).await.map_err(db_error)?;
                let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
                let mut lines = Self::order_lines_of(&mut conn, &ids).await?;
                let records = rows
                    .into_iter()
                    .map(|r| {
                        let id = r.id;
                        r.into_record(lines.remove(&id).unwrap_or_default())
                    })
                    .collect::<Result<_, _>>()?;
                Ok((records, total))
            }

            async fn save_order(
                &self,
                id: i64,
                expected_version: i64,
                order: &Order,
                action: &'static str,
            ) -> Result<OrderRecord, StoreError> {
                let totals = order.amounts().map_err(invalid)?.totals;
                let mut tx = self.pool.begin_with($begin).await.map_err(db_error)?;
                let updated = sqlx::query(
                    "UPDATE orders SET status = $1, subtotal_minor = $2, tax_minor = $3, total_minor = $4,
                            cost_minor = $5, version = version + 1, updated_at = $6
                      WHERE id = $7 AND version = $8",
                )
                .bind(order.status.to_string())
                .bind(totals.subtotal_minor)
                .bind(totals.tax_minor)
                .bind(totals.total_minor)
                .bind(totals.cost_minor)
                .bind(Utc::now())
                .bind(id)
                .bind(expected_version)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
                if updated.rows_affected() == 0 {
                    return Err(Self::document_missing_or_conflict(&mut tx, "orders", id).await);
                }
                let stored: HashSet<u32> = Self::order_lines_of(&mut tx, &[id])
                    .await?
                    .remove(&id)
                    .unwrap_or_default()
                    .iter()
                    .map(|l| l.line_no)
                    .collect();
                let added: Vec<(i64, &OrderLine)> =
                    order.lines.iter().filter(|l| !stored.contains(&l.line_no)).map(|l| (id, l)).collect();
                Self::insert_order_lines(&mut tx, &added, &|_| {}).await?;
                Self::refresh_account_sales(&mut tx, &[order.account_id]).await?;
                Self::write_audit(&mut tx, document_entry(action, "orders", id, order.account_id, &order_facts(order))).await?;
                let record = Self::load_order(&mut tx, id).await?;
                tx.commit().await.map_err(db_error)?;
                Ok(record)
            }

            async fn import_orders(
                &self,
                history: &OrderHistory,
                within: Option<&[i64]>,
                dry_run: bool,
                progress: WriteProgress<'_>,
            ) -> Result<OrderImport, ImportError> {
                let mut tx = self.pool.begin_with($begin).await.map_err(db_error)?;
                let keys: Vec<&str> = history.orders.iter().map(|o| o.external_order_id.as_str()).collect();
                let done = Self::ids_by_text(&mut tx, "orders", "external_order_id", &keys).await?;
                let new: Vec<_> = history.orders.iter().filter(|o| !done.contains_key(&o.external_order_id)).collect();

                let mut errors = RowErrors::default();
                let mut wanted: Vec<&str> = new.iter().map(|o| o.account_external_id.as_str()).collect();
                wanted.sort_unstable();
                wanted.dedup();
                let accounts = Self::ids_by_text(&mut tx, "accounts", "external_id", &wanted).await?;
                let visible = |id: &i64| within.is_none_or(|ids| ids.binary_search(id).is_ok());
                for order in &new {
                    if !accounts.get(&order.account_external_id).is_some_and(visible) {
                        errors.push(RowError::at(
                            order.row,
                            "account_external_id",
                            format!("no account has external_id {:?}", order.account_external_id),
                        ));
                    }
                }
                let mut skus: Vec<&str> = history.orders.iter().flat_map(|o| o.lines.iter().map(|l| l.sku.as_str())).collect();
                skus.sort_unstable();
                skus.dedup();
                let mut products = Self::products_by_sku(&mut tx, &skus).await?;
                let unknown = history.unknown_skus(|sku| products.contains_key(sku));
                let mut bodies = Vec::with_capacity(unknown.len());
                for u in &unknown {
                    match PRODUCTS.validate_create(&u.product_body()) {
                        Ok(valid) => bodies.push(valid),
                        Err(e) => errors.push(RowError::at(u.first_row, "sku", format!("{}: {}", e.field, e.message))),
                    }
                }
                if !errors.is_empty() {
                    errors.errors.sort_by_key(|e| e.row);
                    return Err(ImportError::Rows(errors));
                }

                let now = Utc::now();
                let mut review_products = Vec::with_capacity(unknown.len());
                for (u, valid) in unknown.iter().zip(&bodies) {
                    let text = |name: &str| valid.record.get(name).and_then(Value::as_str).map(str::to_owned);
                    let int = |name: &str| valid.record.get(name).and_then(Value::as_i64).unwrap_or_default();
                    let row: ProductRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "INSERT INTO products (sku, name_en, name_id, unit, list_price_minor, cost_price_minor, currency,
                                               tax_rate_bp, status, created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING {PRODUCT_COLUMNS}"
                    )))
                    .bind(text("sku"))
                    .bind(text("name_en"))
                    .bind(text("name_id"))
                    .bind(text("unit"))
                    .bind(int("list_price_minor"))
                    .bind(int("cost_price_minor"))
                    .bind(text("currency"))
                    .bind(int("tax_rate_bp"))
                    .bind(text("status"))
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db_error)?;
                    let product = Product::try_from(row)?;
                    review_products.push(ReviewProduct { id: product.id, sku: u.sku.clone(), first_row: u.first_row, lines: u.lines });
                    products.insert(product.sku.clone(), product);
                }
                if !review_products.is_empty() {
                    let ids: Vec<i64> = review_products.iter().map(|p| p.id).collect();
                    Self::write_audit(&mut tx, crate::db::audit::import_entry("products", &ids)).await?;
                }

                let mut orders = Vec::with_capacity(new.len());
                for h in &new {
                    let account_id = accounts[&h.account_external_id];
                    match h.to_order(account_id, |sku| products.get(sku)) {
                        Ok(order) => match order.amounts() {
                            Ok(_) => orders.push(order),
                            Err(e) => errors.push(RowError::validation(h.row, e)),
                        },
                        Err(row_errors) => row_errors.errors.into_iter().for_each(|e| errors.push(e)),
                    }
                }
                if !errors.is_empty() {
                    errors.errors.sort_by_key(|e| e.row);
                    return Err(ImportError::Rows(errors));
                }
                let refs: Vec<&Order> = orders.iter().collect();
                let ids = Self::insert_orders(&mut tx, &refs, None).await?;
                let total = history.line_count as u64;
                let all_lines: Vec<(i64, &OrderLine)> =
                    orders.iter().zip(&ids).flat_map(|(o, id)| o.lines.iter().map(move |l| (*id, l))).collect();
                let lines = Self::insert_order_lines(&mut tx, &all_lines, &|written| progress(written as u64, total)).await?;
                if !ids.is_empty() {
                    Self::write_audit(&mut tx, crate::db::audit::import_entry("orders", &ids)).await?;
                }
                if dry_run { tx.rollback().await } else { tx.commit().await }.map_err(db_error)?;
                Ok(OrderImport { orders: ids.len(), lines, skipped_orders: done.len(), review_products })
            }
        }

        impl SqlStore<$db> {
            async fn read_sales_settings(
                conn: &mut <$db as sqlx::Database>::Connection,
            ) -> Result<(SalesSettings, i64), StoreError> {
                let row: Option<(String, i64)> =
                    sqlx::query_as("SELECT settings, version FROM sales_settings WHERE id = 1")
                        .fetch_optional(&mut *conn)
                        .await
                        .map_err(db_error)?;
                match row {
                    None => Ok((SalesSettings::default(), 0)),
                    Some((text, version)) => Ok((
                        serde_json::from_str(&text).map_err(|e| corrupt("sales settings", e))?,
                        version,
                    )),
                }
            }
        }

        #[async_trait]
        impl SalesSettingsStore for SqlStore<$db> {
            async fn sales_settings(&self) -> Result<(SalesSettings, i64), StoreError> {
                let mut conn = self.pool.acquire().await.map_err(db_error)?;
                Self::read_sales_settings(&mut conn).await
            }

            async fn save_sales_settings(
                &self,
                expected_version: i64,
                settings: &SalesSettings,
            ) -> Result<i64, StoreError> {
                let mut tx = self.pool.begin_with($begin).await.map_err(db_error)?;
                let (old, current) = Self::read_sales_settings(&mut tx).await?;
                if current != expected_version {
                    return Err(StoreError::Conflict { current_version: current });
                }
                let text = serde_json::to_string(settings).map_err(|e| corrupt("sales settings", e))?;
                let now = Utc::now();
                let version = current + 1;
                if current == 0 {
                    sqlx::query("INSERT INTO sales_settings (id, settings, version, updated_at) VALUES (1, $1, $2, $3)")
                        .bind(&text).bind(version).bind(now)
                        .execute(&mut *tx).await.map_err(db_error)?;
                } else {
                    sqlx::query("UPDATE sales_settings SET settings = $1, version = $2, updated_at = $3 WHERE id = 1 AND version = $4")
                        .bind(&text).bind(version).bind(now).bind(current)
                        .execute(&mut *tx).await.map_err(db_error)?;
                }
                let as_map = |s: &SalesSettings| match serde_json::to_value(s) {
                    Ok(Value::Object(m)) => m,
                    _ => Map::new(),
                };
                // The logo can be a large data URL: the log says whether it changed, not what it is.
                let mut before = as_map(&old);
                before.remove("logo_url");
                let mut after = as_map(settings);
                after.remove("logo_url");
                let mut changes = wilayah_shared::access::audit_changes(Some(&before), &after);
                if old.logo_url != settings.logo_url {
                    changes.insert("logo_url".into(), "changed".into());
                }
                Self::write_audit(&mut tx, AuditEntry {
                    action: "update",
                    entity: "sales_settings",
                    entity_id: Some(1),
                    account_id: None,
                    changes,
                })
                .await?;
                tx.commit().await.map_err(db_error)?;
                Ok(version)
            }

            async fn import_products(
                &self,
                rows: &[RecordRow],
                dry_run: bool,
            ) -> Result<ProductImport, ImportError> {
                let mut tx = self.pool.begin_with($begin).await.map_err(db_error)?;
                let skus: Vec<&str> = rows
                    .iter()
                    .filter_map(|r| r.record.record.get("sku").and_then(Value::as_str))
                    .collect();
                let stored = Self::products_by_sku(&mut tx, &skus).await?;
                let mut errors = RowErrors::default();
                let mut changed = Vec::new();
                let mut new = Vec::new();
                let mut unchanged = 0;
                for row in rows {
                    let sku = row.record.record.get("sku").and_then(Value::as_str).unwrap_or_default();
                    let Some(old) = stored.get(sku) else {
                        new.push(row);
                        continue;
                    };
                    let stored = serde_json::to_value(old).map_err(|e| corrupt("product", e))?;
                    let same = PRODUCTS.fields.iter().all(|f| {
                        let new = row.record.record.get(f.name).unwrap_or(&Value::Null);
                        stored.get(f.name).unwrap_or(&Value::Null) == new
                    });
                    if same {
                        unchanged += 1;
                        continue;
                    }
                    let from = old.status.to_string();
                    let to = row.record.record.get("status").and_then(Value::as_str).unwrap_or_default().to_owned();
                    if from != to && !PRODUCT_STATUS_FLOW.contains(&(from.as_str(), to.as_str())) {
                        errors.push(RowError::at(
                            row.row,
                            "status",
                            format!("product {sku:?} cannot go from {from} to {to}"),
                        ));
                        continue;
                    }
                    changed.push((old.id, row));
                }
                if !errors.is_empty() {
                    return Err(ImportError::Rows(errors));
                }
                let now = Utc::now();
                let text = |r: &RecordRow, name: &str| r.record.record.get(name).and_then(Value::as_str).map(str::to_owned);
                let int = |r: &RecordRow, name: &str| r.record.record.get(name).and_then(Value::as_i64).unwrap_or_default();
                // $1..$9 the product's fields, $10 the time, $11 the id (update) or SKU (insert).
                let bind = |sql: &'static str, row: &RecordRow| {
                    sqlx::query(sql)
                        .bind(text(row, "name_en"))
                        .bind(text(row, "name_id"))
                        .bind(text(row, "unit"))
                        .bind(text(row, "category"))
                        .bind(int(row, "list_price_minor"))
                        .bind(int(row, "cost_price_minor"))
                        .bind(text(row, "currency"))
                        .bind(int(row, "tax_rate_bp"))
                        .bind(text(row, "status"))
                        .bind(now)
                };
                let mut updated = Vec::with_capacity(changed.len());
                for (id, row) in &changed {
                    bind(
                        "UPDATE products SET name_en = $1, name_id = $2, unit = $3, category = $4, list_price_minor = $5,
                                cost_price_minor = $6, currency = $7, tax_rate_bp = $8, status = $9,
                                version = version + 1, updated_at = $10
                          WHERE id = $11",
                        row,
                    )
                    .bind(*id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
                    updated.push(*id);
                }
                let mut created = Vec::with_capacity(new.len());
                for row in &new {
                    let inserted = bind(
                        "INSERT INTO products (name_en, name_id, unit, category, list_price_minor, cost_price_minor,
                                               currency, tax_rate_bp, status, created_at, updated_at, sku)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11) RETURNING id",
                        row,
                    )
                    .bind(text(row, "sku"))
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db_error)?;
                    created.push(sqlx::Row::try_get::<i64, _>(&inserted, "id").map_err(db_error)?);
                }
                let ids: Vec<i64> = created.iter().chain(&updated).copied().collect();
                if !ids.is_empty() {
                    Self::write_audit(&mut tx, crate::db::audit::import_entry("products", &ids)).await?;
                }
                if dry_run { tx.rollback().await } else { tx.commit().await }.map_err(db_error)?;
                Ok(ProductImport { created, updated, unchanged })
            }
        }

        fn push_sales_filter(qb: &mut QueryBuilder<$db>, filter: &SalesFilter) {
            qb.push(" WHERE 1 = 1");
            if let Some(id) = filter.account_id {
                qb.push(" AND account_id = ").push_bind(id);
            }
            if let Some(status) = &filter.status {
                qb.push(" AND status = ").push_bind(status.clone());
            }
            if let Some(ids) = &filter.account_ids {
                if ids.is_empty() {
                    qb.push(" AND 1 = 0");
                } else {
                    qb.push(" AND account_id IN (");
                    let mut list = qb.separated(", ");
                    for id in ids {
                        list.push_bind(*id);
                    }
                    qb.push(")");
                }
            }
        }
    };
}

mod sqlite {
    use super::*;
    impl_sales_store!(Sqlite, "BEGIN IMMEDIATE");
}

mod postgres {
    use super::*;
    impl_sales_store!(Postgres, "BEGIN");
}
