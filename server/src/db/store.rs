//! The one SQL implementation of the store, compiled for SQLite and for PostgreSQL.
//!
//! Both backends accept the same SQL here (`$1` placeholders, `RETURNING`), so the bodies are
//! written once in a macro and instantiated per pool type; sqlx's `Any` driver would lose types.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{Pool, Postgres, QueryBuilder, Sqlite};
use wilayah_app::store::{Store, StoreError, UtcRange};
use wilayah_shared::account::{
    Account, AccountPanel, AccountQuery, AccountSort, MapVisit, Page, ValidAccount,
};
use wilayah_shared::dashboard::{FilterOptions, KpiInput, Named};
use wilayah_shared::domain::{AccountKind, DashboardSummary, MapAccount};
use wilayah_shared::resource::{ResourceSpec, Validated};

use crate::db::audit::{AuditEntry, as_map};
use crate::db::transfer::TransferStore;
use crate::demo::DemoData;
use wilayah_shared::access::audit_changes;

/// What the server needs from the database beyond what the UI's server functions use.
#[async_trait]
pub trait ServerStore:
    Store
    + super::generic::ResourceStore
    + super::routes::RouteStore
    + TransferStore
    + super::field::FieldStore
    + super::planning::PlanningStore
    + super::auth::AuthStore
    + super::merge::MergeStore
    + super::analytics::AnalyticsStore
    + super::sales::SalesStore
    + super::pipeline::PipelineStore
    + super::views::ViewStore
    + super::segments::SegmentStore
    + super::campaigns::CampaignStore
    + super::sales::SalesSettingsStore
    + super::service::ServiceStore
    + super::surveys::SurveyStore
    + super::changes::ChangeStore
{
    /// True when no account exists yet (a fresh database), so demo data may be seeded.
    async fn has_no_accounts(&self) -> Result<bool, StoreError>;

    /// Writes the whole demo data set in one transaction: all of it or none.
    async fn seed(&self, data: &DemoData, now: DateTime<Utc>) -> Result<(), StoreError>;
}

pub struct SqlStore<DB: sqlx::Database> {
    pub(super) pool: Pool<DB>,
}

impl<DB: sqlx::Database> SqlStore<DB> {
    pub fn new(pool: Pool<DB>) -> Self {
        Self { pool }
    }
}

pub(super) fn db_error(e: sqlx::Error) -> StoreError {
    if let Some(db) = e.as_database_error()
        && db.kind() == sqlx::error::ErrorKind::UniqueViolation
    {
        // The only caller-supplied unique column of accounts; other tables add theirs here.
        if db.message().contains("external_id")
            || db.constraint().is_some_and(|c| c.contains("external_id"))
        {
            return StoreError::Duplicate {
                field: "external_id",
            };
        }
    }
    if e.as_database_error()
        .is_some_and(|d| d.kind() == sqlx::error::ErrorKind::ForeignKeyViolation)
    {
        // Tables cascade or clear their references, except where a record must outlive its
        // deletion being refused: a product that order lines name.
        return StoreError::Invalid {
            field: "id".into(),
            message: "other records still refer to it (a product on orders): set its status to \
                      inactive instead of deleting it"
                .into(),
        };
    }
    match e {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        other => StoreError::Database(Box::new(other)),
    }
}

const ACCOUNT_COLUMNS: &str = "id, external_id, name, kind, status, segment, address, lon, lat, owner_id, \
    territory_id, revenue_minor, cost_of_goods_minor, cost_to_serve_minor, currency, acquired_on, tags, version, \
    created_at, updated_at";

/// Ids per `IN (...)` list: well under SQLite's and PostgreSQL's bound-parameter limits.
const IDS_PER_QUERY: usize = 5_000;

fn sort_sql(sort: AccountSort) -> &'static str {
    match sort {
        AccountSort::Id => " ORDER BY id",
        AccountSort::Name => " ORDER BY LOWER(name), id",
        AccountSort::NameDesc => " ORDER BY LOWER(name) DESC, id DESC",
        AccountSort::Revenue => " ORDER BY revenue_minor, id",
        AccountSort::RevenueDesc => " ORDER BY revenue_minor DESC, id DESC",
        AccountSort::UpdatedAt => " ORDER BY updated_at, id",
        AccountSort::UpdatedAtDesc => " ORDER BY updated_at DESC, id DESC",
    }
}

