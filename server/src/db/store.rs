//! The one SQL implementation of the store, compiled for SQLite and for PostgreSQL.
//!
//! Both backends accept the same SQL here (`$1` placeholders, `RETURNING`), so the bodies are
//! written once in a macro and instantiated per pool type; sqlx's `Any` driver would lose types.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{Pool, Postgres, Sqlite};
use wilayah_app::store::{Store, StoreError, UtcRange};
use wilayah_shared::domain::{AccountKind, DashboardSummary, MapAccount};

use crate::demo::DemoData;

/// What the server needs from the database beyond what the UI's server functions use.
#[async_trait]
pub trait ServerStore: Store {
    /// True when no account exists yet (a fresh database), so demo data may be seeded.
    async fn has_no_accounts(&self) -> Result<bool, StoreError>;

    /// Writes the whole demo data set in one transaction: all of it or none.
    async fn seed(&self, data: &DemoData, now: DateTime<Utc>) -> Result<(), StoreError>;
}

pub struct SqlStore<DB: sqlx::Database> {
    pool: Pool<DB>,
}

impl<DB: sqlx::Database> SqlStore<DB> {
    pub fn new(pool: Pool<DB>) -> Self {
        Self { pool }
    }
}

fn db_error(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        other => StoreError::Database(Box::new(other)),
    }
}

/// A stored enum string that no longer parses means the database was edited by hand or by a
/// newer version; report it as a database error rather than guessing.
fn corrupt(column: &'static str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Database(format!("unexpected value in column {column}: {e}").into())
}

#[derive(sqlx::FromRow)]
struct MapAccountRow {
    id: i64,
    name: String,
    kind: String,
    status: String,
    owner_id: Option<i64>,
    lon: f64,
    lat: f64,
    revenue_minor: i64,
    currency: String,
}

impl TryFrom<MapAccountRow> for MapAccount {
    type Error = StoreError;
    fn try_from(r: MapAccountRow) -> Result<Self, StoreError> {
        Ok(MapAccount {
            id: r.id,
            name: r.name,
            kind: r.kind.parse().map_err(|e| corrupt("accounts.kind", e))?,
            status: r
                .status
                .parse()
                .map_err(|e| corrupt("accounts.status", e))?,
            owner_id: r.owner_id,
            lon: r.lon,
            lat: r.lat,
            revenue_minor: r.revenue_minor,
            currency: r.currency,
        })
    }
}

macro_rules! impl_store {
    ($db:ty) => {
        #[async_trait]
        impl Store for SqlStore<$db> {
            async fn ping(&self) -> Result<(), StoreError> {
                sqlx::query("SELECT 1").execute(&self.pool).await.map_err(db_error)?;
                Ok(())
            }

            async fn dashboard_summary(&self, today: &UtcRange) -> Result<DashboardSummary, StoreError> {
                let (customers, prospects, reps, territories, visits_today): (i64, i64, i64, i64, i64) =
                    sqlx::query_as(
                        "SELECT
                            (SELECT COUNT(*) FROM accounts WHERE kind = 'customer'),
                            (SELECT COUNT(*) FROM accounts WHERE kind = 'prospect'),
                            (SELECT COUNT(*) FROM staff WHERE role = 'sales_rep'),
                            (SELECT COUNT(*) FROM territories),
                            (SELECT COUNT(*) FROM visits WHERE window_start >= $1 AND window_start < $2)",
                    )
                    .bind(today.from)
                    .bind(today.to)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(db_error)?;
                Ok(DashboardSummary { customers, prospects, reps, territories, visits_today })
            }

            async fn map_accounts(&self, kind: Option<AccountKind>) -> Result<Vec<MapAccount>, StoreError> {
                let rows: Vec<MapAccountRow> = sqlx::query_as(
                    "SELECT id, name, kind, status, owner_id, lon, lat, revenue_minor, currency
                     FROM accounts WHERE ($1 IS NULL OR kind = $1) ORDER BY id",
                )
                .bind(kind.map(AccountKind::as_str))
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
                rows.into_iter().map(MapAccount::try_from).collect()
            }
        }

        #[async_trait]
        impl ServerStore for SqlStore<$db> {
            async fn has_no_accounts(&self) -> Result<bool, StoreError> {
                let (n,): (i64,) =
                    sqlx::query_as("SELECT COUNT(*) FROM accounts").fetch_one(&self.pool).await.map_err(db_error)?;
                Ok(n == 0)
            }

            async fn seed(&self, data: &DemoData, now: DateTime<Utc>) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await.map_err(db_error)?;

                let mut staff_ids = Vec::with_capacity(data.staff.len());
                for s in &data.staff {
                    let (id,): (i64,) = sqlx::query_as(
                        "INSERT INTO staff (name, email, role, home_lon, home_lat, skills, created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
                    )
                    .bind(&s.name)
                    .bind(&s.email)
                    .bind(s.role.as_str())
                    .bind(s.home.lon())
                    .bind(s.home.lat())
                    .bind(Json(&s.skills))
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db_error)?;
                    staff_ids.push(id);
                }

                let mut territory_ids = Vec::with_capacity(data.territories.len());
                for t in &data.territories {
                    let (id,): (i64,) = sqlx::query_as(
                        "INSERT INTO territories (name, geometry, owner_id, created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $4) RETURNING id",
                    )
                    .bind(&t.name)
                    .bind(Json(&t.geometry))
                    .bind(staff_ids[t.owner])
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db_error)?;
                    territory_ids.push(id);
                }

                let mut account_ids = Vec::with_capacity(data.accounts.len());
                for a in &data.accounts {
                    let (id,): (i64,) = sqlx::query_as(
                        "INSERT INTO accounts (external_id, name, kind, segment, status, address, lon, lat,
                            owner_id, territory_id, revenue_minor, cost_to_serve_minor, currency, acquired_on,
                            tags, created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'IDR', $13, $14, $15, $15)
                         RETURNING id",
                    )
                    .bind(&a.external_id)
                    .bind(&a.name)
                    .bind(a.kind.as_str())
                    .bind(&a.segment)
                    .bind(a.status.as_str())
                    .bind(&a.address)
                    .bind(a.position.lon())
                    .bind(a.position.lat())
                    .bind(staff_ids[a.owner])
                    .bind(territory_ids[a.territory])
                    .bind(a.revenue_minor)
                    .bind(a.cost_to_serve_minor)
                    .bind(a.acquired_on)
                    .bind(Json(&a.tags))
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db_error)?;
                    account_ids.push(id);
                }

                for c in &data.contacts {
                    sqlx::query(
                        "INSERT INTO contacts (account_id, name, title, email, phone, created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $6)",
                    )
                    .bind(account_ids[c.account])
                    .bind(&c.name)
                    .bind(&c.title)
                    .bind(&c.email)
                    .bind(&c.phone)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
                }

                for v in &data.visits {
                    sqlx::query(
                        "INSERT INTO visits (account_id, technician_id, window_start, window_end, duration_min,
                            status, created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
                    )
                    .bind(account_ids[v.account])
                    .bind(staff_ids[v.technician])
                    .bind(v.window_start)
                    .bind(v.window_end)
                    .bind(v.duration_min)
                    .bind(v.status.as_str())
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
                }

                tx.commit().await.map_err(db_error)
            }
        }
    };
}

impl_store!(Sqlite);
impl_store!(Postgres);
