//! The storage interface the server functions and the REST API share. The server crate implements
//! it for SQLite and PostgreSQL; this crate only sees the trait, so the UI code stays free of sqlx.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use wilayah_shared::LonLat;
use wilayah_shared::access::Caller;
use wilayah_shared::account::{Account, AccountPanel, AccountQuery, MapVisit, Page, ValidAccount};
use wilayah_shared::dashboard::{FilterOptions, KpiInput, NearbySearch};
use wilayah_shared::domain::{AccountKind, DashboardSummary, MapAccount};
use wilayah_shared::resource::{ResourceSpec, Validated};

use crate::map::MapSettings;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// An optimistic-concurrency check failed: someone else changed the record first.
    #[error("the record was changed by someone else (now at version {current_version})")]
    Conflict { current_version: i64 },
    /// A unique value is already taken.
    #[error("{field} is already used by another record")]
    Duplicate { field: &'static str },
    /// A referenced record (owner, territory...) does not exist.
    #[error("{field} refers to a record that does not exist")]
    InvalidReference { field: &'static str },
    /// A value breaks a rule (422), naming the field.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// The caller's role may not do this (403).
    #[error("{0}")]
    Forbidden(String),
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

    async fn list_accounts(&self, query: &AccountQuery) -> Result<Page<Account>, StoreError>;

    async fn get_account(&self, id: i64) -> Result<Account, StoreError>;

    /// The accounts with these ids, in the order given (missing ids are skipped).
    async fn accounts_by_ids(&self, ids: &[i64]) -> Result<Vec<Account>, StoreError>;

    async fn create_account(&self, account: &ValidAccount) -> Result<Account, StoreError>;

    /// Replaces the account if it is still at `expected_version`; [`StoreError::Conflict`] otherwise.
    async fn update_account(
        &self,
        id: i64,
        expected_version: i64,
        account: &ValidAccount,
    ) -> Result<Account, StoreError>;

    /// Deletes the account (and what hangs off it), checking the version when one is given.
    async fn delete_account(
        &self,
        id: i64,
        expected_version: Option<i64>,
    ) -> Result<(), StoreError>;

    /// The customer panel: the account with its contacts, open deals and cases, last visit and
    /// recent history.
    async fn account_panel(&self, id: i64) -> Result<AccountPanel, StoreError>;

    /// Visits whose window starts in `range`, with their account's position, for the map.
    async fn map_visits(&self, range: &UtcRange) -> Result<Vec<MapVisit>, StoreError>;

    /// A territory's geometry as stored (GeoJSON text).
    async fn territory_geometry(&self, id: i64) -> Result<String, StoreError>;

    /// The accounts a dashboard filter matches (kind, status, owner, territory, segment, tag,
    /// stage; sort and page are ignored), for the map.
    async fn map_accounts_matching(
        &self,
        query: &AccountQuery,
    ) -> Result<Vec<MapAccount>, StoreError>;

    /// A value that changes with every write to accounts, deals or staff (row counts, the
    /// highest account id and the sums of row versions, which every update bumps), so a cache
    /// of map data can tell it is stale, whichever process wrote.
    async fn map_data_fingerprint(&self) -> Result<[i64; 6], StoreError>;

    /// Each matching account's share of the KPIs, visits counted in `period`.
    async fn kpi_inputs(
        &self,
        query: &AccountQuery,
        period: &UtcRange,
    ) -> Result<Vec<KpiInput>, StoreError>;

    /// Reps, territories, segments and tags for the filter menus.
    async fn filter_options(&self) -> Result<FilterOptions, StoreError>;

    /// Writes a record of a generic resource (an activity, a case) that the caller validated
    /// with `spec`; returns it as stored.
    async fn create_resource_record(
        &self,
        spec: &'static ResourceSpec,
        record: &Validated,
    ) -> Result<serde_json::Map<String, serde_json::Value>, StoreError>;
    /// The ids of the accounts a caller's scope admits, ascending; `None` when it admits all
    /// (see `wilayah_shared::access`).
    async fn visible_account_ids(
        &self,
        scope: &wilayah_shared::access::AccountScope,
    ) -> Result<Option<Vec<i64>>, StoreError>;
}

/// What a server function may reach for its caller: every method answers only the caller's
/// rows (the server implements it on its scoped handle, the one place that applies the
/// caller's scope). Server functions have no other way to the data.
#[async_trait]
pub trait CallerData: Send + Sync {
    /// The dashboard's counts: the caller's customers, prospects and today's visits to them;
    /// the numbers of reps and territories are the organisation's.
    async fn dashboard_summary(&self, today: &UtcRange) -> Result<DashboardSummary, StoreError>;

    /// The customer panel with only the parts the caller's role may read; `None` outside the
    /// caller's accounts (as if it did not exist).
    async fn account_panel(&self, id: i64) -> Result<Option<AccountPanel>, StoreError>;

    /// One of the caller's accounts; `None` outside them.
    async fn account(&self, id: i64) -> Result<Option<Account>, StoreError>;

    /// The caller's accounts of `kind` near `centre` (the `k` nearest, or all within a radius, at
    /// most [`NearbySearch::MAX_HITS`]), leaving out `exclude`, nearest first, with metres.
    async fn nearby(
        &self,
        centre: LonLat,
        search: NearbySearch,
        kind: AccountKind,
        exclude: Option<i64>,
    ) -> Result<Vec<(Account, f64)>, StoreError>;

    /// Reps, technicians and territories (names), and the segments and tags of the caller's
    /// accounts.
    async fn filter_options(&self) -> Result<FilterOptions, StoreError>;

    /// Each of the caller's matching accounts' share of the KPIs.
    async fn kpi_inputs(
        &self,
        query: AccountQuery,
        period: &UtcRange,
    ) -> Result<Vec<KpiInput>, StoreError>;

    /// A page of the caller's accounts matching `query`.
    async fn list_accounts(&self, query: AccountQuery) -> Result<Page<Account>, StoreError>;

    /// Creates a record of a generic resource from a body the UI built: on one of the caller's
    /// accounts, with the caller as its author.
    async fn create_record(
        &self,
        spec: &'static ResourceSpec,
        body: serde_json::Value,
    ) -> Result<serde_json::Map<String, serde_json::Value>, StoreError>;
}

/// Builds the [`CallerData`] of a caller.
pub type CallerDataFn = dyn Fn(Caller) -> Box<dyn CallerData> + Send + Sync;

/// What server functions find in Leptos context: the deployment's map settings, the clock, and
/// the way to the data of a caller.
#[derive(Clone)]
pub struct AppContext {
    pub map_settings: MapSettings,
    /// "Today" for dashboards, computed by the server (it owns the clock and the time zone).
    pub today: Arc<dyn Fn() -> UtcRange + Send + Sync>,
    pub data: Arc<CallerDataFn>,
}
