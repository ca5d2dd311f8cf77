//! What the customer-analytics models (`wilayah_shared::analytics`) read from the database.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
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

    /// Every visit done, with where it was and the base of its technician: the cost to serve.
    /// All of them, whoever asks: a technician's day is one tour whose cost is shared between
    /// its stops, so an account's share must not depend on which other stops the caller sees.
    async fn done_visits(&self) -> Result<Vec<ServiceVisit>, StoreError>;

    /// When each case on these accounts (`None`: every account) was opened.
    async fn case_openings(&self, accounts: Option<&[i64]>)
    -> Result<Vec<CaseOpening>, StoreError>;

    /// Every contact launched campaigns made (e-mails sent; calls listed and rows exported at
    /// the launch), whoever's account: a campaign's budget is shared by all its contacts.
    async fn campaign_contacts(&self) -> Result<Vec<CampaignContactMade>, StoreError>;

    /// Records a scoring job as running, unless one already is (then `None`), in one
    /// transaction.
    async fn begin_scoring_job(
        &self,
        started_by: Option<i64>,
        calibration_end: NaiveDate,
        settings_json: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError>;

    /// The job's fit and how many of its customers are scored.
    async fn scoring_progress(
        &self,
        job: i64,
        currency: Option<&str>,
        fit_json: Option<&str>,
        done: i64,
        total: i64,
    ) -> Result<(), StoreError>;

    /// Stores these scores of the job (replacing the customers' earlier ones), one transaction.
    async fn save_scores(&self, job: i64, scores: &[StoredScore]) -> Result<(), StoreError>;

    /// Ends the job: done (scores of earlier jobs for customers it did not score are removed, in
    /// the same transaction) or failed with the error.
    async fn finish_scoring_job(
        &self,
        job: i64,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Jobs still marked running when the server starts were cut off: they are marked failed.
    async fn fail_running_scoring_jobs(&self, now: DateTime<Utc>) -> Result<u64, StoreError>;

    /// The most recently started job.
    async fn latest_scoring_job(&self) -> Result<Option<ScoringJob>, StoreError>;

    /// The stored scores of these accounts (`None`: every account), by account id.
    async fn stored_scores(&self, accounts: Option<&[i64]>)
    -> Result<Vec<StoredScore>, StoreError>;
}

/// A visit done: the account's place, the technician's base (none when the visit has no
/// technician or the technician no home base), when it started and how long it took.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceVisit {
    pub visit: i64,
    pub account: i64,
    pub technician: Option<i64>,
    pub start: DateTime<Utc>,
    pub duration_min: i64,
    pub site: (f64, f64),
    pub base: Option<(f64, f64)>,
}

/// A case opened on an account.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseOpening {
    pub account: i64,
    pub opened: DateTime<Utc>,
}

/// A contact a launched campaign made, with what its cost depends on.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignContactMade {
    pub campaign: i64,
    pub account: i64,
    pub at: DateTime<Utc>,
    /// `email`, `call_list` or `export`.
    pub channel: String,
    pub budget_minor: Option<i64>,
    pub currency: Option<String>,
}

/// A background scoring job's row.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ScoringJob {
    pub id: i64,
    /// `running`, `done` or `failed`.
    pub status: String,
    pub started_by: Option<i64>,
    pub calibration_end: NaiveDate,
    pub settings: serde_json::Value,
    pub currency: Option<String>,
    pub done: i64,
    pub total: i64,
    pub fit: Option<serde_json::Value>,
    pub error: Option<String>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// A customer's stored score: which job, fitted on which day, in which currency.
#[derive(Debug, Clone, PartialEq, serde::Serialize, sqlx::FromRow)]
pub struct StoredScore {
    pub account_id: i64,
    pub job_id: i64,
    pub fitted_on: NaiveDate,
    pub currency: String,
    pub frequency: i64,
    pub recency_days: i64,
    pub age_days: i64,
    pub p_alive: f64,
    pub expected_purchases: f64,
    pub expected_value_minor: f64,
    pub clv_minor: f64,
}

