//! Duplicate accounts in the database: the contact keys duplicate finding needs (phones and
//! e-mails of each account's contacts), and the merge of one account into another in one
//! transaction.
//!
//! The SQL is written once in [`impl_merge!`] and instantiated inside `store.rs`'s per-backend
//! modules, beside `impl_store!`, so it shares that file's row types and helpers.

use async_trait::async_trait;
use serde::Serialize;
use wilayah_app::store::StoreError;
use wilayah_shared::account::Account;

/// The tables whose rows hang off an account and move with a merge, in the order they move.
pub const MERGED_TABLES: [&str; 8] = [
    "contacts",
    "opportunities",
    "cases",
    "visits",
    "activities",
    "quotes",
    "orders",
    "tasks",
];

/// One contact's identifying values: `(account id, e-mail, phone)`.
pub type ContactKey = (i64, Option<String>, Option<String>);

/// What a merge did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Merged {
    /// The surviving account, at its new version.
    pub account: Account,
    /// The account merged away (deleted).
    pub merged_from: i64,
    /// Rows moved to the survivor, per table of [`MERGED_TABLES`].
    pub moved: std::collections::BTreeMap<&'static str, u64>,
}

#[async_trait]
pub trait MergeStore: Send + Sync {
    /// E-mails and phones of the contacts of the accounts `ids` (all accounts: `None`).
    async fn contact_keys(&self, ids: Option<&[i64]>) -> Result<Vec<ContactKey>, StoreError>;

    /// In one transaction: refuses with a conflict when `into` is not at `expected_version`
    /// (not found when either account is missing); moves every row of [`MERGED_TABLES`] from
    /// `from` to `into`, bumps `into`'s version, deletes `from`, and audits both.
    async fn merge_accounts(
        &self,
        into: i64,
        from: i64,
        expected_version: i64,
    ) -> Result<Merged, StoreError>;
}

macro_rules! impl_merge {
    ($db:ty) => {
        #[async_trait]
        impl crate::db::merge::MergeStore for SqlStore<$db> {
            async fn contact_keys(
                &self,
                ids: Option<&[i64]>,
            ) -> Result<Vec<crate::db::merge::ContactKey>, StoreError> {
                let mut qb = QueryBuilder::<$db>::new(
                    "SELECT account_id, email, phone FROM contacts WHERE (email IS NOT NULL OR phone IS NOT NULL)",
                );
                if let Some(ids) = ids {
                    if ids.is_empty() {
                        return Ok(Vec::new());
                    }
                    qb.push(" AND account_id IN (");
                    let mut list = qb.separated(", ");
                    for id in ids {
                        list.push_bind(*id);
                    }
                    qb.push(")");
                }
                qb.push(" ORDER BY account_id, id");
                qb.build_query_as().fetch_all(&self.pool).await.map_err(db_error)
            }

            async fn merge_accounts(
                &self,
                into: i64,
                from: i64,
                expected_version: i64,
            ) -> Result<crate::db::merge::Merged, StoreError> {
                let mut tx = self.pool.begin().await.map_err(db_error)?;
                let survivor: Option<AccountRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "UPDATE accounts SET version = version + 1, updated_at = $1
                     WHERE id = $2 AND version = $3 RETURNING {ACCOUNT_COLUMNS}"
                )))
                .bind(Utc::now())
                .bind(into)
                .bind(expected_version)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_error)?;
                let Some(survivor) = survivor else {
                    drop(tx);
                    return Err(self.missing_or_conflict(into).await);
                };
                let mut moved = std::collections::BTreeMap::new();
                for table in crate::db::merge::MERGED_TABLES {
                    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "UPDATE {table} SET account_id = $1 WHERE account_id = $2"
                    )))
                    .bind(into)
                    .bind(from)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
                    moved.insert(table, done.rows_affected());
                }
                // The survivor's revenue and cost of goods now count the orders it took over.
                let survivor = if moved.get("orders").is_some_and(|n| *n > 0) {
                    Self::refresh_account_sales(&mut tx, &[into]).await?;
                    sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1"
                    )))
                    .bind(into)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db_error)?
                } else {
                    survivor
                };
                let deleted = sqlx::query("DELETE FROM accounts WHERE id = $1")
                    .bind(from)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
                if deleted.rows_affected() != 1 {
                    // Rolled back: nothing moved.
                    return Err(StoreError::NotFound);
                }
                let counts: serde_json::Map<String, serde_json::Value> = moved
                    .iter()
                    .map(|(table, n)| ((*table).to_owned(), serde_json::Value::from(*n)))
                    .collect();
                let mut changes = serde_json::Map::new();
                changes.insert("merged_from".into(), from.into());
                changes.insert("moved".into(), serde_json::Value::Object(counts));
                Self::write_audit(&mut tx, AuditEntry {
                    action: "merge",
                    entity: "accounts",
                    entity_id: Some(into),
                    account_id: Some(into),
                    changes,
                })
                .await?;
                let mut gone = serde_json::Map::new();
                gone.insert("merged_into".into(), into.into());
                Self::write_audit(&mut tx, AuditEntry {
                    action: "delete",
                    entity: "accounts",
                    entity_id: Some(from),
                    account_id: Some(from),
                    changes: gone,
                })
                .await?;
                tx.commit().await.map_err(db_error)?;
                Ok(crate::db::merge::Merged {
                    account: Account::try_from(survivor)?,
                    merged_from: from,
                    moved,
                })
            }
        }
    };
}
pub(crate) use impl_merge;
