//! The storage interface the server functions and the REST API share. The server crate implements
//! it for SQLite and PostgreSQL; this crate only sees the trait, so the UI code stays free of sqlx.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use wilayah_shared::domain::{AccountKind, DashboardSummary, MapAccount};

use crate::map::MapSettings;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("database error: {0}")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Half-open time range `[from, to)`, e.g. the calendar day for "visits today".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcRange {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Succeeds when the database answers a trivial query.
    async fn ping(&self) -> Result<(), StoreError>;

    async fn dashboard_summary(&self, today: &UtcRange) -> Result<DashboardSummary, StoreError>;

    /// Every account with a position, optionally of one kind, for the map.
    async fn map_accounts(&self, kind: Option<AccountKind>) -> Result<Vec<MapAccount>, StoreError>;
}

/// What server functions find in Leptos context: the store and the deployment's map settings.
#[derive(Clone)]
pub struct AppContext {
    pub store: Arc<dyn Store>,
    pub map_settings: MapSettings,
    /// "Today" for dashboards, computed by the server (it owns the clock and the time zone).
    pub today: Arc<dyn Fn() -> UtcRange + Send + Sync>,
}
