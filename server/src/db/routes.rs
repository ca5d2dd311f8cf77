//! What route planning reads: one day's open visits with their accounts' positions, and the
//! technicians. Written once for both backends, like the rest of the store.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{Postgres, Sqlite};
use wilayah_app::store::StoreError;

use super::store::{SqlStore, db_error};

/// A visit to plan, with where it is.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct VisitToPlan {
    pub id: i64,
    pub account_id: i64,
    pub account_name: String,
    pub lon: f64,
    pub lat: f64,
    pub technician_id: Option<i64>,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub duration_min: i64,
    pub status: String,
}

/// A technician's working day as the staff record describes it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Technician {
    pub id: i64,
    pub name: String,
    pub home_lon: Option<f64>,
    pub home_lat: Option<f64>,
    pub skills: Json<Vec<String>>,
    /// Local time `HH:MM`.
    pub work_start: String,
    pub work_end: String,
}

#[async_trait]
pub trait RouteStore: Send + Sync {
    /// Visits whose window starts in `[from, to)` and that are still to do (not done or missed),
    /// by window start then id.
    async fn open_visits_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<VisitToPlan>, StoreError>;

    /// Every member of staff whose role is `technician`, by id.
    async fn technicians(&self) -> Result<Vec<Technician>, StoreError>;
}

const OPEN_VISITS_SQL: &str = "
    SELECT v.id, v.account_id, a.name AS account_name, a.lon, a.lat, v.technician_id,
           v.window_start, v.window_end, v.duration_min, v.status
      FROM visits v JOIN accounts a ON a.id = v.account_id
     WHERE v.window_start >= $1 AND v.window_start < $2 AND v.status NOT IN ('done', 'missed')
     ORDER BY v.window_start, v.id";

const TECHNICIANS_SQL: &str = "
    SELECT id, name, home_lon, home_lat, skills, work_start, work_end
      FROM staff WHERE role = 'technician' ORDER BY id";

macro_rules! impl_route_store {
    ($db:ty) => {
        #[async_trait]
        impl RouteStore for SqlStore<$db> {
            async fn open_visits_between(
                &self,
                from: DateTime<Utc>,
                to: DateTime<Utc>,
            ) -> Result<Vec<VisitToPlan>, StoreError> {
                sqlx::query_as(OPEN_VISITS_SQL)
                    .bind(from)
                    .bind(to)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_error)
            }

            async fn technicians(&self) -> Result<Vec<Technician>, StoreError> {
                sqlx::query_as(TECHNICIANS_SQL)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_error)
            }
        }
    };
}

impl_route_store!(Sqlite);
impl_route_store!(Postgres);