/// `%text%` for LIKE, with the pattern characters in `text` escaped (ESCAPE '\\').
fn like_pattern(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: i64,
    external_id: Option<String>,
    name: String,
    kind: String,
    status: String,
    segment: Option<String>,
    address: Option<String>,
    lon: f64,
    lat: f64,
    owner_id: Option<i64>,
    territory_id: Option<i64>,
    revenue_minor: i64,
    cost_of_goods_minor: Option<i64>,
    cost_to_serve_minor: i64,
    currency: String,
    acquired_on: Option<chrono::NaiveDate>,
    tags: Json<Vec<String>>,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<AccountRow> for Account {
    type Error = StoreError;
    fn try_from(r: AccountRow) -> Result<Self, StoreError> {
        Ok(Account {
            id: r.id,
            external_id: r.external_id,
            name: r.name,
            kind: r.kind.parse().map_err(|e| corrupt("accounts.kind", e))?,
            status: r
                .status
                .parse()
                .map_err(|e| corrupt("accounts.status", e))?,
            segment: r.segment,
            address: r.address,
            lon: r.lon,
            lat: r.lat,
            owner_id: r.owner_id,
            territory_id: r.territory_id,
            revenue_minor: r.revenue_minor,
            margin_minor: r.cost_of_goods_minor.map(|cost| r.revenue_minor - cost),
            cost_to_serve_minor: r.cost_to_serve_minor,
            currency: r.currency,
            acquired_on: r.acquired_on,
            tags: r.tags.0,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
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

/// One account's KPI figures as the KPI query reads them.
#[derive(sqlx::FromRow)]
struct KpiRow {
    kind: String,
    owner_id: Option<i64>,
    territory_id: Option<i64>,
    currency: String,
    revenue_minor: i64,
    pipeline_minor: i64,
    open_cases: i64,
    visits_planned: i64,
    visits_done: i64,
}

impl TryFrom<KpiRow> for KpiInput {
    type Error = StoreError;
    fn try_from(r: KpiRow) -> Result<Self, StoreError> {
        Ok(KpiInput {
            kind: r.kind.parse().map_err(|e| corrupt("accounts.kind", e))?,
            owner_id: r.owner_id,
            territory_id: r.territory_id,
            currency: r.currency,
            revenue_minor: r.revenue_minor,
            pipeline_minor: r.pipeline_minor,
            open_cases: r.open_cases,
            visits_planned: r.visits_planned,
            visits_done: r.visits_done,
        })
    }
}

/// Per account: open pipeline in its own currency, open cases, and the visits of a period (two
/// binds each for the planned and the done count). The account filter's WHERE follows.
const KPI_SELECT: &str = "SELECT kind, owner_id, territory_id, currency, revenue_minor,
    CAST(COALESCE((SELECT SUM(o.value_minor) FROM opportunities o
        WHERE o.account_id = accounts.id AND o.stage NOT IN ('won', 'lost')
          AND o.currency = accounts.currency), 0) AS BIGINT) AS pipeline_minor,
    (SELECT COUNT(*) FROM cases c
        WHERE c.account_id = accounts.id AND c.status IN ('new', 'in_progress')) AS open_cases,
    (SELECT COUNT(*) FROM visits v WHERE v.account_id = accounts.id
        AND v.window_start >= ";

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

/// `$tag_open` / `$tag_close` wrap a bound tag into a "has this tag" test (JSON text in SQLite,
/// JSONB in PostgreSQL). `$matching_contacts_open` / `$matching_contacts_close` wrap the search's
/// contact subquery: PostgreSQL gets `id = ANY(ARRAY(…))`, which its planner can combine with
/// the trigram indexes on name and address (a bitmap OR), where `id IN (…)` forces a scan of
/// every account (docs/workspace.md, "Search speed").
/// Binds a [`ValidAccount`]'s fifteen writable columns as `$1`–`$15`, in the order of the
/// INSERT and UPDATE statements that use it.
macro_rules! bind_account {
    ($query:expr, $account:expr) => {
        $query
            .bind(&$account.external_id)
            .bind(&$account.name)
            .bind($account.kind.as_str())
            .bind($account.status.as_str())
            .bind(&$account.segment)
            .bind(&$account.address)
            .bind($account.position.lon())
            .bind($account.position.lat())
            .bind($account.owner_id)
            .bind($account.territory_id)
            .bind($account.revenue_minor)
            .bind($account.cost_to_serve_minor)
            .bind(&$account.currency)
            .bind($account.acquired_on)
            .bind(Json(&$account.tags))
    };
}

macro_rules! impl_store {
    (
        $db:ty,
        $tag_open:literal,
        $tag_close:literal,
        $distinct_tags:literal,
        $matching_contacts_open:literal,
        $matching_contacts_close:literal
    ) => {
        /// Appends the WHERE clause of an account list (shared by the page and the count).
        fn push_account_filters(qb: &mut QueryBuilder<$db>, q: &AccountQuery) {
            qb.push(" WHERE 1 = 1");
            if let Some(kind) = q.kind {
                qb.push(" AND kind = ").push_bind(kind.as_str());
            }
            if let Some(status) = q.status {
                qb.push(" AND status = ").push_bind(status.as_str());
            }
            if let Some(owner) = q.owner_id {
                qb.push(" AND owner_id = ").push_bind(owner);
            }
            if let Some(territory) = q.territory_id {
                qb.push(" AND territory_id = ").push_bind(territory);
            }
            if let Some(segment) = &q.segment {
                qb.push(" AND segment = ").push_bind(segment.clone());
            }
            if let Some(tag) = &q.tag {
                qb.push(concat!(" AND ", $tag_open)).push_bind(tag.clone()).push($tag_close);
            }
            if let Some(stage) = &q.stage {
                qb.push(" AND EXISTS (SELECT 1 FROM opportunities WHERE opportunities.account_id = accounts.id AND opportunities.stage = ")
                    .push_bind(stage.clone())
                    .push(")");
            }
            if let Some(text) = &q.search {
                // The matching contacts are found once (a subquery, not a correlated EXISTS per
                // account); a phone is compared by the digits stored with the contact
                // (migration 0015). See docs/workspace.md for the measured cost.
                let pattern = like_pattern(text);
                qb.push(" AND (LOWER(name) LIKE ").push_bind(pattern.clone()).push(" ESCAPE '\\'");
                qb.push(" OR LOWER(address) LIKE ").push_bind(pattern.clone()).push(" ESCAPE '\\'");
                qb.push(concat!($matching_contacts_open, "SELECT account_id FROM contacts WHERE LOWER(name) LIKE "))
                    .push_bind(pattern.clone())
                    .push(" ESCAPE '\\' OR LOWER(email) LIKE ")
                    .push_bind(pattern)
                    .push(" ESCAPE '\\'");
                if let Some(digits) = wilayah_shared::account::phone_digits(text) {
                    qb.push(" OR phone_digits LIKE ").push_bind(format!("%{digits}%"));
                }
                qb.push(concat!($matching_contacts_close, ")"));
            }
            if let Some(ids) = &q.ids {
                if ids.is_empty() {
                    qb.push(" AND 1 = 0");
                } else {
                    qb.push(" AND id IN (");
                    let mut list = qb.separated(", ");
                    for id in ids {
                        list.push_bind(*id);
                    }
                    qb.push(")");
                }
            }
        }

        impl SqlStore<$db> {
            /// Refuses references to staff or territories that do not exist, naming the field.
            async fn check_account_references(
                tx: &mut sqlx::Transaction<'_, $db>,
                account: &ValidAccount,
            ) -> Result<(), StoreError> {
                if let Some(owner) = account.owner_id {
                    let found: Option<(i64,)> = sqlx::query_as("SELECT id FROM staff WHERE id = $1")
                        .bind(owner)
                        .fetch_optional(&mut **tx)
                        .await
                        .map_err(db_error)?;
                    if found.is_none() {
                        return Err(StoreError::InvalidReference { field: "owner_id" });
                    }
                }
                if let Some(territory) = account.territory_id {
                    let found: Option<(i64,)> = sqlx::query_as("SELECT id FROM territories WHERE id = $1")
                        .bind(territory)
                        .fetch_optional(&mut **tx)
                        .await
                        .map_err(db_error)?;
                    if found.is_none() {
                        return Err(StoreError::InvalidReference { field: "territory_id" });
                    }
                }
                Ok(())
            }

            /// Inserts one account (references already checked) and returns the stored row.
            async fn insert_account(
                tx: &mut sqlx::Transaction<'_, $db>,
                account: &ValidAccount,
                now: DateTime<Utc>,
            ) -> Result<AccountRow, StoreError> {
                bind_account!(
                    sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO accounts (external_id, name, kind, status, segment, address, lon, lat, owner_id,
                        territory_id, revenue_minor, cost_to_serve_minor, currency, acquired_on, tags, created_at,
                        updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)
                     RETURNING {ACCOUNT_COLUMNS}"
                ))),
                    account
                )
                .bind(now)
                .fetch_one(&mut **tx)
                .await
                .map_err(db_error)
            }

            /// After a guarded write touched no row: was the record gone, or at another version?
            async fn missing_or_conflict(&self, id: i64) -> StoreError {
                match sqlx::query_as::<_, (i64,)>("SELECT version FROM accounts WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                {
                    Ok(Some((current_version,))) => StoreError::Conflict { current_version },
                    Ok(None) => StoreError::NotFound,
                    Err(e) => db_error(e),
                }
            }
        }
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

            async fn list_accounts(&self, query: &AccountQuery) -> Result<Page<Account>, StoreError> {
                let mut count = QueryBuilder::<$db>::new("SELECT COUNT(*) FROM accounts");
                push_account_filters(&mut count, query);
                let (total,): (i64,) = count.build_query_as().fetch_one(&self.pool).await.map_err(db_error)?;

                let mut page = QueryBuilder::<$db>::new(format!("SELECT {ACCOUNT_COLUMNS} FROM accounts"));
                push_account_filters(&mut page, query);
                page.push(sort_sql(query.sort));
                page.push(" LIMIT ").push_bind(i64::from(query.limit));
                page.push(" OFFSET ").push_bind(i64::try_from(query.offset).unwrap_or(i64::MAX));
                let rows: Vec<AccountRow> = page.build_query_as().fetch_all(&self.pool).await.map_err(db_error)?;
                let items = rows.into_iter().map(Account::try_from).collect::<Result<_, _>>()?;
                Ok(Page { items, total, limit: query.limit, offset: query.offset })
            }

            async fn get_account(&self, id: i64) -> Result<Account, StoreError> {
                let row: AccountRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1"
                )))
                .bind(id)
                .fetch_one(&self.pool)
                .await
                .map_err(db_error)?;
                row.try_into()
            }

            async fn accounts_by_ids(&self, ids: &[i64]) -> Result<Vec<Account>, StoreError> {
                let mut found = std::collections::HashMap::with_capacity(ids.len());
                for chunk in ids.chunks(IDS_PER_QUERY) {
                    let mut qb = QueryBuilder::<$db>::new(format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id IN ("));
                    let mut list = qb.separated(", ");
                    for id in chunk {
                        list.push_bind(*id);
                    }
                    qb.push(")");
                    let rows: Vec<AccountRow> = qb.build_query_as().fetch_all(&self.pool).await.map_err(db_error)?;
                    for row in rows {
                        found.insert(row.id, Account::try_from(row)?);
                    }
                }
                Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
            }

            async fn create_account(&self, account: &ValidAccount) -> Result<Account, StoreError> {
                let mut tx = self.pool.begin().await.map_err(db_error)?;
                Self::check_account_references(&mut tx, account).await?;
                let row = Self::insert_account(&mut tx, account, Utc::now()).await?;
                let created = Account::try_from(row)?;
                Self::write_audit(&mut tx, AuditEntry {
                    action: "create",
                    entity: "accounts",
                    entity_id: Some(created.id),
                    account_id: Some(created.id),
                    changes: audit_changes(None, &as_map(&created)),
                })
                .await?;
                tx.commit().await.map_err(db_error)?;
                Ok(created)
            }

            async fn update_account(
                &self,
                id: i64,
                expected_version: i64,
                account: &ValidAccount,
            ) -> Result<Account, StoreError> {
                let mut tx = self.pool.begin().await.map_err(db_error)?;
                Self::check_account_references(&mut tx, account).await?;
                let old: Option<AccountRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1"
                )))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_error)?;
                if let Some(old) = old.as_ref().filter(|o| o.cost_of_goods_minor.is_some()) {
                    if old.revenue_minor != account.revenue_minor {
                        return Err(StoreError::Invalid {
                            field: "revenue_minor".into(),
                            message: "this account has orders: its revenue is the sum of them".into(),
                        });
                    }
                }
                // Once an account has orders its revenue is theirs (db/sales.rs), whatever a
                // concurrent edit read before.
                let row: Option<AccountRow> = bind_account!(
                    sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "UPDATE accounts SET external_id = $1, name = $2, kind = $3, status = $4, segment = $5,
                        address = $6, lon = $7, lat = $8, owner_id = $9, territory_id = $10,
                        revenue_minor = CASE WHEN cost_of_goods_minor IS NULL THEN $11 ELSE revenue_minor END,
                        cost_to_serve_minor = $12, currency = $13, acquired_on = $14, tags = $15,
                        updated_at = $16, version = version + 1
                     WHERE id = $17 AND version = $18
                     RETURNING {ACCOUNT_COLUMNS}"
                ))),
                    account
                )
                .bind(Utc::now())
                .bind(id)
                .bind(expected_version)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_error)?;
                match row {
                    Some(row) => {
                        let updated = Account::try_from(row)?;
                        let old = old.map(Account::try_from).transpose()?.map(|a| as_map(&a));
                        Self::write_audit(&mut tx, AuditEntry {
                            action: "update",
                            entity: "accounts",
                            entity_id: Some(id),
                            account_id: Some(id),
                            changes: audit_changes(old.as_ref(), &as_map(&updated)),
                        })
                        .await?;
                        tx.commit().await.map_err(db_error)?;
                        Ok(updated)
                    }
                    None => {
                        drop(tx);
                        Err(self.missing_or_conflict(id).await)
                    }
                }
            }

            async fn account_panel(&self, id: i64) -> Result<AccountPanel, StoreError> {
                self.read_account_panel(id).await
            }

            async fn map_visits(&self, range: &UtcRange) -> Result<Vec<MapVisit>, StoreError> {
                self.read_map_visits(range).await
            }

            async fn map_accounts_matching(&self, query: &AccountQuery) -> Result<Vec<MapAccount>, StoreError> {
                let mut qb = QueryBuilder::<$db>::new(
                    "SELECT id, name, kind, status, owner_id, lon, lat, revenue_minor, currency FROM accounts",
                );
                push_account_filters(&mut qb, query);
                qb.push(" ORDER BY id");
                let rows: Vec<MapAccountRow> =
                    qb.build_query_as().fetch_all(&self.pool).await.map_err(db_error)?;
                rows.into_iter().map(MapAccount::try_from).collect()
            }

            async fn map_data_fingerprint(&self) -> Result<[i64; 6], StoreError> {
                let row: (i64, i64, i64, i64, i64, i64) = sqlx::query_as(
                    "SELECT (SELECT COUNT(*) FROM accounts),
                            (SELECT COALESCE(MAX(id), 0) FROM accounts),
                            (SELECT CAST(COALESCE(SUM(version), 0) AS BIGINT) FROM accounts),
                            (SELECT COUNT(*) FROM opportunities),
                            (SELECT CAST(COALESCE(SUM(version), 0) AS BIGINT) FROM opportunities),
                            (SELECT CAST(COUNT(*) + COALESCE(SUM(version), 0) AS BIGINT) FROM staff)",
                )
                .fetch_one(&self.pool)
                .await
                .map_err(db_error)?;
                Ok([row.0, row.1, row.2, row.3, row.4, row.5])
            }

            async fn kpi_inputs(&self, query: &AccountQuery, period: &UtcRange) -> Result<Vec<KpiInput>, StoreError> {
                let mut qb = QueryBuilder::<$db>::new(KPI_SELECT);
                qb.push_bind(period.from).push(" AND v.window_start < ").push_bind(period.to);
                qb.push(") AS visits_planned, (SELECT COUNT(*) FROM visits v WHERE v.account_id = accounts.id AND v.status = 'done' AND v.window_start >= ")
                    .push_bind(period.from)
                    .push(" AND v.window_start < ")
                    .push_bind(period.to)
                    .push(") AS visits_done FROM accounts");
                push_account_filters(&mut qb, query);
                let rows: Vec<KpiRow> =
                    qb.build_query_as().fetch_all(&self.pool).await.map_err(db_error)?;
                rows.into_iter().map(KpiInput::try_from).collect()
            }

            async fn filter_options(&self) -> Result<FilterOptions, StoreError> {
                let named = |rows: Vec<(i64, String)>| {
                    rows.into_iter().map(|(id, name)| Named { id, name }).collect()
                };
                let reps: Vec<(i64, String)> =
                    sqlx::query_as("SELECT id, name FROM staff WHERE role = 'sales_rep' ORDER BY name")
                        .fetch_all(&self.pool).await.map_err(db_error)?;
                let technicians: Vec<(i64, String)> =
                    sqlx::query_as("SELECT id, name FROM staff WHERE role = 'technician' ORDER BY name")
                        .fetch_all(&self.pool).await.map_err(db_error)?;
                let territories: Vec<(i64, String)> =
                    sqlx::query_as("SELECT id, name FROM territories ORDER BY name")
                        .fetch_all(&self.pool).await.map_err(db_error)?;
                let segments: Vec<(String,)> = sqlx::query_as(
                    "SELECT DISTINCT segment FROM accounts WHERE segment IS NOT NULL ORDER BY segment",
                )
                .fetch_all(&self.pool).await.map_err(db_error)?;
                let tags: Vec<(String,)> =
                    sqlx::query_as($distinct_tags).fetch_all(&self.pool).await.map_err(db_error)?;
                Ok(FilterOptions {
                    reps: named(reps),
                    technicians: named(technicians),
                    territories: named(territories),
                    segments: segments.into_iter().map(|(s,)| s).collect(),
                    tags: tags.into_iter().map(|(t,)| t).collect(),
                })
            }

            async fn create_resource_record(
                &self,
                spec: &'static ResourceSpec,
                record: &Validated,
            ) -> Result<serde_json::Map<String, serde_json::Value>, StoreError> {
                crate::db::generic::ResourceStore::create_record(self, spec, record).await
            }

            async fn territory_geometry(&self, id: i64) -> Result<String, StoreError> {
                let (geometry,): (Json<serde_json::Value>,) =
                    sqlx::query_as("SELECT geometry FROM territories WHERE id = $1")
                        .bind(id)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(db_error)?;
                Ok(geometry.0.to_string())
            }

            async fn visible_account_ids(
                &self,
                scope: &wilayah_shared::access::AccountScope,
            ) -> Result<Option<Vec<i64>>, StoreError> {
                self.account_ids_in_scope(scope).await
            }

            async fn delete_account(&self, id: i64, expected_version: Option<i64>) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await.map_err(db_error)?;
                let done = sqlx::query("DELETE FROM accounts WHERE id = $1 AND ($2 IS NULL OR version = $2)")
                    .bind(id)
                    .bind(expected_version)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
                if done.rows_affected() != 1 {
                    drop(tx);
                    return Err(self.missing_or_conflict(id).await);
                }
                Self::write_audit(&mut tx, AuditEntry {
                    action: "delete",
                    entity: "accounts",
                    entity_id: Some(id),
                    account_id: Some(id),
                    changes: Default::default(),
                })
                .await?;
                tx.commit().await.map_err(db_error)
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

                for a in &data.activities {
                    sqlx::query(
                        "INSERT INTO activities (account_id, staff_id, kind, channel, subject, outcome, occurred_at,
                            created_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
                    )
                    .bind(account_ids[a.account])
                    .bind(staff_ids[a.staff])
                    .bind(a.kind)
                    .bind(a.channel)
                    .bind(a.subject)
                    .bind(a.outcome)
                    .bind(a.occurred_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
                }

                for o in &data.opportunities {
                    sqlx::query(
                        "INSERT INTO opportunities (account_id, owner_id, title, stage, value_minor, expected_close,
                            lost_reason, created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
                    )
                    .bind(account_ids[o.account])
                    .bind(staff_ids[o.owner])
                    .bind(&o.title)
                    .bind(o.stage)
                    .bind(o.value_minor)
                    .bind(o.expected_close)
                    .bind(o.lost_reason)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
                }

                for c in &data.cases {
                    sqlx::query(
                        "INSERT INTO cases (account_id, opened_by, subject, priority, status, sla_due_at, resolution,
                            created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
                    )
                    .bind(account_ids[c.account])
                    .bind(staff_ids[c.opened_by])
                    .bind(c.subject)
                    .bind(c.priority)
                    .bind(c.status)
                    .bind(c.sla_due_at)
                    .bind(c.resolution)
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

mod sqlite {
    use super::*;
    impl_store!(
        Sqlite,
        "EXISTS (SELECT 1 FROM json_each(accounts.tags) WHERE json_each.value = ",
        ")",
        "SELECT DISTINCT json_each.value FROM accounts, json_each(accounts.tags) ORDER BY 1",
        " OR id IN (",
        ")"
    );
    crate::db::transfer::impl_transfer!(Sqlite);
    crate::db::merge::impl_merge!(Sqlite);
    crate::db::pipeline::impl_pipeline!(Sqlite);
    crate::db::service::impl_service!(Sqlite);
}

mod postgres {
    use super::*;
    impl_store!(
        Postgres,
        "jsonb_exists(accounts.tags, ",
        ")",
        "SELECT DISTINCT jsonb_array_elements_text(tags) FROM accounts ORDER BY 1",
        " OR id = ANY(ARRAY(",
        "))"
    );
    crate::db::transfer::impl_transfer!(Postgres);
    crate::db::merge::impl_merge!(Postgres);
    crate::db::pipeline::impl_pipeline!(Postgres);
    crate::db::service::impl_service!(Postgres);
}