type JobRow = (
    i64,
    String,
    Option<i64>,
    NaiveDate,
    String,
    Option<String>,
    i64,
    i64,
    Option<String>,
    Option<String>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

fn job_from_row(r: JobRow) -> ScoringJob {
    let parse = |text: &str| serde_json::from_str(text).unwrap_or(serde_json::Value::Null);
    ScoringJob {
        id: r.0,
        status: r.1,
        started_by: r.2,
        calibration_end: r.3,
        settings: parse(&r.4),
        currency: r.5,
        done: r.6,
        total: r.7,
        fit: r.8.as_deref().map(parse),
        error: r.9,
        started_at: r.10,
        finished_at: r.11,
    }
}

const DONE_VISITS_SQL: &str = "
    SELECT v.id, v.account_id, v.technician_id, v.window_start, v.duration_min, a.lon, a.lat,
           s.home_lon, s.home_lat
      FROM visits v
      JOIN accounts a ON a.id = v.account_id
      LEFT JOIN staff s ON s.id = v.technician_id
     WHERE v.status = 'done'
     ORDER BY v.technician_id, v.window_start, v.id";

/// The control group and the left-out were never contacted; an e-mail counts once sent.
const CAMPAIGN_CONTACTS_SQL: &str = "
    SELECT r.campaign_id, r.account_id, COALESCE(r.sent_at, c.launched_at), c.channel,
           c.budget_minor, c.currency
      FROM campaign_recipients r
      JOIN campaigns c ON c.id = r.campaign_id
     WHERE r.excluded IS NULL AND c.launched_at IS NOT NULL
       AND (c.channel <> 'email' OR r.state = 'sent')
     ORDER BY r.campaign_id, r.id";

const CASE_OPENINGS_SQL: &str = "SELECT account_id, created_at FROM cases WHERE 1 = 1";

const JOB_COLUMNS: &str = "id, status, started_by, calibration_end, settings, currency, done, total, \
     fit, error, started_at, finished_at";

const SCORE_COLUMNS: &str = "account_id, job_id, fitted_on, currency, frequency, recency_days, \
     age_days, p_alive, expected_purchases, expected_value_minor, clv_minor";

/// Scores per multi-row INSERT (11 values each, under both backends' parameter limits).
const SCORES_PER_INSERT: usize = 500;

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
pub(super) fn account_chunks(accounts: Option<&[i64]>) -> Vec<Option<&[i64]>> {
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

/// `$begin` starts a write transaction (SQLite takes its write lock up front, see field.rs).
macro_rules! impl_analytics_store {
    ($db:ty, $begin:literal) => {
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

            async fn done_visits(&self) -> Result<Vec<ServiceVisit>, StoreError> {
                type Row = (
                    i64,
                    i64,
                    Option<i64>,
                    DateTime<Utc>,
                    i64,
                    f64,
                    f64,
                    Option<f64>,
                    Option<f64>,
                );
                let rows: Vec<Row> = sqlx::query_as(DONE_VISITS_SQL)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_error)?;
                Ok(rows
                    .into_iter()
                    .map(|r| ServiceVisit {
                        visit: r.0,
                        account: r.1,
                        technician: r.2,
                        start: r.3,
                        duration_min: r.4,
                        site: (r.5, r.6),
                        base: r.7.zip(r.8),
                    })
                    .collect())
            }

            async fn case_openings(
                &self,
                accounts: Option<&[i64]>,
            ) -> Result<Vec<CaseOpening>, StoreError> {
                let mut out = Vec::new();
                for chunk in account_chunks(accounts) {
                    let mut qb = QueryBuilder::<$db>::new(CASE_OPENINGS_SQL);
                    push_accounts(&mut qb, "account_id", chunk);
                    qb.push(" ORDER BY account_id, created_at, id");
                    let rows: Vec<(i64, DateTime<Utc>)> = qb
                        .build_query_as()
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db_error)?;
                    out.extend(
                        rows.into_iter()
                            .map(|(account, opened)| CaseOpening { account, opened }),
                    );
                }
                Ok(out)
            }

            async fn campaign_contacts(&self) -> Result<Vec<CampaignContactMade>, StoreError> {
                type Row = (i64, i64, DateTime<Utc>, String, Option<i64>, Option<String>);
                let rows: Vec<Row> = sqlx::query_as(CAMPAIGN_CONTACTS_SQL)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_error)?;
                Ok(rows
                    .into_iter()
                    .map(
                        |(campaign, account, at, channel, budget_minor, currency)| {
                            CampaignContactMade {
                                campaign,
                                account,
                                at,
                                channel,
                                budget_minor,
                                currency,
                            }
                        },
                    )
                    .collect())
            }

            async fn begin_scoring_job(
                &self,
                started_by: Option<i64>,
                calibration_end: NaiveDate,
                settings_json: &str,
                now: DateTime<Utc>,
            ) -> Result<Option<i64>, StoreError> {
                let mut tx = self.pool.begin_with($begin).await.map_err(db_error)?;
                let running: Option<(i64,)> =
                    sqlx::query_as("SELECT id FROM scoring_jobs WHERE status = 'running' LIMIT 1")
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db_error)?;
                if running.is_some() {
                    return Ok(None);
                }
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO scoring_jobs (status, started_by, calibration_end, settings, started_at)
                     VALUES ('running', $1, $2, $3, $4) RETURNING id",
                )
                .bind(started_by)
                .bind(calibration_end)
                .bind(settings_json)
                .bind(now)
                .fetch_one(&mut *tx)
                .await
                .map_err(db_error)?;
                tx.commit().await.map_err(db_error)?;
                Ok(Some(id))
            }

            async fn scoring_progress(
                &self,
                job: i64,
                currency: Option<&str>,
                fit_json: Option<&str>,
                done: i64,
                total: i64,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "UPDATE scoring_jobs SET currency = COALESCE($2, currency),
                            fit = COALESCE($3, fit), done = $4, total = $5
                      WHERE id = $1",
                )
                .bind(job)
                .bind(currency)
                .bind(fit_json)
                .bind(done)
                .bind(total)
                .execute(&self.pool)
                .await
                .map_err(db_error)?;
                Ok(())
            }

            async fn save_scores(
                &self,
                job: i64,
                scores: &[StoredScore],
            ) -> Result<(), StoreError> {
                let mut tx = self.pool.begin_with($begin).await.map_err(db_error)?;
                for chunk in scores.chunks(SCORES_PER_INSERT) {
                    let mut qb = QueryBuilder::<$db>::new(format!(
                        "INSERT INTO customer_scores ({SCORE_COLUMNS}) "
                    ));
                    qb.push_values(chunk, |mut b, s| {
                        b.push_bind(s.account_id)
                            .push_bind(job)
                            .push_bind(s.fitted_on)
                            .push_bind(s.currency.clone())
                            .push_bind(s.frequency)
                            .push_bind(s.recency_days)
                            .push_bind(s.age_days)
                            .push_bind(s.p_alive)
                            .push_bind(s.expected_purchases)
                            .push_bind(s.expected_value_minor)
                            .push_bind(s.clv_minor);
                    });
                    qb.push(
                        " ON CONFLICT (account_id) DO UPDATE SET job_id = excluded.job_id,
                          fitted_on = excluded.fitted_on, currency = excluded.currency,
                          frequency = excluded.frequency, recency_days = excluded.recency_days,
                          age_days = excluded.age_days, p_alive = excluded.p_alive,
                          expected_purchases = excluded.expected_purchases,
                          expected_value_minor = excluded.expected_value_minor,
                          clv_minor = excluded.clv_minor",
                    );
                    qb.build().execute(&mut *tx).await.map_err(db_error)?;
                }
                tx.commit().await.map_err(db_error)?;
                Ok(())
            }

            async fn finish_scoring_job(
                &self,
                job: i64,
                error: Option<&str>,
                now: DateTime<Utc>,
            ) -> Result<(), StoreError> {
                let mut tx = self.pool.begin_with($begin).await.map_err(db_error)?;
                if error.is_none() {
                    sqlx::query("DELETE FROM customer_scores WHERE job_id <> $1")
                        .bind(job)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_error)?;
                }
                sqlx::query(
                    "UPDATE scoring_jobs SET status = $2, error = $3, finished_at = $4 WHERE id = $1",
                )
                .bind(job)
                .bind(if error.is_none() { "done" } else { "failed" })
                .bind(error)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
                tx.commit().await.map_err(db_error)?;
                Ok(())
            }

            async fn fail_running_scoring_jobs(
                &self,
                now: DateTime<Utc>,
            ) -> Result<u64, StoreError> {
                let done = sqlx::query(
                    "UPDATE scoring_jobs SET status = 'failed', error = 'the server stopped during the job',
                            finished_at = $1
                      WHERE status = 'running'",
                )
                .bind(now)
                .execute(&self.pool)
                .await
                .map_err(db_error)?;
                Ok(done.rows_affected())
            }

            async fn latest_scoring_job(&self) -> Result<Option<ScoringJob>, StoreError> {
                let row: Option<JobRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {JOB_COLUMNS} FROM scoring_jobs ORDER BY id DESC LIMIT 1"
                )))
                .fetch_optional(&self.pool)
                .await
                .map_err(db_error)?;
                Ok(row.map(job_from_row))
            }

            async fn stored_scores(
                &self,
                accounts: Option<&[i64]>,
            ) -> Result<Vec<StoredScore>, StoreError> {
                let mut out = Vec::new();
                for chunk in account_chunks(accounts) {
                    let mut qb = QueryBuilder::<$db>::new(format!(
                        "SELECT {SCORE_COLUMNS} FROM customer_scores WHERE 1 = 1"
                    ));
                    push_accounts(&mut qb, "account_id", chunk);
                    qb.push(" ORDER BY account_id");
                    let rows: Vec<StoredScore> = qb
                        .build_query_as()
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db_error)?;
                    out.extend(rows);
                }
                Ok(out)
            }
        }
    };
}

/// ` AND column IN (...)` for a chunk of accounts (nothing for every account).
pub(super) fn push_accounts<DB: sqlx::Database>(
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

impl_analytics_store!(Sqlite, "BEGIN IMMEDIATE");
impl_analytics_store!(Postgres, "BEGIN");
