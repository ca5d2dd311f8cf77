//! Bulk import and export in the database: every row of a file in one transaction (all or
//! nothing), with the checks only the database can make (external ids and territory names
//! already taken, owners and territories that do not exist) reported by row and field.
//!
//! The SQL is written once in [`impl_transfer!`] and instantiated inside `store.rs`'s per-backend
//! modules, beside `impl_store!`, so it shares that file's row types and helpers (`AccountRow`,
//! `db_error`, `push_account_filters`, `SqlStore::insert_account`) instead of copying them.

use async_trait::async_trait;
use wilayah_app::store::StoreError;
use wilayah_shared::account::{Account, AccountQuery};
use wilayah_shared::transfer::{ImportRow, RowError, RowErrors, Territory, TerritoryRow};

/// Why an import wrote nothing: rows at fault (named), or the database failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    Rows(RowErrors),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Told `(rows written, rows in all)` as an import writes.
pub type WriteProgress<'a> = &'a (dyn Fn(u64, u64) + Sync);

/// Values per `IN (...)` list of the checks; well under both databases' parameter limits.
pub(crate) const VALUES_PER_QUERY: usize = 5_000;

#[async_trait]
pub trait TransferStore: Send + Sync {
    /// Writes every row in one transaction, or nothing when any row is refused. With `dry_run`
    /// it runs every check and every insert, then rolls back: a dry run finds what a real
    /// import would. Returns the accounts as stored, in file order.
    async fn import_accounts(
        &self,
        rows: &[ImportRow],
        dry_run: bool,
        progress: WriteProgress<'_>,
    ) -> Result<Vec<Account>, ImportError>;

    /// Every account the query's filters match (its paging is ignored), in its order.
    async fn export_accounts(&self, query: &AccountQuery) -> Result<Vec<Account>, StoreError>;

    /// Like [`TransferStore::import_accounts`], for territories (names must be new).
    async fn import_territories(
        &self,
        rows: &[TerritoryRow],
        dry_run: bool,
        progress: WriteProgress<'_>,
    ) -> Result<Vec<Territory>, ImportError>;

    /// Every territory, by id.
    async fn export_territories(&self) -> Result<Vec<Territory>, StoreError>;
}

/// Checks one optional reference of each row against the ids that exist, naming row and field.
pub(crate) fn check_references<T>(
    errors: &mut RowErrors,
    rows: &[T],
    row_of: impl Fn(&T) -> usize,
    field: &'static str,
    reference: impl Fn(&T) -> Option<i64>,
    existing: &std::collections::HashSet<i64>,
) {
    for item in rows {
        if let Some(id) = reference(item).filter(|id| !existing.contains(id)) {
            errors.push(RowError::at(
                row_of(item),
                field,
                format!("{id} refers to a record that does not exist"),
            ));
        }
    }
}

/// A unique-constraint violation during the inserts (someone else wrote the value between the
/// checks and the insert) becomes an error of the row being written.
pub(crate) fn insert_error(row: usize, e: StoreError) -> ImportError {
    match e {
        StoreError::Duplicate { field } => ImportError::Rows(RowErrors::single(RowError::at(
            row,
            field,
            "is already used by another record",
        ))),
        other => ImportError::Store(other),
    }
}

