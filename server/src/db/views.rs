//! Saved views of the accounts list (`saved_views`): a user's own and the shared ones. Written
//! once for both backends, like the rest of the store. Who may see or delete which view is
//! decided by the scoped handle (`http::scope::views`), not here.

use async_trait::async_trait;
use chrono::Utc;
use sqlx::{Postgres, Sqlite};
use wilayah_app::store::StoreError;
use wilayah_shared::views::{NewView, SavedView};

use super::audit::AuditEntry;
use super::store::{SqlStore, db_error};

#[derive(sqlx::FromRow)]
struct ViewRow {
    id: i64,
    user_id: i64,
    name: String,
    query: String,
    shared: bool,
}

impl ViewRow {
    fn into_view(self, caller: i64) -> SavedView {
        SavedView {
            id: self.id,
            mine: self.user_id == caller,
            name: self.name,
            query: self.query,
            shared: self.shared,
            user_id: self.user_id,
        }
    }
}

#[async_trait]
pub trait ViewStore: Send + Sync {
    /// The views `user_id` saved and every shared one, by name then id.
    async fn views_for(&self, user_id: i64) -> Result<Vec<SavedView>, StoreError>;

    /// Saves a view for `user_id` (audited).
    async fn create_view(&self, user_id: i64, view: &NewView) -> Result<SavedView, StoreError>;

    /// The user who saved view `id` (`NotFound` when there is none).
    async fn view_owner(&self, id: i64) -> Result<i64, StoreError>;

    /// Deletes view `id` (audited).
    async fn delete_view(&self, id: i64) -> Result<(), StoreError>;
}

const VIEW_COLUMNS: &str = "id, user_id, name, query, shared";

macro_rules! impl_view_store {
    ($db:ty) => {
        #[async_trait]
        impl ViewStore for SqlStore<$db> {
            async fn views_for(&self, user_id: i64) -> Result<Vec<SavedView>, StoreError> {
                let rows: Vec<ViewRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {VIEW_COLUMNS} FROM saved_views WHERE user_id = $1 OR shared
                     ORDER BY LOWER(name), id"
                )))
                .bind(user_id)
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
                Ok(rows.into_iter().map(|r| r.into_view(user_id)).collect())
            }

            async fn create_view(
                &self,
                user_id: i64,
                view: &NewView,
            ) -> Result<SavedView, StoreError> {
                let mut tx = self.pool.begin().await.map_err(db_error)?;
                let row: ViewRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO saved_views (user_id, name, query, shared, created_at)
                     VALUES ($1, $2, $3, $4, $5) RETURNING {VIEW_COLUMNS}"
                )))
                .bind(user_id)
                .bind(&view.name)
                .bind(&view.query)
                .bind(view.shared)
                .bind(Utc::now())
                .fetch_one(&mut *tx)
                .await
                .map_err(db_error)?;
                Self::write_audit(
                    &mut tx,
                    AuditEntry {
                        action: "create",
                        entity: "saved_views",
                        entity_id: Some(row.id),
                        account_id: None,
                        changes: serde_json::Map::from_iter([
                            ("name".to_owned(), view.name.clone().into()),
                            ("query".to_owned(), view.query.clone().into()),
                            ("shared".to_owned(), view.shared.into()),
                        ]),
                    },
                )
                .await?;
                tx.commit().await.map_err(db_error)?;
                Ok(row.into_view(user_id))
            }

            async fn view_owner(&self, id: i64) -> Result<i64, StoreError> {
                let found: Option<(i64,)> =
                    sqlx::query_as("SELECT user_id FROM saved_views WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db_error)?;
                found.map(|(owner,)| owner).ok_or(StoreError::NotFound)
            }

            async fn delete_view(&self, id: i64) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await.map_err(db_error)?;
                Self::delete_audited(&mut tx, "saved_views", id).await?;
                tx.commit().await.map_err(db_error)?;
                Ok(())
            }
        }
    };
}

impl_view_store!(Sqlite);
impl_view_store!(Postgres);