macro_rules! impl_transfer {
    ($db:ty) => {
        #[derive(sqlx::FromRow)]
        struct TerritoryRecord {
            id: i64,
            name: String,
            owner_id: Option<i64>,
            geometry: Json<serde_json::Value>,
            version: i64,
        }

        impl From<TerritoryRecord> for wilayah_shared::transfer::Territory {
            fn from(r: TerritoryRecord) -> Self {
                Self {
                    id: r.id,
                    name: r.name,
                    owner_id: r.owner_id,
                    geometry: r.geometry.0,
                    version: r.version,
                }
            }
        }

        const TERRITORY_COLUMNS: &str = "id, name, owner_id, geometry, version";

        impl SqlStore<$db> {
            /// Which of `values` the table's `column` holds, with the id of the row holding each.
            async fn existing<T>(
                tx: &mut sqlx::Transaction<'_, $db>,
                table: &str,
                column: &str,
                values: &[T],
            ) -> Result<std::collections::HashMap<T, i64>, StoreError>
            where
                T: Clone + Eq + std::hash::Hash + Send + Sync + Unpin + 'static,
                T: for<'q> sqlx::Encode<'q, $db> + for<'r> sqlx::Decode<'r, $db> + sqlx::Type<$db>,
            {
                let mut found = std::collections::HashMap::new();
                for chunk in values.chunks(crate::db::transfer::VALUES_PER_QUERY) {
                    let mut qb = QueryBuilder::<$db>::new(format!(
                        "SELECT {column}, id FROM {table} WHERE {column} IN ("
                    ));
                    let mut list = qb.separated(", ");
                    for value in chunk {
                        list.push_bind(value.clone());
                    }
                    qb.push(")");
                    let rows: Vec<(T, i64)> =
                        qb.build_query_as().fetch_all(&mut **tx).await.map_err(db_error)?;
                    found.extend(rows);
                }
                Ok(found)
            }

            /// The ids among `ids` that exist in `table`.
            async fn existing_ids(
                tx: &mut sqlx::Transaction<'_, $db>,
                table: &str,
                ids: impl Iterator<Item = Option<i64>>,
            ) -> Result<std::collections::HashSet<i64>, StoreError> {
                let mut ids: Vec<i64> = ids.flatten().collect();
                ids.sort_unstable();
                ids.dedup();
                Ok(Self::existing(tx, table, "id", &ids).await?.into_keys().collect())
            }

            /// Ends an import: rolls back a dry run, commits a real one.
            async fn finish_import(tx: sqlx::Transaction<'_, $db>, dry_run: bool) -> Result<(), StoreError> {
                if dry_run { tx.rollback().await } else { tx.commit().await }.map_err(db_error)
            }
        }

        #[async_trait]
        impl crate::db::transfer::TransferStore for SqlStore<$db> {
            async fn import_accounts(
                &self,
                rows: &[wilayah_shared::transfer::ImportRow],
                dry_run: bool,
                progress: crate::db::transfer::WriteProgress<'_>,
            ) -> Result<Vec<Account>, crate::db::transfer::ImportError> {
                use crate::db::transfer::{check_references, insert_error, ImportError};
                use wilayah_shared::transfer::{RowError, RowErrors};

                let mut tx = self.pool.begin().await.map_err(db_error)?;
                let mut errors = RowErrors::default();
                let external_ids: Vec<String> =
                    rows.iter().filter_map(|r| r.account.external_id.clone()).collect();
                let taken = Self::existing(&mut tx, "accounts", "external_id", &external_ids).await?;
                for r in rows {
                    if r.account.external_id.as_ref().is_some_and(|e| taken.contains_key(e)) {
                        errors.push(RowError::at(
                            r.row,
                            "external_id",
                            // The other account may lie outside the importer's rows: not named.
                            format!("{:?} is already used by another account", r.account.external_id.as_deref().unwrap_or_default()),
                        ));
                    }
                }
                let staff = Self::existing_ids(&mut tx, "staff", rows.iter().map(|r| r.account.owner_id)).await?;
                check_references(&mut errors, rows, |r| r.row, "owner_id", |r| r.account.owner_id, &staff);
                let territories =
                    Self::existing_ids(&mut tx, "territories", rows.iter().map(|r| r.account.territory_id)).await?;
                check_references(&mut errors, rows, |r| r.row, "territory_id", |r| r.account.territory_id, &territories);
                if !errors.is_empty() {
                    errors.errors.sort_by_key(|e| e.row);
                    return Err(ImportError::Rows(errors));
                }

                let now = Utc::now();
                let total = rows.len() as u64;
                let mut accounts = Vec::with_capacity(rows.len());
                for (done, r) in rows.iter().enumerate() {
                    let row = Self::insert_account(&mut tx, &r.account, now)
                        .await
                        .map_err(|e| insert_error(r.row, e))?;
                    accounts.push(Account::try_from(row)?);
                    progress(done as u64 + 1, total);
                }
                let ids: Vec<i64> = accounts.iter().map(|a: &Account| a.id).collect();
                Self::write_audit(&mut tx, crate::db::audit::import_entry("accounts", &ids)).await?;
                Self::finish_import(tx, dry_run).await?;
                Ok(accounts)
            }

            async fn export_accounts(&self, query: &AccountQuery) -> Result<Vec<Account>, StoreError> {
                let mut qb = QueryBuilder::<$db>::new(format!("SELECT {ACCOUNT_COLUMNS} FROM accounts"));
                push_account_filters(&mut qb, query);
                qb.push(sort_sql(query.sort));
                let rows: Vec<AccountRow> = qb.build_query_as().fetch_all(&self.pool).await.map_err(db_error)?;
                rows.into_iter().map(Account::try_from).collect()
            }

            async fn import_territories(
                &self,
                rows: &[wilayah_shared::transfer::TerritoryRow],
                dry_run: bool,
                progress: crate::db::transfer::WriteProgress<'_>,
            ) -> Result<Vec<wilayah_shared::transfer::Territory>, crate::db::transfer::ImportError> {
                use crate::db::transfer::{check_references, insert_error, ImportError};
                use wilayah_shared::transfer::{RowError, RowErrors};

                let mut tx = self.pool.begin().await.map_err(db_error)?;
                let mut errors = RowErrors::default();
                let names: Vec<String> = rows.iter().map(|r| r.name.clone()).collect();
                let taken = Self::existing(&mut tx, "territories", "name", &names).await?;
                for r in rows {
                    if let Some(id) = taken.get(&r.name) {
                        errors.push(RowError::at(
                            r.row,
                            "name",
                            format!("{:?} is already the name of territory {id}", r.name),
                        ));
                    }
                }
                let staff = Self::existing_ids(&mut tx, "staff", rows.iter().map(|r| r.owner_id)).await?;
                check_references(&mut errors, rows, |r| r.row, "owner_id", |r| r.owner_id, &staff);
                if !errors.is_empty() {
                    errors.errors.sort_by_key(|e| e.row);
                    return Err(ImportError::Rows(errors));
                }

                let now = Utc::now();
                let total = rows.len() as u64;
                let mut territories = Vec::with_capacity(rows.len());
                for (done, r) in rows.iter().enumerate() {
                    let record: TerritoryRecord = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "INSERT INTO territories (name, geometry, owner_id, created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $4) RETURNING {TERRITORY_COLUMNS}"
                    )))
                    .bind(&r.name)
                    .bind(Json(&r.geometry))
                    .bind(r.owner_id)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|e| insert_error(r.row, db_error(e)))?;
                    territories.push(record.into());
                    progress(done as u64 + 1, total);
                }
                let ids: Vec<i64> = territories.iter().map(|t: &wilayah_shared::transfer::Territory| t.id).collect();
                Self::write_audit(&mut tx, crate::db::audit::import_entry("territories", &ids)).await?;
                Self::finish_import(tx, dry_run).await?;
                Ok(territories)
            }

            async fn export_territories(&self) -> Result<Vec<wilayah_shared::transfer::Territory>, StoreError> {
                let rows: Vec<TerritoryRecord> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {TERRITORY_COLUMNS} FROM territories ORDER BY id"
                )))
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
                Ok(rows.into_iter().map(Into::into).collect())
            }
        }
    };
}

pub(crate) use impl_transfer;
